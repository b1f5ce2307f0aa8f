//! update (main resource) and update_status.

use std::sync::Arc;

use porch_layers::Verb;
use serde_json::Value;

use super::{check_resource_version, namespace_of, put_or_finish, with_type_meta};
use crate::crdstore::Result;
use crate::crdstore::strategy;
use crate::crdstore::txn::Txn;
use crate::crdstore::{StoreError, StoredKind, WatchEventType, meta};

/// Metadata the server owns: always taken from the stored object on update.
const SYSTEM_FIELDS: [&str; 7] = [
    "name",
    "namespace",
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
];

/// Looks up the object an update targets and checks its resourceVersion precondition.
fn current(txn: &Txn<'_>, kind: StoredKind, obj: &Value) -> Result<Arc<Value>> {
    let ns = namespace_of(kind, obj)?;
    let name = meta::name(obj);
    if name.is_empty() {
        return Err(StoreError::BadRequest("metadata.name is required for an update".into()));
    }
    let old =
        txn.get(kind, &ns, name).ok_or_else(|| StoreError::NotFound { kind, name: name.to_string() })?;
    check_resource_version(kind, obj, &old)?;
    Ok(old)
}

/// The incoming object of an update, decoded as [`super::decoded`] does but ratcheted against
/// the stored object it replaces (see [`strategy::decode_update`]), and that stored object.
fn decoded_with_current(txn: &Txn<'_>, kind: StoredKind, obj: Value) -> Result<(Value, Arc<Value>)> {
    let mut new = with_type_meta(kind, obj)?;
    let old = current(txn, kind, &new)?;
    let causes = strategy::decode_update(kind, &mut new, &old);
    if causes.is_empty() { Ok((new, old)) } else { Err(StoreError::invalid(kind, meta::name(&new), causes)) }
}

/// Sets `field` of `to` to `from`'s (removing it when `from` has none).
fn copy_field(
    to: &mut serde_json::Map<String, Value>,
    from: Option<&serde_json::Map<String, Value>>,
    field: &str,
) {
    match from.and_then(|m| m.get(field)) {
        Some(v) => to.insert(field.to_string(), v.clone()),
        None => to.remove(field),
    };
}

/// Replaces an object's main resource: spec, labels, annotations, finalizers... but never its status
/// (for status-subresource kinds) or system metadata. Bumps `generation` when anything outside
/// metadata and status changed; a no-op is answered with the stored object and changes nothing.
pub(super) fn update(txn: &mut Txn<'_>, kind: StoredKind, obj: Value) -> Result<Value> {
    let (mut new, old) = decoded_with_current(txn, kind, obj)?;
    let md = meta::meta_mut(&mut new);
    for field in SYSTEM_FIELDS.into_iter().chain(["resourceVersion"]) {
        copy_field(md, meta::meta(&old), field);
    }
    if kind.has_status_subresource() {
        copy_field(new.as_object_mut().expect("an object"), old.as_object(), "status");
    }
    strategy::for_kind(kind).prepare_for_update(&strategy::context(Verb::Update), &mut new, &old);

    let name = meta::name(&old).to_string();
    let causes = strategy::validate_update(kind, &new, &old);
    if !causes.is_empty() {
        return Err(StoreError::invalid(kind, &name, causes));
    }
    if kind.has_generation() && meta::spec_part(&new) != meta::spec_part(&old) {
        let generation =
            meta::meta(&old).and_then(|m| m.get("generation")).and_then(Value::as_i64).unwrap_or(0);
        meta::meta_mut(&mut new).insert("generation".into(), Value::from(generation + 1));
    }
    if new == *old {
        return Ok(Arc::unwrap_or_clone(old));
    }
    Ok(put_or_finish(txn, kind, new))
}

/// Replaces an object's `status` only; everything else is kept from the stored object.
pub(super) fn update_status(txn: &mut Txn<'_>, kind: StoredKind, obj: Value) -> Result<Value> {
    if !kind.has_status_subresource() {
        return Err(StoreError::BadRequest(format!("{} have no status subresource", kind.plural())));
    }
    let (incoming, old) = decoded_with_current(txn, kind, obj)?;
    let mut new = (*old).clone();
    copy_field(new.as_object_mut().expect("an object"), incoming.as_object(), "status");
    if new == *old {
        return Ok(Arc::unwrap_or_clone(old));
    }
    let causes = strategy::validate_status_update(kind, &new, &old);
    if !causes.is_empty() {
        return Err(StoreError::invalid(kind, meta::name(&old), causes));
    }
    Ok(txn.put(kind, new, WatchEventType::Modified).as_ref().clone())
}
