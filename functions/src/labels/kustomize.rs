//! set-labels v0.1.5 and set-annotations v0.1.4: kustomize's LabelTransformer and
//! AnnotationsTransformer (kustomize api v0.8.11) run as kpt functions by kyaml's function
//! framework.
//!
//! Configuration: a `v1` `ConfigMap` whose `data` holds the entries, or a `fn.kpt.dev/v1alpha1`
//! kind of the function (`SetLabels` or the legacy `SetLabelConfig`; `SetAnnotations` or
//! `SetAnnotationConfig`) with the entries (`labels`, `annotations`) and more field specs
//! (`additionalLabelFields`, `additionalAnnotationFields`, or their deprecated name
//! `fieldSpecs`, not both). The kind is read as `sigs.k8s.io/yaml` reads it: YAML 1.1, numbers
//! and booleans taken as strings where strings are expected, a type error for the rest.
//!
//! Every resource is changed, local-config ones included (kustomize's resource factory is told
//! to include them). For each entry, in key order, the configuration's field specs and then the
//! built-in ones (`crate::kustomize::common`) are written. Two resources with one identity fail the
//! run, as kustomize's resource map refuses them. A failure is one error result
//! (`failed to configure function: …`, `failed to run function: …`) and exit code 1; a
//! successful run reports nothing.

use std::collections::BTreeMap;
use std::fmt;

use porch_krm::{Node, NodeKind, ResourceList};

use super::{CONFIG_API_VERSION, yaml_text};
use crate::go::{self, Json};
use crate::kustomize::common::{self, Row};
use crate::kustomize::field_spec::FieldSpec;
use crate::kustomize::group_version;
use crate::result::{FnResult, Severity};
use crate::{Outcome, object, scope};

/// The deprecated name of the field of additional field specs.
const FIELD_SPECS: &str = "fieldSpecs";

/// One of the two transformers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Transformer {
    /// What an entry is called in messages: `label`, `annotation`.
    pub(super) noun: &'static str,
    /// The configuration kind's field of entries.
    pub(super) entries_field: &'static str,
    /// Its field of additional field specs.
    pub(super) additional_field: &'static str,
    /// The configuration kind and its legacy name.
    pub(super) kinds: [&'static str; 2],
    /// The message for a configuration of another kind.
    pub(super) wrong_config: &'static str,
    /// The built-in field specs.
    pub(super) defaults: &'static [Row],
}

/// What to write where.
#[derive(Debug)]
struct Config {
    /// The entries, by key.
    entries: BTreeMap<String, String>,
    /// The configuration's field specs, then the built-in ones.
    specs: Vec<FieldSpec>,
}

impl Transformer {
    /// Runs over `list`.
    pub(super) fn run(&self, list: &mut ResourceList) -> Outcome {
        match self.apply(list) {
            Ok(()) => Outcome { results: Vec::new(), exit_code: 0 },
            Err(message) => {
                Outcome { results: vec![FnResult::general(message, Severity::Error)], exit_code: 1 }
            }
        }
    }

    fn apply(&self, list: &mut ResourceList) -> Result<(), String> {
        let config = self
            .config(list.function_config.as_ref())
            .map_err(|e| format!("failed to configure function: {e}"))?;
        // kustomize's resource factory leaves out empty documents.
        let mut objects: Vec<&mut Node> = list
            .items
            .iter_mut()
            .filter_map(|d| d.root.as_mut())
            .filter(|o| o.as_mapping().is_some_and(|m| !m.is_empty()))
            .collect();
        check_ids(&objects).map_err(|e| format!("failed to run function: {e}"))?;
        for object in &mut objects {
            for (key, value) in &config.entries {
                for spec in &config.specs {
                    spec.set_entry(object, key, value)
                        .map_err(|e| format!("failed to run function: failed to run transformer: {e}"))?;
                }
            }
        }
        Ok(())
    }

