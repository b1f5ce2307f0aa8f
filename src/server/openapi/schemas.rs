//! The component schemas of one group-version: every served kind and its list, plus every
//! schema they reference, under kube-style names (`io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`,
//! `dev.kpt.porch.config.v1alpha1.Repository`).

use super::normalize::{V3_REF_PREFIX, for_each_subschema, normalize, ref_target, rewrite_refs};
use crate::server::resources::ResourceDef;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use porch_api::gvk::{CONFIG_GROUP, PORCH_GROUP};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

pub(super) const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
pub(super) const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
pub(super) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(super) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(super) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";

const API_VERSION_DOC: &str = "APIVersion defines the versioned schema of this representation of an object. \
Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. \
More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DOC: &str = "Kind is a string value representing the REST resource this object represents. \
Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. \
More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const OBJECT_META_DOC: &str = "Standard object's metadata. \
More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const LIST_META_DOC: &str = "Standard list metadata. \
More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/// The component schemas of one group-version.
#[derive(Debug, Default)]
pub(super) struct GvSchemas {
    /// Name -> schema, sorted by name.
    pub(super) components: Map<String, Value>,
    /// Kind -> component name of its schema (lists included).
    pub(super) kinds: Vec<(String, String)>,
}

impl GvSchemas {
    /// The component name of `kind`'s schema.
    pub(super) fn name_of(&self, kind: &str) -> Option<&str> {
        self.kinds.iter().find(|(k, _)| k == kind).map(|(_, n)| n.as_str())
    }
}

/// The schema schemars generates for a served kind (a `$ref` or an inline schema), or `None`
/// for a kind this build has no type for.
fn kind_schema(g: &mut SchemaGenerator, group: &str, kind: &str) -> Option<Value> {
    let schema = match (group, kind) {
        (PORCH_GROUP, "PackageRevision") => g.subschema_for::<porch_api::PackageRevision>(),
        (PORCH_GROUP, "PackageRevisionResources") => g.subschema_for::<porch_api::PackageRevisionResources>(),
        (PORCH_GROUP, "PorchPackage") => g.subschema_for::<porch_api::PorchPackage>(),
        (CONFIG_GROUP, "Repository") => g.subschema_for::<porch_api::Repository>(),
        (CONFIG_GROUP, "PackageRev") => g.subschema_for::<porch_api::PackageRev>(),
        (CONFIG_GROUP, "FunctionConfig") => g.subschema_for::<porch_api::FunctionConfig>(),
        ("", "Secret") => g.subschema_for::<core::Secret>(),
        ("", "Namespace") => g.subschema_for::<core::Namespace>(),
        _ => return None,
    };
    Some(schema.into())
}

/// The name prefix of this group-version's own (non-Kubernetes) types: the reversed group,
/// then the version (`dev.kpt.porch.config.v1alpha1`).
pub(super) fn name_prefix(group: &str, version: &str) -> String {
    if group.is_empty() {
        return format!("io.k8s.api.core.{version}");
    }
    let reversed: Vec<&str> = group.split('.').rev().collect();
    format!("{}.{version}", reversed.join("."))
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!([{"group": group, "kind": kind, "version": version}])
}

fn ref_to(name: &str) -> Value {
    json!({ "$ref": format!("{V3_REF_PREFIX}{name}") })
}

