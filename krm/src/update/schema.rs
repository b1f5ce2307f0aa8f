//! Which lists are associative: the fields of each kind that lead to lists with patch
//! strategy `merge`, and their merge keys.
//!
//! kyaml reads these from the Kubernetes OpenAPI it ships (v1.21.2) plus the schemas of the
//! package's CRDs. The built-in table here, `k8s_merge_keys.txt`, was generated from the
//! `/openapi/v2` of a kube-apiserver v1.36.2 by `tests/update_schema_live.rs` (run it with
//! `--ignored` to check it, `REGENERATE=1` to rewrite it). It keeps only what leads to a merge
//! list; every other list is non-associative.
//!
//! Lines of the table:
//! - `kind <group or -> <version> <Kind> <type>`: the type of a kind;
//! - `field <type> <name or *> <type>`: an object field (`*`: the values of a map);
//! - `list <type> <name or *> <element type or -> <keys, comma-separated, or ->`: a list with
//!   patch strategy `merge`, its merge keys (`x-kubernetes-list-map-keys`, else
//!   `x-kubernetes-patch-merge-key`; `-`: a list of scalars merged by value).
//!
//! Differs from kpt:
//! - the table is Kubernetes 1.36's, not 1.21's: kinds added since are known, and a
//!   `group/version` that 1.36 no longer serves (`batch/v1beta1` CronJob,
//!   `policy/v1beta1` PodDisruptionBudget) is looked up by group and kind in another version;
//! - kyaml registers CRD schemas in a process-wide registry, so a CRD seen in one update
//!   still counts in the next; here only the CRDs of the update at hand count;
//! - per-field schemas in comments (`# {"$openapi": ...}`) are not read.
//!
//! As kpt: only the CRDs of the local package count (`getCrdSchemas` copies the updated ones
//! into a nil slice), and when one of them lacks its group, kind, versions or schema, none
//! counts (kpt logs the error and goes on without CRD schemas).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::Node;

/// The generated table of built-in kinds.
const BUILTIN: &str = include_str!("k8s_merge_keys.txt");

/// Object types and the kinds they belong to.
#[derive(Debug, Default)]
pub(super) struct Table {
    types: Vec<TypeDef>,
    names: HashMap<String, usize>,
    kinds: HashMap<(String, String, String), usize>,
    group_kinds: HashMap<(String, String), usize>,
}

#[derive(Debug, Default)]
struct TypeDef {
    fields: HashMap<String, FieldDef>,
    /// The values of a map (`additionalProperties`).
    any: Option<FieldDef>,
}

#[derive(Debug, Clone)]
enum FieldDef {
    Object(usize),
    MergeList { keys: Vec<String>, item: Option<usize> },
}

/// An object type of a [`Table`].
#[derive(Clone, Copy, Debug)]
pub(super) struct TypeRef<'a> {
    table: &'a Table,
    id: usize,
}

/// What the schema says about a field.
#[derive(Clone, Copy, Debug)]
pub(super) enum Shape<'a> {
    /// An object with fields that lead to merge lists.
    Object(TypeRef<'a>),
    /// A list with patch strategy `merge`: its merge keys (empty: scalars merged by value) and
    /// its element type.
    MergeList { keys: &'a [String], item: Option<TypeRef<'a>> },
}

impl<'a> TypeRef<'a> {
    /// The schema of field `key`, if it leads to a merge list.
    pub(super) fn field(self, key: &str) -> Option<Shape<'a>> {
        let def = &self.table.types[self.id];
        let field = def.fields.get(key).or(def.any.as_ref())?;
        Some(match field {
            FieldDef::Object(id) => Shape::Object(TypeRef { table: self.table, id: *id }),
            FieldDef::MergeList { keys, item } => {
                Shape::MergeList { keys, item: item.map(|id| TypeRef { table: self.table, id }) }
            }
        })
    }
}

impl Table {
    fn type_id(&mut self, name: &str) -> usize {
        if let Some(id) = self.names.get(name) {
            return *id;
        }
        self.types.push(TypeDef::default());
        self.names.insert(name.to_string(), self.types.len() - 1);
        self.types.len() - 1
    }

    fn add_kind(&mut self, group: &str, version: &str, kind: &str, id: usize) {
        self.kinds.insert((group.to_string(), version.to_string(), kind.to_string()), id);
        self.group_kinds.entry((group.to_string(), kind.to_string())).or_insert(id);
    }

