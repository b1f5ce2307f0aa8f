//! create: decoding checks, namespace lifecycle, system metadata, generateName, status isolation,
//! validation.

use porch_layers::Verb;
use serde_json::Value;

use super::{decoded, namespace_of};
use crate::crdstore::Result;
use crate::crdstore::strategy;
use crate::crdstore::txn::Txn;
use crate::crdstore::{StoreError, StoredKind, WatchEventType, meta};

/// kube-apiserver keeps generated names within 63 characters: prefix ≤ 58 + 5 random characters.
const MAX_GENERATE_PREFIX: usize = 58;

/// How many generated names are tried before giving up with `AlreadyExists`.
const GENERATE_ATTEMPTS: usize = 8;

/// Creates an object (see the module docs of `ops` for the order of steps).
pub(super) fn create(txn: &mut Txn<'_>, kind: StoredKind, obj: Value) -> Result<Value> {
    let mut obj = decoded(kind, obj)?;
    let ns = namespace_of(kind, &obj)?;
    if kind.namespaced() {
        match txn.get(StoredKind::Namespace, "", &ns) {
            None => return Err(StoreError::NamespaceNotFound(ns)),
            Some(n) if meta::is_terminating(&n) => return Err(StoreError::NamespaceTerminating(ns)),
            Some(_) => {}
        }
    }
    {
        let md = meta::meta_mut(&mut obj);
        if !kind.namespaced() {
            md.remove("namespace");
        }
        for system in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            md.remove(system);
        }
        md.insert("uid".into(), Value::String(meta::new_uid()));
        md.insert("creationTimestamp".into(), Value::String(meta::now_rfc3339()));
        if kind.has_generation() {
            md.insert("generation".into(), Value::from(1));
        } else {
            md.remove("generation");
        }
    }
    if kind.has_status_subresource() {
        obj.as_object_mut().expect("an object").remove("status");
    }
    strategy::for_kind(kind).prepare_for_create(&strategy::context(Verb::Create), &mut obj);
    generate_name(txn, kind, &ns, &mut obj);

    let name = meta::name(&obj).to_string();
    let causes = strategy::validate_create(kind, &obj);
    if !causes.is_empty() {
        return Err(StoreError::invalid(kind, &name, causes));
    }
    if txn.get(kind, &ns, &name).is_some() {
        return Err(StoreError::AlreadyExists { kind, name });
    }
    Ok(txn.put(kind, obj, WatchEventType::Added).as_ref().clone())
}

/// Fills `metadata.name` from `metadata.generateName` when no name is given, avoiding existing names.
fn generate_name(txn: &Txn<'_>, kind: StoredKind, ns: &str, obj: &mut Value) {
    if !meta::name(obj).is_empty() {
        return;
    }
    let Some(prefix) = meta::meta_str(obj, "generateName") else { return };
    let prefix: String = prefix.chars().take(MAX_GENERATE_PREFIX).collect();
    let mut name = String::new();
    for _ in 0..GENERATE_ATTEMPTS {
        name = format!("{prefix}{}", meta::random_suffix());
        if txn.get(kind, ns, &name).is_none() {
            break;
        }
    }
    meta::meta_mut(obj).insert("name".into(), Value::String(name));
}
