//! set-image's configuration, read as the catalog's SDKs read it: a `v1` `ConfigMap` whose
//! `data` is decoded by go-yaml (any scalar's text makes a string), or `fn.kpt.dev/v1alpha1
//! SetImage` decoded through JSON (a string field takes only a string or null).

use porch_krm::{Node, NodeKind};

use super::Version;
use crate::kustomize::field_spec::FieldSpec;
use crate::{go, object};

const WRONG_KIND: &str = "`functionConfig` must be a `ConfigMap` or `SetImage`";

/// The image to change and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Image {
    pub(super) name: String,
    pub(super) new_name: String,
    pub(super) new_tag: String,
    pub(super) digest: String,
}

/// What one run does.
#[derive(Debug)]
pub(super) struct Config {
    pub(super) image: Image,
    /// The configuration's field specs (before the built-in ones).
    pub(super) additional: Vec<FieldSpec>,
}

/// Reads and checks the configuration.
pub(super) fn read(config: Option<&Node>, version: Version) -> Result<Config, String> {
    let Some(config) = config.filter(|c| c.kind() == NodeKind::Mapping) else {
        return Err(WRONG_KIND.into());
    };
    let read = if object::is(config, "v1", "ConfigMap") {
        config_map(config, version)?
    } else if object::is(config, "fn.kpt.dev/v1alpha1", "SetImage") {
        set_image(config).map_err(|e| match version {
            Version::V0_1_0 => format!(
                "unable to convert functionConfig to fn.kpt.dev/v1alpha1 SetImage:\nunable to convert object to *main.SetImage with error: {e}"
            ),
            Version::V0_1_1 => format!(
                "Resource(apiVersion=fn.kpt.dev/v1alpha1, kind=SetImage, Name={}) has unmatched field type: `",
                object::name(config)
            ),
        })?
    } else {
        return Err(WRONG_KIND.into());
    };
    let image = &read.image;
    if image.name.is_empty() {
        return Err("missing image name".into());
    }
    if image.new_name.is_empty() && image.new_tag.is_empty() && image.digest.is_empty() {
        return Err("missing image newName, newTag, or digest".into());
    }
    if !image.new_tag.is_empty() && !image.digest.is_empty() {
        return Err("image newTag and digest both set".into());
    }
    Ok(read)
}

/// `data.name`, `data.newName`, `data.newTag`, `data.digest`.
fn config_map(config: &Node, version: Version) -> Result<Config, String> {
    let fail = |reason: &str| match version {
        Version::V0_1_0 => format!("unable to convert functionConfig to v1 ConfigMap:\n{reason}"),
        Version::V0_1_1 => "SubObject has unmatched field type: `data".to_string(),
    };
    let mut image = Image::default();
    let data = match config.get("data") {
        None if version == Version::V0_1_0 => {
            return Err("unable to get field data from functionConfig".into());
        }
        None => return Ok(Config { image, additional: Vec::new() }),
        Some(data) => data,
    };
    match data.kind() {
        NodeKind::Mapping => {}
        NodeKind::Sequence => return Err(fail("wrong type, got: *fnsdk.sliceVariant")),
        _ => return Err(fail("wrong type, got: *fnsdk.scalarVariant")),
    }
    for pair in data.as_mapping().into_iter().flatten() {
        let target = match pair.key.as_str().unwrap_or_default() {
            "name" => &mut image.name,
            "newName" => &mut image.new_name,
            "newTag" => &mut image.new_tag,
            "digest" => &mut image.digest,
            _ => continue,
        };
        *target = match pair.value.kind() {
            NodeKind::Scalar if pair.value.is_null() => String::new(),
            NodeKind::Scalar => pair.value.as_str().unwrap_or_default().to_string(),
            NodeKind::Alias => String::new(),
            kind => {
                let tag = if kind == NodeKind::Mapping { "!!map" } else { "!!seq" };
                return Err(fail(&format!("yaml: unmarshal errors:\n  cannot unmarshal {tag} into string")));
            }
        };
    }
    Ok(Config { image, additional: Vec::new() })
}

/// What `encoding/json` calls a YAML value (go-yaml v3 types).
fn json_kind(node: &Node) -> &'static str {
    go::yaml12(node).kind()
}

/// `encoding/json`'s type error.
fn type_error(node: &Node, strukt: &str, field: &str, go_type: &str) -> String {
    go::type_error(json_kind(node), strukt, field, go_type)
}

/// A Go `string` field through JSON.
fn string_field(node: &Node, strukt: &str, field: &str) -> Result<String, String> {
    match json_kind(node) {
        "null" => Ok(String::new()),
        "string" => Ok(node.as_str().unwrap_or_default().to_string()),
        _ => Err(type_error(node, strukt, field, "string")),
    }
}

/// `image` and `additionalImageFields`; the first type error in key order fails it.
fn set_image(config: &Node) -> Result<Config, String> {
    let mut out = Config { image: Image::default(), additional: Vec::new() };
    let mut first_error: Option<String> = None;
    let mut note = |r: Result<(), String>| {
        if let Err(e) = r {
            first_error.get_or_insert(e);
        }
    };
    for (name, value) in go::struct_fields(config, &["additionalImageFields", "image"]) {
        match (name, json_kind(value)) {
            (_, "null") => {}
            ("image", "object") => {
                for (field, v) in go::struct_fields(value, &["digest", "name", "newName", "newTag"]) {
                    let target = match field {
                        "name" => &mut out.image.name,
                        "newName" => &mut out.image.new_name,
                        "newTag" => &mut out.image.new_tag,
                        _ => &mut out.image.digest,
                    };
                    note(string_field(v, "Image", &format!("image.{field}")).map(|s| *target = s));
                }
            }
            ("image", _) => note(Err(type_error(value, "SetImage", "image", "types.Image"))),
            (_, "array") => {
                for item in value.as_sequence().into_iter().flatten() {
                    note(field_spec(item).map(|spec| out.additional.push(spec)));
                }
            }
            _ => note(Err(type_error(value, "SetImage", "additionalImageFields", "types.FsSlice"))),
        }
    }
    first_error.map_or(Ok(out), Err)
}

/// One `types.FieldSpec` of `additionalImageFields` (a null is an empty one).
fn field_spec(item: &Node) -> Result<FieldSpec, String> {
    let mut spec = FieldSpec::default();
    match json_kind(item) {
        "null" => return Ok(spec),
        "object" => {}
        _ => return Err(type_error(item, "SetImage", "additionalImageFields", "types.FieldSpec")),
    }
    let mut first_error = None;
    for (name, value) in go::struct_fields(item, &["create", "group", "kind", "path", "version"]) {
        let field = format!("additionalImageFields.{name}");
        let result = match name {
            "create" => match json_kind(value) {
                "null" => Ok(()),
                "bool" => {
                    spec.create = matches!(value.as_str(), Some("true" | "True" | "TRUE"));
                    Ok(())
                }
                _ => Err(type_error(value, "FieldSpec", &field, "bool")),
            },
            _ => string_field(value, "FieldSpec", &field).map(|s| match name {
                "group" => spec.group = s,
                "kind" => spec.kind = s,
                "path" => spec.path = s,
                _ => spec.version = s,
            }),
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(spec), Err)
}
