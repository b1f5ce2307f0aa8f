//! OpenAPI v2 and v3 documents generated from the api/ schemas, and server-side field validation.
//!
//! Everything is computed once at start-up ([`OpenApi::build`]): the component schemas of each
//! group-version (`schemas`, rewritten into OpenAPI 3.0 by `normalize`), the operations of each
//! resource (`paths`), their rendering as OpenAPI 3.0 (`v3`) and Swagger 2.0 (`v2`), and the
//! pruning of unknown fields against the same schemas (`porch_layers::schema::prune_unknown`).

mod normalize;
mod paths;
mod schemas;
mod v2;
mod v3;

#[cfg(test)]
mod tests;

use super::resources::{RESOURCES, ResourceDef};
use bytes::Bytes;
use porch_api::gvk::PORCH_GROUP;
use schemas::GvSchemas;
use serde_json::Value;

const JSON: &str = "application/json";

/// One group-version: its schemas and its OpenAPI 3.0 document.
#[derive(Debug)]
struct GroupVersion {
    group: &'static str,
    version: &'static str,
    /// The key in the `/openapi/v3` index (`apis/<group>/<version>` or `api/<version>`).
    key: String,
    schemas: GvSchemas,
    document: Bytes,
}

/// The OpenAPI documents of the served resources.
#[derive(Debug)]
pub(crate) struct OpenApi {
    group_versions: Vec<GroupVersion>,
    v3_index: Value,
    v2: Bytes,
}

impl OpenApi {
    /// Builds the documents for the resources served in this mode: every resource standalone,
    /// only `porch.kpt.dev` when aggregated.
    pub(crate) fn build(standalone: bool) -> Self {
        let served: Vec<&'static ResourceDef> =
            RESOURCES.iter().filter(|r| standalone || r.group == PORCH_GROUP).collect();
        let mut gvs: Vec<(&'static str, &'static str)> = Vec::new();
        for r in &served {
            if !gvs.contains(&(r.group, r.version)) {
                gvs.push((r.group, r.version));
            }
        }
        let mut built = Vec::new();
        for (group, version) in gvs {
            let defs: Vec<&ResourceDef> =
                served.iter().copied().filter(|r| r.group == group && r.version == version).collect();
            let schemas = schemas::build(group, version, &defs);
            let paths = paths::build(&defs, &schemas);
            built.push((group, version, schemas, paths));
        }
        let v2_doc = v2::document(built.iter().map(|(g, v, s, p)| (*g, *v, s, p.as_slice())));
        let group_versions: Vec<GroupVersion> = built
            .into_iter()
            .map(|(group, version, schemas, paths)| {
                let doc = v3::document(group, version, &schemas, &paths);
                GroupVersion {
                    group,
                    version,
                    key: v3::index_key(group, version),
                    schemas,
                    document: Bytes::from(serde_json::to_vec(&doc).unwrap_or_default()),
                }
            })
            .collect();
        let v3_index = v3::index(group_versions.iter().map(|gv| (gv.key.as_str(), gv.document.as_ref())));
        Self { group_versions, v3_index, v2: Bytes::from(serde_json::to_vec(&v2_doc).unwrap_or_default()) }
    }

    /// `/openapi/v2` for a request's `Accept` header: `(Content-Type, body)`. Swagger 2.0 JSON,
    /// except for kubectl's protobuf request, which gets an empty protobuf `Document` (kubectl
    /// then skips client-side validation and relies on the server's `fieldValidation`).
    pub(crate) fn v2(&self, accept: &str) -> (&'static str, Bytes) {
        if v2::wants_protobuf(accept) {
            (v2::PROTOBUF_CONTENT_TYPE, Bytes::new())
        } else {
            (JSON, self.v2.clone())
        }
    }

    /// `/openapi/v3`: the index of group-version documents.
    pub(crate) fn v3_index(&self) -> Value {
        self.v3_index.clone()
    }

    /// `/openapi/v3/<path>` (e.g. `apis/config.porch.kpt.dev/v1alpha1`, without the query).
    pub(crate) fn v3_document(&self, path: &str) -> Option<Bytes> {
        let path = path.trim_matches('/');
        self.group_versions.iter().find(|gv| gv.key == path).map(|gv| gv.document.clone())
    }

    /// Removes the fields of `object` its schema does not know and returns their paths
    /// (`.spec.foo`, `.spec.tasks[0].bogus`), in document order.
    pub(crate) fn prune_unknown_fields(&self, def: &ResourceDef, object: &mut Value) -> Vec<String> {
        let Some(gv) =
            self.group_versions.iter().find(|gv| gv.group == def.group && gv.version == def.version)
        else {
            return Vec::new();
        };
        let Some(root) = gv.schemas.name_of(def.kind).and_then(|name| gv.schemas.components.get(name)) else {
            return Vec::new();
        };
        porch_layers::schema::prune_unknown(&gv.schemas.components, root, object)
    }
}