    fn config(&self, config: Option<&Node>) -> Result<Config, String> {
        let config = config.filter(|c| c.kind() == NodeKind::Mapping);
        let (entries, mut specs) = match config.map(|c| (c, object::api_version(c), object::kind(c))) {
            Some((c, "v1", "ConfigMap")) => (data_map(c), Vec::new()),
            Some((c, CONFIG_API_VERSION, kind)) if self.kinds.contains(&kind) => self.plugin_config(c)?,
            _ => return Err(self.wrong_config.into()),
        };
        if entries.is_empty() {
            return Err(format!("input {} list cannot be empty", self.noun));
        }
        specs.extend(common::table(self.defaults));
        Ok(Config { entries, specs })
    }

    /// The entries and field specs of the function's own kind, decoded as the plugin's
    /// `Config` decodes them.
    fn plugin_config(&self, config: &Node) -> Result<(BTreeMap<String, String>, Vec<FieldSpec>), String> {
        let mut entries = None;
        let mut field_specs = None;
        let mut additional = None;
        let mut first_error = None;
        // JSON has the fields in key order; the first type error is the one reported.
        for (key, value) in sorted_pairs(config) {
            let decoded = if key == self.entries_field {
                string_map(value, &key).map(|m| entries = m)
            } else if key == FIELD_SPECS {
                field_specs_of(value, &key).map(|s| field_specs = s)
            } else if key == self.additional_field {
                field_specs_of(value, &key).map(|s| additional = s)
            } else {
                continue;
            };
            if let Err(e) = decoded {
                first_error.get_or_insert(e);
            }
        }
        if let Some(e) = first_error {
            return Err(format!(
                "failed to unmarshal config {}: error unmarshaling JSON: while decoding JSON: {e}",
                go::go_quote(&yaml_text(config))
            ));
        }
        if additional.is_some() && field_specs.is_some() {
            return Err(format!(
                "`{FIELD_SPECS}` has been deprecated, please rename it to `{}`",
                self.additional_field
            ));
        }
        Ok((entries.unwrap_or_default(), additional.or(field_specs).unwrap_or_default()))
    }
}

/// A ConfigMap's `data` as kyaml's `GetDataMap` reads it: each value's text (empty for a
/// collection), nothing when `data` is not a mapping.
fn data_map(config: &Node) -> BTreeMap<String, String> {
    config
        .get("data")
        .and_then(Node::as_mapping)
        .into_iter()
        .flatten()
        .map(|p| (p.key.as_str().unwrap_or_default().into(), p.value.as_str().unwrap_or_default().into()))
        .collect()
}

/// A mapping's pairs with their keys as `sigs.k8s.io/yaml` makes them strings, in key order.
fn sorted_pairs(node: &Node) -> Vec<(String, &Node)> {
    let mut pairs: Vec<(String, &Node)> = node
        .as_mapping()
        .into_iter()
        .flatten()
        .map(|p| {
            let key = go::yaml11(&p.key).coerced_string().ok().flatten();
            (key.unwrap_or_else(|| p.key.as_str().unwrap_or_default().into()), &p.value)
        })
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
}

/// A `map[string]string` field of the plugin.
fn string_map(value: &Node, field: &str) -> Result<Option<BTreeMap<String, String>>, String> {
    match go::yaml11(value) {
        Json::Null => Ok(None),
        Json::Object => {
            let mut map = BTreeMap::new();
            let mut first_error = None;
            for (key, v) in sorted_pairs(value) {
                match go::yaml11(v).coerced_string() {
                    Ok(s) => {
                        map.insert(key, s.unwrap_or_default());
                    }
                    Err(kind) => {
                        first_error.get_or_insert_with(|| go::type_error(kind, "plugin", field, "string"));
                    }
                }
            }
            first_error.map_or(Ok(Some(map)), Err)
        }
        other => Err(go::type_error(other.kind(), "plugin", field, "map[string]string")),
    }
}