    /// Reads the text form (see the module documentation).
    fn parse(text: &str) -> Table {
        let mut t = Table::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let f: Vec<&str> = line.split_whitespace().collect();
            fn opt(s: &str) -> Option<&str> {
                if s == "-" { None } else { Some(s) }
            }
            match f.as_slice() {
                ["kind", group, version, kind, ty] => {
                    let id = t.type_id(ty);
                    t.add_kind(opt(group).unwrap_or(""), version, kind, id);
                }
                ["field", ty, name, target] => {
                    let (id, target) = (t.type_id(ty), t.type_id(target));
                    t.set(id, name, FieldDef::Object(target));
                }
                ["list", ty, name, item, keys] => {
                    let id = t.type_id(ty);
                    let item = opt(item).map(|i| t.type_id(i));
                    let keys =
                        opt(keys).map(|k| k.split(',').map(str::to_string).collect()).unwrap_or_default();
                    t.set(id, name, FieldDef::MergeList { keys, item });
                }
                _ => panic!("k8s_merge_keys.txt: bad line {line:?}"),
            }
        }
        t
    }

    fn set(&mut self, id: usize, name: &str, def: FieldDef) {
        if name == "*" {
            self.types[id].any = Some(def);
        } else {
            self.types[id].fields.insert(name.to_string(), def);
        }
    }

    /// Adds the schemas of a CRD (as JSON). `Err` when it lacks a group, a kind, versions, or
    /// a version's name or `schema.openAPIV3Schema`.
    fn add_crd(&mut self, crd: &Value) -> Result<(), ()> {
        let spec = &crd["spec"];
        let group = spec["group"].as_str().ok_or(())?;
        let kind = spec["names"]["kind"].as_str().ok_or(())?;
        for version in spec["versions"].as_array().ok_or(())? {
            let name = version["name"].as_str().ok_or(())?;
            let schema = version["schema"]["openAPIV3Schema"].as_object().ok_or(())?;
            let id = self.crd_object(&Value::Object(schema.clone())).unwrap_or_else(|| {
                self.types.push(TypeDef::default());
                self.types.len() - 1
            });
            self.add_kind(group, name, kind, id);
        }
        Ok(())
    }

    /// The type of an object schema, if it leads to a merge list.
    fn crd_object(&mut self, schema: &Value) -> Option<usize> {
        let mut def = TypeDef::default();
        for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(f) = self.crd_field(prop) {
                def.fields.insert(name.clone(), f);
            }
        }
        if schema["additionalProperties"].is_object() {
            def.any = self.crd_field(&schema["additionalProperties"]);
        }
        if def.fields.is_empty() && def.any.is_none() {
            return None;
        }
        self.types.push(def);
        Some(self.types.len() - 1)
    }

    fn crd_field(&mut self, prop: &Value) -> Option<FieldDef> {
        if let Some(strategy) = prop["x-kubernetes-patch-strategy"].as_str() {
            if !strategy.split(',').any(|s| s == "merge") {
                return None;
            }
            let keys = match (&prop["x-kubernetes-list-map-keys"], &prop["x-kubernetes-patch-merge-key"]) {
                (Value::Array(keys), _) => {
                    keys.iter().filter_map(Value::as_str).map(str::to_string).collect()
                }
                (_, Value::String(key)) => vec![key.clone()],
                _ => Vec::new(),
            };
            let item = if prop["type"] == "array" { self.crd_object(&prop["items"]) } else { None };
            return Some(FieldDef::MergeList { keys, item });
        }
        if prop["type"] == "array" {
            return None;
        }
        self.crd_object(prop).map(FieldDef::Object)
    }

    fn lookup(&self, group: &str, version: &str, kind: &str, by_group_kind: bool) -> Option<TypeRef<'_>> {
        let key = (group.to_string(), version.to_string(), kind.to_string());
        let id = match self.kinds.get(&key) {
            Some(id) => *id,
            None if by_group_kind => *self.group_kinds.get(&(key.0, key.2))?,
            None => return None,
        };
        Some(TypeRef { table: self, id })
    }
}

fn builtin() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Table::parse(BUILTIN))
}

/// The schemas an update merges with: the built-in kinds and the local package's CRDs.
#[derive(Debug, Default)]
pub(super) struct Schema {
    crds: Table,
    /// No schema at all (the Kptfile merge).
    none: bool,
}

impl Schema {
    /// No schema: every list is non-associative (unless inferred).
    pub(super) fn none() -> Schema {
        Schema { none: true, ..Schema::default() }
    }

