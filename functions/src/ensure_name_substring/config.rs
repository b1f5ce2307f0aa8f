//! ensure-name-substring's configuration, read as the catalog reads it (kyaml's
//! `LoadFunctionConfig`, then `sigs.k8s.io/yaml` into the Go types): a `v1` `ConfigMap` with one
//! `data` entry, `prepend` or `append`, whose value is the substring; or `fn.kpt.dev/v1alpha1
//! EnsureNameSubstring` with `substring`, `editMode` (default `prepend`) and
//! `additionalNameFields` (or its deprecated name `fieldSpecs`, not both).

use porch_krm::{Node, NodeKind, ScalarType};

use crate::go;
use crate::kustomize::field_spec::FieldSpec;

const API_VERSION: &str = "fn.kpt.dev/v1alpha1";
const KIND: &str = "EnsureNameSubstring";
const JSON_ERROR: &str = "error unmarshaling JSON: while decoding JSON: ";

/// Where the substring goes when a name lacks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum EditMode {
    Prepend,
    Append,
    /// Any other value of `editMode` (not refused; nothing is added).
    Other,
}

/// What one run does.
#[derive(Debug)]
pub(super) struct Config {
    pub(super) substring: String,
    pub(super) edit_mode: EditMode,
    /// The configuration's field specs (after the built-in `metadata/name`).
    pub(super) additional: Vec<FieldSpec>,
}

/// Reads and checks the configuration (a missing one has an empty substring).
pub(super) fn read(config: Option<&Node>) -> Result<Config, String> {
    let mut out = Config { substring: String::new(), edit_mode: EditMode::Prepend, additional: Vec::new() };
    let Some(config) = config else { return validate(out) };
    let meta = Meta::of(config)?;
    if meta.api_version == "v1" && meta.kind == "ConfigMap" {
        config_map(config, &mut out)?;
    } else if meta.api_version == API_VERSION && meta.kind == KIND {
        let (fields, legacy) = own_kind(config, &mut out)?;
        // Defaulting, then validation, as the catalog's `Default` and `Validate` do.
        out.additional = match (fields, legacy) {
            (Some(_), Some(_)) if !out.substring.is_empty() => {
                return Err(
                    "`fieldSpecs` has been deprecated, please rename it to `additionalNameFields`".into()
                );
            }
            (Some(fields), _) => fields,
            (None, Some(legacy)) => legacy,
            (None, None) => Vec::new(),
        };
    } else {
        return Err(format!(
            "function config must be either /v1, Kind=ConfigMap or {API_VERSION}, Kind={KIND}, but we got: {}",
            gvk_text(&meta.api_version, &meta.kind)
        ));
    }
    validate(out)
}

fn validate(config: Config) -> Result<Config, String> {
    if config.substring.is_empty() {
        return Err("substring must not be empty".into());
    }
    Ok(config)
}

/// apimachinery's `GroupVersionKind.String()` of `FromAPIVersionAndKind`.
fn gvk_text(api_version: &str, kind: &str) -> String {
    let (group, version) = match api_version.matches('/').count() {
        _ if api_version.is_empty() || api_version == "/" => ("", ""),
        0 => ("", api_version),
        1 => api_version.split_once('/').unwrap_or_default(),
        _ => ("", ""),
    };
    format!("{group}/{version}, Kind={kind}")
}

/// kyaml's `GetValidatedMetadata` of the configuration.
struct Meta {
    api_version: String,
    kind: String,
}

