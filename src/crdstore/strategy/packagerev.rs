//! PackageRev (`config.porch.kpt.dev/v1alpha1`), Porch's shadow CR: only metadata matters, so the
//! CRD's schema (`spec` an object) and the common metadata checks are all there is; `spec` and
//! `status` are stored as given (status via `/status`).

use porch_layers::object_meta::names;
use porch_layers::{RequestContext, Strategy};
use serde_json::Value;

use super::stored_kind_identity;
use crate::crdstore::StoredKind;

/// The PackageRev strategy: no rules of its own, and the columns of a CRD without print
/// columns (`Name`, `Age`).
#[derive(Debug)]
pub(crate) struct PackageRevStrategy;

impl Strategy for PackageRevStrategy {
    stored_kind_identity!(StoredKind::PackageRev, names::dns1123_subdomain_name);

    /// Nothing: the store keeps `status` out of creates itself.
    fn prepare_for_create(&self, _ctx: &RequestContext, _obj: &mut Value) {}

    /// Nothing: the store keeps the stored `status` on updates itself.
    fn prepare_for_update(&self, _ctx: &RequestContext, _new: &mut Value, _old: &Value) {}
}