/// Builds the components of the resources `defs` (all of one group-version).
pub(super) fn build(group: &str, version: &str, defs: &[&ResourceDef]) -> GvSchemas {
    let mut generator = SchemaSettings::openapi3()
        .with(|s| {
            s.transforms.clear();
            s.meta_schema = None;
        })
        .into_generator();
    let mut tops: Vec<(&ResourceDef, Option<Value>)> = Vec::new();
    for def in defs {
        tops.push((def, kind_schema(&mut generator, group, def.kind)));
    }
    // The shared meta types every document references.
    let _ = generator.subschema_for::<meta::ObjectMeta>();
    let _ = generator.subschema_for::<meta::ListMeta>();
    let _ = generator.subschema_for::<meta::DeleteOptions>();
    let _ = generator.subschema_for::<meta::Status>();
    let mut raw: Vec<(String, Value)> = generator.take_definitions(false).into_iter().collect();

    // Every top-level kind gets a component of its own, even when schemars inlined it.
    let mut kind_names: Vec<(String, String)> = Vec::new();
    for (def, top) in tops {
        let top = top.unwrap_or_else(
            || json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {}}),
        );
        let name = match top.get("$ref").and_then(Value::as_str).and_then(ref_target) {
            Some(target) => target.to_string(),
            None => {
                raw.retain(|(n, _)| n != def.kind);
                raw.push((def.kind.to_string(), top));
                def.kind.to_string()
            }
        };
        kind_names.push((def.kind.to_string(), name));
    }

    let mut hoisted = Vec::new();
    for (_, schema) in raw.iter_mut() {
        normalize(schema, &mut hoisted);
    }
    for (name, schema) in hoisted {
        if !raw.iter().any(|(n, _)| *n == name) {
            raw.push((name, schema));
        }
    }

    for (name, schema) in raw.iter_mut() {
        if !name.contains('.') {
            close_empty_objects(schema);
        }
    }

    let prefix = name_prefix(group, version);
    let rename = |name: &str| if name.contains('.') { name.to_string() } else { format!("{prefix}.{name}") };
    let rewrite = |r: &str| match ref_target(r) {
        Some(target) => format!("{V3_REF_PREFIX}{}", rename(target)),
        None => r.to_string(),
    };
    let mut components = Map::new();
    for (name, mut schema) in raw {
        rewrite_refs(&mut schema, &rewrite);
        components.insert(rename(&name), schema);
    }
    components.insert(
        PATCH.into(),
        json!({
            "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
            "type": "object"
        }),
    );

    let mut out = GvSchemas::default();
    for (def, (_, raw_name)) in defs.iter().zip(kind_names) {
        let name = rename(&raw_name);
        if let Some(Value::Object(schema)) = components.get_mut(&name) {
            complete_top_level(schema);
            schema.insert("x-kubernetes-group-version-kind".into(), gvk(group, version, def.kind));
        }
        let list_name = rename(def.list_kind);
        components.insert(list_name.clone(), list_schema(group, version, def, &name));
        out.kinds.push((def.kind.to_string(), name));
        out.kinds.push((def.list_kind.to_string(), list_name));
    }
    let mut sorted: Vec<(String, Value)> = components.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    out.components = sorted.into_iter().collect();
    out
}

/// Gives the object schemas of empty Rust structs (`type: object` and nothing else) an empty
/// `properties`, so that pruning treats them as closed, as the apiserver does for CRDs. Only
/// for porch-api types: Kubernetes types use bare `type: object` for free-form JSON (FieldsV1).
fn close_empty_objects(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    for_each_subschema(map, |sub, _| close_empty_objects(sub));
    let open_keys = [
        "properties",
        "additionalProperties",
        "patternProperties",
        "x-kubernetes-preserve-unknown-fields",
        "allOf",
    ];
    if map.get("type") == Some(&Value::from("object")) && !open_keys.iter().any(|k| map.contains_key(*k)) {
        map.insert("properties".into(), Value::Object(Map::new()));
    }
}

/// Puts `apiVersion`, `kind` and `metadata` first among a top-level kind's properties, adding
/// whichever the generated schema lacks.
fn complete_top_level(schema: &mut Map<String, Value>) {
    schema.entry("type").or_insert_with(|| Value::from("object"));
    let mut props = match schema.remove("properties") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    let mut ordered = Map::new();
    for (key, default) in [
        ("apiVersion", json!({"description": API_VERSION_DOC, "type": "string"})),
        ("kind", json!({"description": KIND_DOC, "type": "string"})),
        ("metadata", json!({"allOf": [ref_to(OBJECT_META)], "default": {}, "description": OBJECT_META_DOC})),
    ] {
        ordered.insert(key.into(), props.remove(key).unwrap_or(default));
    }
    ordered.extend(props);
    schema.insert("properties".into(), Value::Object(ordered));
}

fn list_schema(group: &str, version: &str, def: &ResourceDef, item_name: &str) -> Value {
    json!({
        "description": format!("{} is a list of {}.", def.list_kind, def.kind),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"description": API_VERSION_DOC, "type": "string"},
            "items": {
                "description": format!("List of {}.", def.resource),
                "type": "array",
                "items": ref_to(item_name),
            },
            "kind": {"description": KIND_DOC, "type": "string"},
            "metadata": {"allOf": [ref_to(LIST_META)], "default": {}, "description": LIST_META_DOC},
        },
        "x-kubernetes-group-version-kind": gvk(group, version, def.list_kind),
    })
}