impl Meta {
    fn of(config: &Node) -> Result<Self, String> {
        let text = |node: Option<&Node>| {
            node.filter(|n| !n.is_null()).and_then(Node::as_str).unwrap_or_default().to_string()
        };
        let set = |node: Option<&Node>| {
            node.is_some_and(|n| {
                !(n.is_null()
                    || n.as_mapping().is_some_and(Vec::is_empty)
                    || n.as_sequence().is_some_and(Vec::is_empty))
            })
        };
        let metadata = config.get("metadata");
        let map = |key: &str| -> Vec<(String, String)> {
            let mut pairs: Vec<(String, String)> = metadata
                .and_then(|m| m.get(key))
                .and_then(Node::as_mapping)
                .into_iter()
                .flatten()
                .map(|p| (text(Some(&p.key)), text(Some(&p.value))))
                .collect();
            pairs.sort();
            pairs.dedup_by(|a, b| a.0 == b.0);
            pairs
        };
        let name = text(metadata.and_then(|m| m.get("name")));
        let namespace = text(metadata.and_then(|m| m.get("namespace")));
        let meta = Self { api_version: text(config.get("apiVersion")), kind: text(config.get("kind")) };
        let any_meta = set(config.get("apiVersion"))
            || set(config.get("kind"))
            || ["name", "namespace", "labels", "annotations"]
                .iter()
                .any(|k| set(metadata.and_then(|m| m.get(k))));
        if !any_meta {
            return Err("missing Resource metadata".into());
        }
        let go_map = |pairs: Vec<(String, String)>| {
            let items: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("map[{}]", items.join(" "))
        };
        let printed = || {
            format!(
                "{{{{{} {}}} {{{{{name} {namespace}}} {} {}}}}}",
                meta.api_version,
                meta.kind,
                go_map(map("labels")),
                go_map(map("annotations"))
            )
        };
        if meta.kind.is_empty() {
            return Err(format!("missing kind in object {}", printed()));
        }
        if !meta.kind.ends_with("List") && name.is_empty() {
            return Err(format!("missing metadata.name in object {}", printed()));
        }
        Ok(meta)
    }
}

/// The one `prepend`/`append` entry of `data`.
fn config_map(config: &Node, out: &mut Config) -> Result<(), String> {
    let mut entries: Vec<(String, String)> = Vec::new();
    match config.get("data") {
        None => {}
        Some(data) if data.is_null() => {}
        Some(data) if data.kind() != NodeKind::Mapping => {
            return Err(format!(
                "{JSON_ERROR}{}",
                type_error(data, "ConfigMap", "data", "map[string]string")
            ));
        }
        Some(data) => {
            for pair in data.as_mapping().into_iter().flatten() {
                let key = pair.key.as_str().unwrap_or_default().to_string();
                let value = string_value(&pair.value).ok_or_else(|| {
                    format!("{JSON_ERROR}{}", type_error(&pair.value, "ConfigMap", "data", "string"))
                })?;
                match entries.iter_mut().find(|(k, _)| *k == key) {
                    Some(entry) => entry.1 = value,
                    None => entries.push((key, value)),
                }
            }
        }
    }
    let [(key, value)] = entries.as_slice() else {
        return Err(format!("only 1 entry is allowed in the ConfigMap, but got: {}", entries.len()));
    };
    out.edit_mode = match key.as_str() {
        "prepend" => EditMode::Prepend,
        "append" => EditMode::Append,
        _ => return Err(format!("unknown editMode: {key}, only prepend and append are allowed")),
    };
    out.substring = value.clone();
    Ok(())
}

/// The fields of the function's own kind; `additionalNameFields` and `fieldSpecs` as given
/// (`None` when missing or null).
type Specs = (Option<Vec<FieldSpec>>, Option<Vec<FieldSpec>>);

