//! Label and field selector filtering of stored objects, shared by list and watch.

use porch_layers::{FieldSelector, LabelSelector};
use serde_json::Value;

use super::{StoreError, StoredKind, meta};
use crate::crdstore::Result;

/// The selectors of one list or watch, checked against the kind's supported fields.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    kind: StoredKind,
    labels: Option<LabelSelector>,
    fields: Option<FieldSelector>,
}

/// The fields a field selector may name for `kind`.
fn supported(kind: StoredKind, field: &str) -> bool {
    matches!(field, "metadata.name" | "metadata.namespace") || (kind == StoredKind::Secret && field == "type")
}

impl Filter {
    /// A filter for `kind`.
    ///
    /// # Errors
    /// `BadRequest` naming the first field the selector may not use (`field label not supported: x`).
    pub(crate) fn new(
        kind: StoredKind,
        labels: Option<&LabelSelector>,
        fields: Option<&FieldSelector>,
    ) -> Result<Filter> {
        if let Some(bad) = fields.and_then(|f| f.requirements().iter().find(|r| !supported(kind, &r.field))) {
            return Err(StoreError::BadRequest(format!("field label not supported: {}", bad.field)));
        }
        Ok(Filter {
            kind,
            labels: labels.filter(|l| !l.is_empty()).cloned(),
            fields: fields.filter(|f| !f.is_empty()).cloned(),
        })
    }

    /// Whether every object passes (no selector).
    pub(crate) fn is_everything(&self) -> bool {
        self.labels.is_none() && self.fields.is_none()
    }

    /// Whether `obj` passes both selectors.
    pub(crate) fn matches(&self, obj: &Value) -> bool {
        if let Some(l) = &self.labels {
            let labels = meta::meta(obj).and_then(|m| m.get("labels")).unwrap_or(&Value::Null);
            if !l.matches_json(labels) {
                return false;
            }
        }
        if let Some(f) = &self.fields {
            let kind = self.kind;
            return f.matches(|field| match field {
                "metadata.name" => Some(meta::name(obj).to_string()),
                "metadata.namespace" if kind.namespaced() => Some(meta::namespace(obj).to_string()),
                "type" => obj.get("type").and_then(Value::as_str).map(str::to_string),
                _ => None,
            });
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn selectors_apply_and_unknown_fields_are_rejected() {
        let l = LabelSelector::parse("app=web").unwrap();
        let f = FieldSelector::parse("type=Opaque,metadata.namespace=ns").unwrap();
        let filter = Filter::new(StoredKind::Secret, Some(&l), Some(&f)).unwrap();
        let s =
            json!({"metadata": {"name": "a", "namespace": "ns", "labels": {"app": "web"}}, "type": "Opaque"});
        assert!(filter.matches(&s));
        assert!(!filter.matches(&json!({"metadata": {"name": "a", "namespace": "ns"}, "type": "Opaque"})));
        let e = Filter::new(StoredKind::Repository, None, Some(&f)).unwrap_err();
        assert_eq!(e.to_string(), "field label not supported: type");
        let spec = FieldSelector::parse("spec.type=git").unwrap();
        assert!(Filter::new(StoredKind::Repository, None, Some(&spec)).is_err());
    }
}
