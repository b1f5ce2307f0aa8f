//! The function config: a `StarlarkRun` or a `ConfigMap`, read as the catalog's SDK reads it
//! (through Go's `encoding/json`, whose type errors it reports).

use porch_krm::Node;
use serde_json::Value;

use super::Version;

const MISSING: &str = "FunctionConfig is missing. Expect `ConfigMap` or `StarlarkRun`";
const STARLARK_RUN_GROUP: &str = "fn.kpt.dev";
const STARLARK_RUN_API_VERSION: &str = "fn.kpt.dev/v1alpha1";
const STARLARK_RUN: &str = "StarlarkRun";
const CONFIG_MAP: &str = "ConfigMap";

/// What the function runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Config {
    /// The script's name (in syntax error messages).
    pub(super) name: String,
    /// The script.
    pub(super) source: String,
}

/// The config's kind, as the version's SDK matches it.
enum Kind {
    ConfigMap,
    StarlarkRun,
}

impl Config {
    /// Reads the config, or the catalog's message for why it cannot run.
    pub(super) fn read(config: Option<&Node>, version: Version) -> Result<Self, String> {
        let Some(config) = config.filter(|c| c.as_mapping().is_none_or(|m| !m.is_empty())) else {
            return Err(MISSING.into());
        };
        let api_version = str_at(config, &["apiVersion"]);
        let kind = str_at(config, &["kind"]);
        let (name, source) = match kind_of(api_version, kind, version) {
            Some(Kind::ConfigMap) => config_map(config)?,
            Some(Kind::StarlarkRun) => starlark_run(config)?,
            None => {
                let (group, version) = group_version(api_version).unwrap_or_default();
                return Err(format!(
                    "`functionConfig` must be either /v1, Kind={CONFIG_MAP} or \
                     {STARLARK_RUN_API_VERSION}, Kind={STARLARK_RUN}, but we got: {group}/{version}, Kind={kind}"
                ));
            }
        };
        let name = if name.is_empty() { default_name(version).to_string() } else { name };
        if source.is_empty() {
            return Err("`source` must not be empty".into());
        }
        Ok(Self { name, source })
    }
}

/// The name of a script whose config has none.
fn default_name(version: Version) -> &'static str {
    match version {
        Version::V0_4 => "stalark-function-run",
        Version::V0_5_1 => "starlark-function-run",
    }
}

/// v0.4.3/v0.5.0 compare `apiVersion` and `kind` exactly; v0.5.1 on the group (any version)
/// and kind, `apiVersion` parsed as apimachinery parses it.
fn kind_of(api_version: &str, kind: &str, version: Version) -> Option<Kind> {
    match version {
        Version::V0_4 => match (api_version, kind) {
            ("v1", CONFIG_MAP) => Some(Kind::ConfigMap),
            (STARLARK_RUN_API_VERSION, STARLARK_RUN) => Some(Kind::StarlarkRun),
            _ => None,
        },
        Version::V0_5_1 => match (group_version(api_version)?.0, kind) {
            ("", CONFIG_MAP) => Some(Kind::ConfigMap),
            (STARLARK_RUN_GROUP, STARLARK_RUN) => Some(Kind::StarlarkRun),
            _ => None,
        },
    }
}

/// apimachinery's `ParseGroupVersion`: empty or `/` is empty; no `/` is a core-group version;
/// one `/` splits group and version; more is an error (`None`).
pub(super) fn group_version(api_version: &str) -> Option<(&str, &str)> {
    if api_version.is_empty() || api_version == "/" {
        return Some(("", ""));
    }
    match api_version.matches('/').count() {
        0 => Some(("", api_version)),
        1 => api_version.split_once('/'),
        _ => None,
    }
}

/// The string at `keys`, empty when missing or not a string.
fn str_at<'a>(node: &'a Node, keys: &[&str]) -> &'a str {
    node.get_path(keys)
        .filter(|n| n.scalar_type() == Some(porch_krm::ScalarType::Str))
        .and_then(Node::as_str)
        .unwrap_or_default()
}

/// A ConfigMap's name and `data.source`; its data must be strings.
fn config_map(config: &Node) -> Result<(String, String), String> {
    let json = as_json(config, "*v1.ConfigMap")?;
    let fail = |detail: String| format!("unable to convert object to *v1.ConfigMap with error: {detail}");
    // Go reads the fields in sorted order and reports the first type error.
    match json.get("data") {
        None | Some(Value::Null) => {}
        Some(Value::Object(data)) => {
            if let Some(bad) = data.values().find(|v| !matches!(v, Value::String(_) | Value::Null)) {
                return Err(fail(type_error(bad, "ConfigMap.data", "string")));
            }
        }
        Some(other) => return Err(fail(type_error(other, "ConfigMap.data", "map[string]string"))),
    }
    let name = metadata_name(&json).map_err(fail)?;
    let source = json.pointer("/data/source").and_then(Value::as_str).unwrap_or_default().to_string();
    Ok((name, source))
}

/// A StarlarkRun's name and `source`; `params` must be a mapping and `source` a string.
fn starlark_run(config: &Node) -> Result<(String, String), String> {
    let json = as_json(config, "*starlark.StarlarkRun")?;
    let fail =
        |detail: String| format!("unable to convert object to *starlark.StarlarkRun with error: {detail}");
    let name = metadata_name(&json).map_err(fail)?;
    match json.get("params") {
        None | Some(Value::Null | Value::Object(_)) => {}
        Some(other) => {
            return Err(fail(type_error(other, "StarlarkRun.params", "map[string]interface {}")));
        }
    }
    let source = match json.get("source") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(fail(type_error(other, "StarlarkRun.source", "string"))),
    };
    Ok((name, source))
}

/// `metadata.name` (Go reads `metadata` before the fields after it).
fn metadata_name(json: &Value) -> Result<String, String> {
    match json.get("metadata") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::Object(meta)) => match meta.get("name") {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(type_error(other, "ObjectMeta.metadata.name", "string")),
        },
        Some(other) => Err(type_error(other, "ObjectMeta.metadata", "v1.ObjectMeta")),
    }
}

/// The config as JSON (kyaml's `MarshalJSON`).
fn as_json(config: &Node, go_type: &str) -> Result<Value, String> {
    config.to_json().map_err(|e| format!("unable to convert object to {go_type} with error: {e}"))
}

/// `encoding/json`'s message for `value` in field `field` of Go type `go_type`.
fn type_error(value: &Value, field: &str, go_type: &str) -> String {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    format!("json: cannot unmarshal {kind} into Go struct field {field} of type {go_type}")
}