fn own_kind(config: &Node, out: &mut Config) -> Result<Specs, String> {
    let mut fields = None;
    let mut legacy = None;
    let mut first_error: Option<String> = None;
    for (name, value) in
        go::struct_fields(config, &["additionalNameFields", "editMode", "fieldSpecs", "substring"])
    {
        let result = match name {
            "substring" => string_field(value, "substring", "string").map(|s| out.substring = s),
            "editMode" => string_field(value, "editMode", "main.EditMode").map(|s| {
                out.edit_mode = match s.as_str() {
                    "" | "prepend" => EditMode::Prepend,
                    "append" => EditMode::Append,
                    _ => EditMode::Other,
                }
            }),
            _ => field_specs(value, name).map(|specs| {
                if name == "fieldSpecs" {
                    legacy = specs;
                } else {
                    fields = specs;
                }
            }),
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        Some(e) => Err(format!("{JSON_ERROR}{e}")),
        None => Ok((fields, legacy)),
    }
}

/// A `[]types.FieldSpec` field (null: `None`).
fn field_specs(value: &Node, field: &str) -> Result<Option<Vec<FieldSpec>>, String> {
    match json_kind(value) {
        "null" => return Ok(None),
        "array" => {}
        _ => return Err(type_error(value, KIND, field, "[]types.FieldSpec")),
    }
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

/// One `types.FieldSpec` (a null is an empty one).
fn field_spec(item: &Node, field: &str) -> Result<FieldSpec, String> {
    let mut spec = FieldSpec::default();
    match json_kind(item) {
        "null" => return Ok(spec),
        "object" => {}
        _ => return Err(type_error(item, KIND, field, "types.FieldSpec")),
    }
    let mut first_error = None;
    for (name, value) in go::struct_fields(item, &["create", "group", "kind", "path", "version"]) {
        let at = format!("{field}.{name}");
        let result = if name == "create" {
            match (json_kind(value), value.as_str()) {
                ("null", _) => Ok(()),
                ("bool", Some(b)) => {
                    spec.create = matches!(
                        b,
                        "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON"
                    );
                    Ok(())
                }
                _ => Err(type_error(value, "FieldSpec", &at, "bool")),
            }
        } else {
            match string_value(value) {
                Some(s) => {
                    match name {
                        "group" => spec.group = s,
                        "kind" => spec.kind = s,
                        "path" => spec.path = s,
                        _ => spec.version = s,
                    }
                    Ok(())
                }
                None => Err(type_error(value, "FieldSpec", &at, "string")),
            }
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(spec), Err)
}

/// A string field of the own kind.
fn string_field(value: &Node, field: &str, go_type: &str) -> Result<String, String> {
    string_value(value).ok_or_else(|| type_error(value, KIND, field, go_type))
}

/// A value for a Go string: `sigs.k8s.io/yaml` makes any scalar one (its text; null is empty);
/// collections are not.
fn string_value(value: &Node) -> Option<String> {
    match value.kind() {
        NodeKind::Scalar if value.is_null() => Some(String::new()),
        NodeKind::Scalar => Some(value.as_str().unwrap_or_default().to_string()),
        NodeKind::Alias => Some(String::new()),
        _ => None,
    }
}

/// What `encoding/json` calls a value that `sigs.k8s.io/yaml` (YAML 1.1) made, as this port
/// approximates it: YAML 1.1's word booleans over the YAML 1.2 core types. Not
/// [`go::yaml11`], which resolves more of YAML 1.1 (`1_000`, `0b1` numbers, tags): kept apart so
/// ensure-name-substring's type errors stay as they are.
fn json_kind(node: &Node) -> &'static str {
    match node.kind() {
        NodeKind::Mapping => "object",
        NodeKind::Sequence => "array",
        NodeKind::Alias => "null",
        NodeKind::Scalar => {
            let yaml11_bool = node.style == porch_krm::Style::Plain
                && porch_krm::is_yaml11_non_string(node.as_str().unwrap_or_default());
            match node.scalar_type() {
                _ if yaml11_bool => "bool",
                Some(ScalarType::Null) => "null",
                Some(ScalarType::Bool) => "bool",
                Some(ScalarType::Int | ScalarType::Float) => "number",
                _ => "string",
            }
        }
    }
}

/// `encoding/json`'s type error.
fn type_error(node: &Node, strukt: &str, field: &str, go_type: &str) -> String {
    go::type_error(json_kind(node), strukt, field, go_type)
}