/// A `[]types.FieldSpec` field of the plugin.
fn field_specs_of(value: &Node, field: &str) -> Result<Option<Vec<FieldSpec>>, String> {
    match go::yaml11(value) {
        Json::Null => Ok(None),
        Json::Array => {
            let mut specs = Vec::new();
            let mut first_error = None;
            for item in value.as_sequence().into_iter().flatten() {
                match field_spec(item, field) {
                    Ok(spec) => specs.push(spec),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            first_error.map_or(Ok(Some(specs)), Err)
        }
        other => Err(go::type_error(other.kind(), "plugin", field, "[]types.FieldSpec")),
    }
}

/// One `types.FieldSpec`: `group`, `version`, `kind`, `path` and `create`.
fn field_spec(item: &Node, field: &str) -> Result<FieldSpec, String> {
    let mut spec = FieldSpec::default();
    match go::yaml11(item) {
        Json::Null => return Ok(spec),
        Json::Object => {}
        other => return Err(go::type_error(other.kind(), "plugin", field, "types.FieldSpec")),
    }
    let mut first_error = None;
    for (key, value) in sorted_pairs(item) {
        let error =
            |kind: &str, go_type: &str| go::type_error(kind, "FieldSpec", &format!("{field}.{key}"), go_type);
        let target = match key.as_str() {
            "group" => &mut spec.group,
            "version" => &mut spec.version,
            "kind" => &mut spec.kind,
            "path" => &mut spec.path,
            "create" => {
                match go::yaml11(value) {
                    Json::Null => {}
                    Json::Bool(b) => spec.create = b,
                    other => {
                        first_error.get_or_insert_with(|| error(other.kind(), "bool"));
                    }
                }
                continue;
            }
            _ => continue,
        };
        match go::yaml11(value).coerced_string() {
            Ok(s) => *target = s.unwrap_or_default(),
            Err(kind) => {
                first_error.get_or_insert_with(|| error(kind, "string"));
            }
        }
    }
    first_error.map_or(Ok(spec), Err)
}

/// A resource's identity as kustomize's resource map keys it.
#[derive(Debug)]
struct ResId {
    group: String,
    version: String,
    kind: String,
    name: String,
    namespace: String,
    cluster_scoped: bool,
}

impl ResId {
    fn of(object: &Node) -> Self {
        let api_version = object::api_version(object);
        let (group, version) = group_version(api_version);
        let kind = object::kind(object);
        Self {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            name: object::name(object).into(),
            namespace: object::namespace(object).unwrap_or_default().into(),
            cluster_scoped: scope::builtin_namespaced(api_version, kind) == Some(false),
        }
    }

    /// The namespace identities compare: none for a cluster-scoped kind, `default` for none.
    fn effective_namespace(&self) -> Option<&str> {
        match self.namespace.as_str() {
            _ if self.cluster_scoped => None,
            "" => Some("default"),
            namespace => Some(namespace),
        }
    }

    fn same(&self, other: &Self) -> bool {
        (&self.group, &self.version, &self.kind, &self.name)
            == (&other.group, &other.version, &other.kind, &other.name)
            && self.effective_namespace() == other.effective_namespace()
    }
}

impl fmt::Display for ResId {
    /// `<group>_<version>_<kind>|<namespace>|<name>`, `~G`, `~V`, `~K`, `~X`, `~N` for empty
    /// parts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or = |s: &str, none: &'static str| if s.is_empty() { none.to_string() } else { s.to_string() };
        write!(
            f,
            "{}_{}_{}|{}|{}",
            or(&self.group, "~G"),
            or(&self.version, "~V"),
            or(&self.kind, "~K"),
            or(&self.namespace, "~X"),
            or(&self.name, "~N")
        )
    }
}

/// Refuses a second resource with the identity of an earlier one.
fn check_ids(objects: &[&mut Node]) -> Result<(), String> {
    let mut seen: Vec<ResId> = Vec::new();
    for object in objects {
        let id = ResId::of(object);
        if seen.iter().any(|s| s.same(&id)) {
            return Err(format!("may not add resource with an already registered id: {id}"));
        }
        seen.push(id);
    }
    Ok(())
}
