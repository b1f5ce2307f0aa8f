//! `metadata` validation for every kind, as kube-apiserver does it.
//!
//! Three steps, at the places the apiserver takes them:
//!
//! 1. [`check_types`] — the types of `metadata` against ObjectMeta's schema (what decoding a
//!    request into `metav1.ObjectMeta` checks): `metadata.ownerReferences: Invalid value:
//!    "string": metadata.ownerReferences in body must be of type array: "string"`, a
//!    `resourceVersion` that is not a string, a label value that is a number… Runs first, before
//!    anything reads the object. [`drop_nulls`] first removes the `null`s decoding ignores.
//! 2. [`validate_create`] — `ValidateObjectMetaAccessor`: name (by the kind's [`NameRule`]) and
//!    `generateName`, namespace, generation, label keys and values, annotation keys and total
//!    size (256 KiB), owner references (apiVersion, kind, name, uid; one controller; no Event
//!    owners), finalizer names, managed fields. Runs after the kind's own `validate`
//!    (apiserver's `BeforeCreate`, "so that specific error messages are shown").
//! 3. [`validate_update`] — `ValidateObjectMetaAccessorUpdate`: no new finalizers while the
//!    object is being deleted, then labels, annotations, owner references and managed fields.
//!    Runs before the kind's `validate_update` (apiserver's `BeforeUpdate`). System fields
//!    (name, uid, resourceVersion…) are kept from the stored object by storage, so their
//!    immutability is not re-checked here.
//!
//! The words are apimachinery's (`api/validation/objectmeta.go`), e.g.
//! `metadata.labels: Invalid value: "bad key!": name part must consist of alphanumeric
//! characters…`, `metadata.annotations: Too long: must have at most 262144 bytes`,
//! `metadata.ownerReferences.uid: Invalid value: "": must not be empty`.
//!
//! ```
//! use porch_layers::object_meta::{self, names};
//! use serde_json::json;
//!
//! let obj = json!({"metadata": {"name": "r", "namespace": "default",
//!     "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "x"}]}});
//! assert!(object_meta::check_types(&obj).is_empty());
//! let causes = object_meta::validate_create(&obj, true, names::dns1123_subdomain_name);
//! assert_eq!(causes[0].to_string(), "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty");
//! ```

pub mod names;
mod rules;

#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::schema::Schema;
use crate::status::FieldCause;

pub use names::NameRule;

/// kube-apiserver's `TotalAnnotationSizeLimitB`: keys and values together, in bytes.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// ObjectMeta's schema as decoding checks it (types and formats, nothing required); built once.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::builtin::<ObjectMeta>().expect("k8s-openapi's ObjectMeta schema uses only supported keywords")
    })
}

/// Removes the `null`s ObjectMeta does not allow from `obj.metadata` (all of them: decoding
/// leaves such fields unset), and `metadata: null` itself.
///
/// **Mutates:** `obj`, before [`check_types`].
pub fn drop_nulls(obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else { return };
    if map.get("metadata").is_some_and(Value::is_null) {
        map.remove("metadata");
    }
    if let Some(meta) = map.get_mut("metadata") {
        schema().drop_nulls(meta);
    }
}

/// The type errors of `obj.metadata` (paths start at `metadata`); empty when it is absent or
/// well-typed.
///
/// **Mutates:** nothing.
pub fn check_types(obj: &Value) -> Vec<FieldCause> {
    match obj.get("metadata") {
        None | Some(Value::Null) => Vec::new(),
        Some(meta) => schema().validate_at(meta, "metadata"),
    }
}

/// `ValidateObjectMetaAccessor`: the metadata rules of a new object of a kind that is
/// `namespaced` (or not) and whose names follow `name_rule`. Assumes [`check_types`] passed
/// (ill-typed fields are skipped here).
///
/// **Mutates:** nothing.
pub fn validate_create(obj: &Value, namespaced: bool, name_rule: NameRule) -> Vec<FieldCause> {
    rules::create(&rules::Meta::of(obj), namespaced, name_rule)
}

/// `ValidateObjectMetaAccessorUpdate`: the metadata rules of an update of `old` to `new`.
/// Assumes [`check_types`] passed on `new`.
///
/// **Mutates:** nothing.
pub fn validate_update(new: &Value, old: &Value) -> Vec<FieldCause> {
    rules::update(&rules::Meta::of(new), &rules::Meta::of(old))
}
