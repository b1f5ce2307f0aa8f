//! The verbs' semantics, computed by the writer thread on a [`Txn`]: admission, validation, system
//! metadata, resourceVersion preconditions, finalizers and the namespace lifecycle.
//!
//! Order (apiserver `rest.BeforeCreate` / `BeforeUpdate` and `Store.Create/Update/Delete`): type meta →
//! decoding checks (disallowed `null`s dropped, `metadata` types) → namespace lifecycle admission →
//! system metadata → `prepare_for_*` → schema, kind and common metadata validation (see
//! [`strategy`](super::strategy)) → existence / resourceVersion checks → stage the change.

mod create;
mod delete;
mod update;

use serde_json::{Map, Value};

use porch_layers::request::precondition::{check_version, same_text};

use super::txn::Txn;
use super::{DeleteOptions, StoreError, StoredKind, WatchEventType, meta};
use crate::crdstore::Result;

/// A write request.
#[derive(Debug)]
pub(crate) enum Op {
    /// Create an object.
    Create(StoredKind, Value),
    /// Replace an object's main resource.
    Update(StoredKind, Value),
    /// Replace an object's status.
    UpdateStatus(StoredKind, Value),
    /// Delete an object by namespace (`""` when cluster-scoped) and name.
    Delete(StoredKind, String, String, DeleteOptions),
}

/// Runs one request against `txn`; returns the object to answer with.
pub(crate) fn apply(txn: &mut Txn<'_>, op: Op) -> Result<Value> {
    match op {
        Op::Create(kind, obj) => create::create(txn, kind, obj),
        Op::Update(kind, obj) => update::update(txn, kind, obj),
        Op::UpdateStatus(kind, obj) => update::update_status(txn, kind, obj),
        Op::Delete(kind, ns, name, opts) => delete::delete(txn, kind, &ns, &name, &opts),
    }
}

/// Checks `apiVersion`/`kind` when given and returns the object with both set first, as served,
/// and an empty `metadata` when it has none (an ill-typed one is left for validation to report).
pub(crate) fn with_type_meta(kind: StoredKind, obj: Value) -> Result<Value> {
    let Value::Object(mut fields) = obj else {
        return Err(StoreError::BadRequest("the object must be a JSON object".into()));
    };
    for (field, want) in [("apiVersion", kind.api_version()), ("kind", kind.kind())] {
        match fields.get(field).and_then(Value::as_str) {
            None | Some("") => {}
            Some(v) if v == want => {}
            Some(v) => {
                return Err(StoreError::BadRequest(format!(
                    "the {field} in the data ({v}) does not match the expected {field} ({want})"
                )));
            }
        }
    }
    fields.remove("apiVersion");
    fields.remove("kind");
    let mut out = Map::with_capacity(fields.len() + 2);
    out.insert("apiVersion".into(), Value::String(kind.api_version().into()));
    out.insert("kind".into(), Value::String(kind.kind().into()));
    out.extend(fields);
    if out.get("metadata").is_none_or(Value::is_null) {
        out.insert("metadata".into(), Value::Object(Map::new()));
    }
    Ok(Value::Object(out))
}

/// The incoming object of a write with its type meta set (see [`with_type_meta`]), its
/// disallowed `null`s dropped and its `metadata` type-checked (see
/// [`strategy::decode`](super::strategy::decode)).
pub(crate) fn decoded(kind: StoredKind, obj: Value) -> Result<Value> {
    let mut obj = with_type_meta(kind, obj)?;
    let causes = super::strategy::decode(kind, &mut obj);
    if causes.is_empty() { Ok(obj) } else { Err(StoreError::invalid(kind, meta::name(&obj), causes)) }
}

/// The namespace key of an object of `kind` (`""` for cluster-scoped kinds), required for namespaced ones.
pub(crate) fn namespace_of(kind: StoredKind, obj: &Value) -> Result<String> {
    if !kind.namespaced() {
        return Ok(String::new());
    }
    match meta::namespace(obj) {
        "" => Err(StoreError::BadRequest(format!("a namespace is required for {}", kind.plural()))),
        ns => Ok(ns.to_string()),
    }
}

/// The optimistic lock of an update ([`check_version`]), run in the write transaction: `Conflict`
/// unless the incoming `metadata.resourceVersion` is empty (an unconditional update, as for
/// custom resources) or exactly the text of the current one.
pub(crate) fn check_resource_version(kind: StoredKind, incoming: &Value, current: &Value) -> Result<()> {
    let stored = meta::meta_str(current, "resourceVersion").unwrap_or_default();
    check_version(meta::meta_str(incoming, "resourceVersion"), true, |given| same_text(given, stored))
        .map_err(|_| StoreError::Conflict { kind, name: meta::name(current).to_string() })
}

/// Removes the namespace `ns` if it is terminating, has no finalizers left and holds no objects.
/// Returns the deleted Namespace.
pub(crate) fn finalize_namespace(txn: &mut Txn<'_>, ns: &str) -> Option<Value> {
    let obj = txn.get(StoredKind::Namespace, "", ns)?;
    if !meta::is_terminating(&obj) || meta::has_finalizers(&obj) || !txn.namespace_is_empty(ns) {
        return None;
    }
    Some(txn.remove(StoredKind::Namespace, (*obj).clone()).as_ref().clone())
}

/// Stages `obj` as changed, or — when terminating with no finalizers left — as deleted (cascading to its
/// namespace). Returns what was staged.
pub(crate) fn put_or_finish(txn: &mut Txn<'_>, kind: StoredKind, obj: Value) -> Value {
    if !meta::is_terminating(&obj) || meta::has_finalizers(&obj) {
        return txn.put(kind, obj, WatchEventType::Modified).as_ref().clone();
    }
    if kind == StoredKind::Namespace {
        let name = meta::name(&obj).to_string();
        if txn.namespace_is_empty(&name) {
            return txn.remove(kind, obj).as_ref().clone();
        }
        return txn.put(kind, obj, WatchEventType::Modified).as_ref().clone();
    }
    let ns = meta::namespace(&obj).to_string();
    let gone = txn.remove(kind, obj).as_ref().clone();
    finalize_namespace(txn, &ns);
    gone
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn type_meta_is_checked_and_put_first() {
        let v = with_type_meta(StoredKind::Secret, json!({"data": {}, "kind": "Secret"})).unwrap();
        assert_eq!(
            v.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["apiVersion", "kind", "data", "metadata"]
        );
        let e = with_type_meta(StoredKind::Secret, json!({"kind": "ConfigMap"})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the kind in the data (ConfigMap) does not match the expected kind (Secret)"
        );
        assert!(with_type_meta(StoredKind::Secret, json!([])).is_err());
    }
}
