//! PackageRev (`config.porch.kpt.dev/v1alpha1`), Porch's shadow CR: only metadata matters, so the
//! CRD's schema (`spec` an object) and the common metadata checks are all there is; `spec` and
//! `status` are stored as given (status via `/status`).

use porch_layers::FieldCause;
use serde_json::Value;

use super::Strategy;

/// The PackageRev strategy.
pub(crate) struct PackageRevStrategy;

impl Strategy for PackageRevStrategy {
    fn validate(&self, _obj: &Value) -> Vec<FieldCause> {
        Vec::new()
    }
}
