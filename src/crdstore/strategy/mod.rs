//! Per-kind create/update strategies (apiserver `rest.RESTCreateStrategy` / `RESTUpdateStrategy`).
//!
//! The store runs, in this order: `prepare_for_create` (or `prepare_for_update`) which may mutate
//! (defaults, normal forms), then `validate` (or `validate_update`) which never mutates and returns field
//! causes, then, only if the kind's own validation passed, the common metadata checks of [`validate_metadata`]
//! (as apiserver's `BeforeCreate` does, "so that specific error messages are shown").
//! Generic concerns (system metadata, status isolation, generation) are the store's, not the strategies'.

mod names;
mod namespace;
mod packagerev;
mod repository;
mod secret;

use porch_layers::FieldCause;
use serde_json::Value;

use super::StoredKind;
use super::meta;

/// Kind-specific admission and validation.
pub(crate) trait Strategy: Sync {
    /// Defaults and normalizes a new object; may mutate.
    fn prepare_for_create(&self, _obj: &mut Value) {}

    /// Defaults and normalizes an update of `old`; may mutate `new`.
    fn prepare_for_update(&self, _new: &mut Value, _old: &Value) {}

    /// Validates a new object; never mutates.
    fn validate(&self, obj: &Value) -> Vec<FieldCause>;

    /// Validates an update of `old`; never mutates. Defaults to [`Strategy::validate`] of `new`.
    fn validate_update(&self, new: &Value, _old: &Value) -> Vec<FieldCause> {
        self.validate(new)
    }
}

/// The strategy of `kind`.
pub(crate) fn for_kind(kind: StoredKind) -> &'static dyn Strategy {
    match kind {
        StoredKind::Repository => &repository::RepositoryStrategy,
        StoredKind::PackageRev => &packagerev::PackageRevStrategy,
        StoredKind::Secret => &secret::SecretStrategy,
        StoredKind::Namespace => &namespace::NamespaceStrategy,
    }
}

/// `Invalid value: "<value>": <detail>` for a string value, as apimachinery words it.
pub(crate) fn invalid_value(field: &str, value: &str, detail: &str) -> FieldCause {
    FieldCause::invalid(field, format!("{value:?}: {detail}"))
}

/// Common `metadata` checks for every kind: name syntax, namespace syntax, label/annotation/finalizer types.
pub(crate) fn validate_metadata(kind: StoredKind, obj: &Value) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    let name = meta::name(obj);
    if name.is_empty() {
        causes.push(FieldCause::required("metadata.name", "name or generateName is required"));
    } else {
        let errs =
            if kind.namespaced() { names::dns1123_subdomain(name) } else { names::dns1123_label(name) };
        causes.extend(errs.iter().map(|e| invalid_value("metadata.name", name, e)));
    }
    if kind.namespaced() {
        let ns = meta::namespace(obj);
        causes.extend(names::dns1123_label(ns).iter().map(|e| invalid_value("metadata.namespace", ns, e)));
    }
    let md = meta::meta(obj);
    for field in ["labels", "annotations"] {
        match md.and_then(|m| m.get(field)) {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    if !v.is_string() {
                        causes
                            .push(FieldCause::invalid(format!("metadata.{field}[{k}]"), "must be a string"));
                    }
                }
            }
            Some(_) => causes.push(FieldCause::invalid(format!("metadata.{field}"), "must be an object")),
        }
    }
    match md.and_then(|m| m.get("finalizers")) {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {}
        Some(_) => causes.push(FieldCause::invalid("metadata.finalizers", "must be a list of strings")),
    }
    causes
}

/// The string at a `.`-separated path (`None` when absent or not a string).
pub(crate) fn str_at<'a>(obj: &'a Value, path: &str) -> Option<&'a str> {
    value_at(obj, path).and_then(Value::as_str)
}

/// The value at a `.`-separated path.
pub(crate) fn value_at<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(obj, |v, seg| v.get(seg))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn metadata_checks_name_namespace_and_types() {
        let ok = json!({"metadata": {"name": "a.b", "namespace": "ns", "labels": {"x": "y"}}});
        assert!(validate_metadata(StoredKind::Secret, &ok).is_empty());
        let bad =
            json!({"metadata": {"name": "A", "namespace": "n.s", "labels": {"x": 1}, "finalizers": "f"}});
        let fields: Vec<_> =
            validate_metadata(StoredKind::Secret, &bad).into_iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            ["metadata.name", "metadata.namespace", "metadata.labels[x]", "metadata.finalizers"]
        );
        let ns = json!({"metadata": {"name": "a.b"}});
        assert_eq!(validate_metadata(StoredKind::Namespace, &ns).len(), 1);
        let c = &validate_metadata(StoredKind::Namespace, &json!({"metadata": {}}))[0];
        assert_eq!(c.to_string(), "metadata.name: Required value: name or generateName is required");
    }
}
