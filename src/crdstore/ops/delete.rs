//! delete: preconditions, finalizers (`deletionTimestamp`), and the namespace cascade.

use porch_layers::request::precondition::{check_version, same_text};
use serde_json::{Value, json};

use super::{finalize_namespace, put_or_finish};
use crate::crdstore::Result;
use crate::crdstore::txn::Txn;
use crate::crdstore::{DeleteOptions, StoreError, StoredKind, WatchEventType, meta};

/// The namespaces kube-apiserver refuses to delete (NamespaceLifecycle's immortal namespaces).
const IMMORTAL_NAMESPACES: [&str; 3] = ["default", "kube-system", "kube-public"];

/// Deletes an object: removes it (DELETED) when it has no finalizers, else marks it terminating once
/// (MODIFIED). A Namespace is marked terminating, its objects are deleted, and it goes once empty.
pub(super) fn delete(
    txn: &mut Txn<'_>,
    kind: StoredKind,
    ns: &str,
    name: &str,
    opts: &DeleteOptions,
) -> Result<Value> {
    let ns = if kind.namespaced() { ns } else { "" };
    if kind == StoredKind::Namespace && IMMORTAL_NAMESPACES.contains(&name) {
        return Err(StoreError::ImmortalNamespace(name.to_string()));
    }
    let old = txn.get(kind, ns, name).ok_or_else(|| StoreError::NotFound { kind, name: name.to_string() })?;
    let uid = opts.precondition_uid.as_deref().filter(|w| !w.is_empty());
    let stored_version = meta::meta_str(&old, "resourceVersion").unwrap_or_default();
    let version = check_version(opts.precondition_resource_version.as_deref(), true, |given| {
        same_text(given, stored_version)
    });
    if uid.is_some_and(|w| meta::meta_str(&old, "uid") != Some(w)) || version.is_err() {
        return Err(StoreError::Conflict { kind, name: name.to_string() });
    }
    if kind == StoredKind::Namespace {
        return Ok(delete_namespace(txn, (*old).clone()));
    }
    let out = delete_object(txn, kind, (*old).clone());
    if kind.namespaced() {
        finalize_namespace(txn, ns);
    }
    Ok(out)
}

/// Marks `obj` terminating (keeping it) when it has finalizers, else removes it. Does not finalize the
/// namespace.
fn delete_object(txn: &mut Txn<'_>, kind: StoredKind, mut obj: Value) -> Value {
    if !meta::has_finalizers(&obj) {
        return txn.remove(kind, obj).as_ref().clone();
    }
    if meta::is_terminating(&obj) {
        return obj;
    }
    mark_terminating(&mut obj);
    txn.put(kind, obj, WatchEventType::Modified).as_ref().clone()
}

fn mark_terminating(obj: &mut Value) {
    let md = meta::meta_mut(obj);
    md.insert("deletionTimestamp".into(), Value::String(meta::now_rfc3339()));
    md.insert("deletionGracePeriodSeconds".into(), json!(0));
}

fn delete_namespace(txn: &mut Txn<'_>, mut ns_obj: Value) -> Value {
    let ns = meta::name(&ns_obj).to_string();
    if !meta::is_terminating(&ns_obj) {
        mark_terminating(&mut ns_obj);
        if let Some(m) = ns_obj.as_object_mut() {
            m.insert("status".into(), json!({"phase": "Terminating"}));
        }
        ns_obj = put_or_finish(txn, StoredKind::Namespace, ns_obj);
        if txn.get(StoredKind::Namespace, "", &ns).is_none() {
            return ns_obj; // it was empty and had no finalizers: gone already
        }
    }
    for kind in StoredKind::ALL.into_iter().filter(|k| k.namespaced()) {
        for name in txn.names_in(kind, &ns) {
            if let Some(obj) = txn.get(kind, &ns, &name) {
                delete_object(txn, kind, (*obj).clone());
            }
        }
    }
    finalize_namespace(txn, &ns).unwrap_or(ns_obj)
}
