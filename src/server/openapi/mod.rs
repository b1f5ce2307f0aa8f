//! OpenAPI v2 and v3 documents generated from the api/ schemas, and server-side field validation.
//!
//! PLACEHOLDER while the generator is being written: serves no documents and finds no unknown
//! fields.

use super::resources::ResourceDef;
use serde_json::Value;

/// The OpenAPI documents of the served resources.
#[derive(Debug, Default)]
pub(crate) struct OpenApi {}

impl OpenApi {
    /// Builds the documents for the resources served in this mode.
    pub(crate) fn build(_standalone: bool) -> Self {
        Self {}
    }

    /// `/openapi/v2` as JSON.
    pub(crate) fn v2(&self) -> Option<bytes::Bytes> {
        None
    }

    /// `/openapi/v3`: the index of group-version documents.
    pub(crate) fn v3_index(&self) -> Value {
        serde_json::json!({"paths": {}})
    }

    /// `/openapi/v3/<path>` (e.g. `apis/config.porch.kpt.dev/v1alpha1`).
    pub(crate) fn v3_document(&self, _path: &str) -> Option<bytes::Bytes> {
        None
    }

    /// Removes the fields of `object` its schema does not know and returns their paths
    /// (`.spec.foo`), in document order.
    pub(crate) fn prune_unknown_fields(&self, _def: &ResourceDef, _object: &mut Value) -> Vec<String> {
        Vec::new()
    }
}
