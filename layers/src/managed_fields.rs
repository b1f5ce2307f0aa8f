//! `metadata.managedFields`: which field manager last wrote which fields.
//!
//! Every write records an entry `{manager, operation, apiVersion, time, fieldsType: FieldsV1,
//! fieldsV1, subresource}` keyed by manager, operation and subresource, as kube-apiserver does.
//! Field sets are computed from the written configuration (apply) or the object (update);
//! ownership conflicts between managers are not tracked.

use serde_json::{Map, Value, json};

/// The operation recorded in an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Server-side apply (`application/apply-patch+yaml`).
    Apply,
    /// Any other write: create, update, merge or JSON patch.
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "Apply",
            Self::Update => "Update",
        }
    }
}

/// The `FieldsV1` set of `value`: `{"f:spec": {"f:git": {".": {}, "f:repo": {}}}}`.
fn fields_v1(value: &Value, top: bool) -> Value {
    let Value::Object(map) = value else { return json!({}) };
    let mut out = Map::new();
    if !top {
        out.insert(".".into(), json!({}));
    }
    for (key, child) in map {
        if top && matches!(key.as_str(), "apiVersion" | "kind" | "status") {
            continue;
        }
        if top && key == "metadata" {
            let mut meta = Map::new();
            for k in ["labels", "annotations"] {
                if let Some(Value::Object(m)) = child.get(k) {
                    let set: Map<String, Value> = m.keys().map(|l| (format!("f:{l}"), json!({}))).collect();
                    let mut entry = Map::new();
                    entry.insert(".".into(), json!({}));
                    entry.extend(set);
                    meta.insert(format!("f:{k}"), Value::Object(entry));
                }
            }
            if child.get("finalizers").is_some() {
                meta.insert("f:finalizers".into(), json!({}));
            }
            if child.get("ownerReferences").is_some() {
                meta.insert("f:ownerReferences".into(), json!({}));
            }
            if !meta.is_empty() {
                out.insert("f:metadata".into(), Value::Object(meta));
            }
            continue;
        }
        let entry = if child.is_object() { fields_v1(child, false) } else { json!({}) };
        out.insert(format!("f:{key}"), entry);
    }
    Value::Object(out)
}

/// Records that `manager` wrote `written` (the apply configuration, or the whole object) into
/// `object` with `operation`, replacing that manager's previous entry for the same operation.
pub fn record(
    object: &mut Value,
    manager: &str,
    operation: Operation,
    subresource: Option<&str>,
    written: &Value,
    time: &str,
) {
    let api_version = object.get("apiVersion").cloned().unwrap_or(Value::Null);
    let mut entry = json!({
        "manager": manager,
        "operation": operation.as_str(),
        "apiVersion": api_version,
        "time": time,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1(written, true),
    });
    if let Some(sub) = subresource {
        entry["subresource"] = json!(sub);
    }
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else { return };
    let list = meta.entry("managedFields").or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    let Value::Array(entries) = list else { return };
    entries.retain(|e| {
        !(e["manager"] == manager
            && e["operation"] == operation.as_str()
            && e.get("subresource").and_then(Value::as_str) == subresource)
    });
    entries.push(entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_records_the_applied_fields_once_per_manager() {
        let mut obj = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}});
        let applied =
            json!({"metadata": {"labels": {"a": "b"}}, "spec": {"git": {"repo": "x"}}, "status": {}});
        record(&mut obj, "kubectl", Operation::Apply, None, &applied, "2026-01-01T00:00:00Z");
        record(&mut obj, "kubectl", Operation::Apply, None, &applied, "2026-01-02T00:00:00Z");
        let entries = obj["metadata"]["managedFields"].as_array().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["time"], "2026-01-02T00:00:00Z");
        assert_eq!(
            entries[0]["fieldsV1"],
            json!({"f:metadata": {"f:labels": {".": {}, "f:a": {}}}, "f:spec": {".": {}, "f:git": {".": {}, "f:repo": {}}}})
        );
    }

    #[test]
    fn updates_and_applies_are_separate_entries() {
        let mut obj = json!({"apiVersion": "v1", "metadata": {"name": "s"}});
        record(&mut obj, "m", Operation::Apply, None, &json!({}), "t");
        record(&mut obj, "m", Operation::Update, Some("status"), &json!({}), "t");
        assert_eq!(obj["metadata"]["managedFields"].as_array().unwrap().len(), 2);
        assert_eq!(obj["metadata"]["managedFields"][1]["subresource"], "status");
    }
}