    /// The built-in kinds plus the CRDs among `resources`.
    pub(super) fn with_crds<'n>(resources: impl IntoIterator<Item = &'n Node>) -> Schema {
        let mut crds = Table::default();
        for r in resources {
            if r.get("kind").and_then(Node::as_str) != Some("CustomResourceDefinition") {
                continue;
            }
            let ok = r.to_json().ok().is_some_and(|json| crds.add_crd(&json).is_ok());
            if !ok {
                return Schema::default();
            }
        }
        Schema { crds, none: false }
    }

    /// The type of a kind, if it has fields that lead to merge lists.
    pub(super) fn for_kind(&self, api_version: &str, kind: &str) -> Option<TypeRef<'_>> {
        if self.none {
            return None;
        }
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        self.crds
            .lookup(group, version, kind, false)
            .or_else(|| builtin().lookup(group, version, kind, false))
            .or_else(|| builtin().lookup(group, version, kind, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_keys(schema: &Schema, api: &str, kind: &str, path: &[&str]) -> Option<Vec<String>> {
        let mut ty = schema.for_kind(api, kind)?;
        for (i, p) in path.iter().enumerate() {
            match ty.field(p)? {
                Shape::Object(t) => ty = t,
                Shape::MergeList { keys, item } => {
                    if i + 1 == path.len() {
                        return Some(keys.to_vec());
                    }
                    ty = item?;
                }
            }
        }
        None
    }

    #[test]
    fn the_builtin_table_knows_pod_templates_and_services() {
        let s = Schema::default();
        let spec = ["spec", "template", "spec"];
        for kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] {
            let containers = [&spec[..], &["containers"]].concat();
            assert_eq!(path_keys(&s, "apps/v1", kind, &containers), Some(vec!["name".into()]), "{kind}");
            let env = [&spec[..], &["initContainers", "env"]].concat();
            assert_eq!(path_keys(&s, "apps/v1", kind, &env), Some(vec!["name".into()]), "{kind}");
        }
        let job = ["spec", "jobTemplate", "spec", "template", "spec", "volumes"];
        assert_eq!(path_keys(&s, "batch/v1", "CronJob", &job), Some(vec!["name".into()]));
        // batch/v1beta1 is gone from 1.36: found by group and kind.
        assert_eq!(path_keys(&s, "batch/v1beta1", "CronJob", &job), Some(vec!["name".into()]));
        assert_eq!(
            path_keys(&s, "v1", "Pod", &["spec", "containers", "ports"]),
            Some(vec!["containerPort".into(), "protocol".into()])
        );
        assert_eq!(
            path_keys(&s, "v1", "Service", &["spec", "ports"]),
            Some(vec!["port".into(), "protocol".into()])
        );
        assert_eq!(path_keys(&s, "v1", "ConfigMap", &["metadata", "finalizers"]), Some(vec![]));
        assert_eq!(path_keys(&s, "v1", "Service", &["spec", "externalIPs"]), None, "not a merge list");
        assert!(Schema::none().for_kind("apps/v1", "Deployment").is_none());
        assert!(s.for_kind("example.com/v1", "Widget").is_none());
    }

    #[test]
    fn crd_schemas_add_their_kinds_and_a_broken_crd_drops_them_all() {
        let crd = crate::Stream::parse(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: fruit.example\n  \
             names: {kind: Store}\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        type: object\n        \
             properties:\n          spec:\n            type: object\n            properties:\n              fruits:\n                \
             type: array\n                x-kubernetes-patch-strategy: merge\n                x-kubernetes-patch-merge-key: name\n                \
             items: {type: object}\n              tags: {type: array, items: {type: string}}\n",
        )
        .unwrap()
        .documents
        .remove(0)
        .root
        .unwrap();
        let s = Schema::with_crds([&crd]);
        assert_eq!(
            path_keys(&s, "fruit.example/v1", "Store", &["spec", "fruits"]),
            Some(vec!["name".into()])
        );
        assert_eq!(path_keys(&s, "fruit.example/v1", "Store", &["spec", "tags"]), None);
        let broken = crate::Stream::parse("kind: CustomResourceDefinition\nspec: {group: x}\n").unwrap();
        let s = Schema::with_crds([&crd, broken.documents[0].root.as_ref().unwrap()]);
        assert_eq!(path_keys(&s, "fruit.example/v1", "Store", &["spec", "fruits"]), None);
    }
}
