//! PackageRev (`config.porch.kpt.dev/v1alpha1`), Porch's shadow CR: only metadata matters, so the common
//! metadata checks are all there is; `spec` and `status` are stored as given (status via `/status`).

use porch_layers::FieldCause;
use serde_json::Value;

use super::Strategy;

/// The PackageRev strategy.
pub(crate) struct PackageRevStrategy;

impl Strategy for PackageRevStrategy {
    fn validate(&self, obj: &Value) -> Vec<FieldCause> {
        match obj.get("spec") {
            None | Some(Value::Null | Value::Object(_)) => Vec::new(),
            Some(_) => vec![FieldCause::invalid("spec", "must be an object")],
        }
    }
}
