//! The structural schema of each stored kind, built once: for the custom resources the
//! `openAPIV3Schema` of the CRD `manifests/crds` publishes (`porch_api::*::crd()`), completed
//! with what kube-apiserver checks of every custom resource itself (`apiVersion` and `kind`
//! strings, `metadata` as ObjectMeta); for Secret and Namespace the k8s-openapi types' schemas
//! (what decoding a built-in type checks).

use std::sync::OnceLock;

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use porch_layers::object_meta;
use porch_layers::schema::Schema;
use serde_json::{Value, json};

use crate::crdstore::StoredKind;

/// The schemas, in [`StoredKind::ALL`] order.
static SCHEMAS: OnceLock<Vec<Schema>> = OnceLock::new();

/// The schema objects of `kind` are checked against.
pub(crate) fn of(kind: StoredKind) -> &'static Schema {
    let schemas = SCHEMAS.get_or_init(|| StoredKind::ALL.into_iter().map(build).collect());
    let index = StoredKind::ALL.iter().position(|k| *k == kind).expect("every kind is in ALL");
    &schemas[index]
}

fn build(kind: StoredKind) -> Schema {
    let loaded = match kind {
        StoredKind::Repository => custom_resource(porch_api::Repository::crd()),
        StoredKind::PackageRev => custom_resource(porch_api::PackageRev::crd()),
        StoredKind::FunctionConfig => custom_resource(porch_api::FunctionConfig::crd()),
        StoredKind::Secret => Schema::builtin::<Secret>(),
        StoredKind::Namespace => Schema::builtin::<Namespace>(),
    };
    loaded.unwrap_or_else(|e| panic!("the schema of {} does not load: {e}", kind.kind()))
}

/// The storage version's schema of `crd`, with `apiVersion`, `kind` and `metadata` added.
fn custom_resource(crd: CustomResourceDefinition) -> Result<Schema, porch_layers::schema::SchemaError> {
    let version = crd.spec.versions.into_iter().find(|v| v.storage);
    let published = version.and_then(|v| v.schema).and_then(|s| s.open_api_v3_schema);
    let mut root = serde_json::to_value(published).unwrap_or(Value::Null);
    if !root.is_object() {
        root = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
    }
    let meta = object_meta::schema();
    if let Some(map) = root.as_object_mut() {
        let props = map.entry("properties").or_insert_with(|| json!({}));
        if let Some(props) = props.as_object_mut() {
            props.insert("apiVersion".into(), json!({"type": "string"}));
            props.insert("kind".into(), json!({"type": "string"}));
            props.insert("metadata".into(), meta.root().clone());
        }
    }
    Schema::new(root, meta.definitions().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_schema_that_loads() {
        for kind in StoredKind::ALL {
            let schema = of(kind);
            assert!(schema.root().is_object(), "{kind:?}");
        }
    }

    #[test]
    fn the_repository_schema_is_the_published_crd_plus_type_and_object_meta() {
        let crd = serde_json::to_value(porch_api::Repository::crd()).unwrap();
        let published = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        let root = of(StoredKind::Repository).root();
        assert_eq!(root["properties"]["spec"], published["properties"]["spec"]);
        assert_eq!(root["required"], json!(["spec"]));
        assert_eq!(root["properties"]["metadata"], *object_meta::schema().root());
    }
}
