//! The `fn.kpt.dev/v1alpha1 ApplyReplacements` configuration: kustomize's `types.Replacement`
//! list, read as the catalog function reads it (the SDK turns the object into JSON and Go's
//! `encoding/json` decodes it): keys match case-insensitively, unknown keys are ignored, `null`
//! leaves a field unset, and a value of the wrong type fails with Go's message (the first one
//! in key order).

use porch_krm::{Node, Number, ScalarType};

use super::Api;
use super::select::ResId;
use crate::object;

pub(super) const API_VERSION: &str = "fn.kpt.dev/v1alpha1";
pub(super) const KIND: &str = "ApplyReplacements";

/// What the function applies, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Config {
    pub replacements: Vec<Replacement>,
}

/// One replacement: a value (from a resource, or given) and where to write it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Replacement {
    pub source: Option<SourceSelector>,
    /// `None` when not given (an error), `Some` even when empty; an element is `None` when
    /// written `null`.
    pub targets: Option<Vec<Option<TargetSelector>>>,
    /// `sourceValue` (kustomize api v0.20 on).
    pub source_value: Option<String>,
}

/// The one resource a value is read from, and where in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct SourceSelector {
    pub id: ResId,
    pub field_path: String,
    pub options: Option<FieldOptions>,
}

/// The resources and fields a value is written to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct TargetSelector {
    pub select: Option<Selector>,
    pub reject: Vec<Option<Selector>>,
    pub field_paths: Vec<String>,
    pub options: Option<FieldOptions>,
}

/// Resources by id fields and by label / annotation expressions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Selector {
    pub id: ResId,
    pub annotation_selector: String,
    pub label_selector: String,
}

/// How a value is cut out of (source) or put into (target) a delimited string, and whether a
/// missing target field is made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct FieldOptions {
    pub delimiter: String,
    pub index: i64,
    pub encoding: String,
    pub create: bool,
}

impl SourceSelector {
    /// kustomize's `SourceSelector.String()`: the id, then the field path and the options when
    /// set, joined by `:`.
    pub(super) fn describe(&self) -> String {
        let mut parts = vec![self.id.to_string()];
        if !self.field_path.is_empty() {
            parts.push(self.field_path.clone());
        }
        if let Some(o) = self.options.as_ref().filter(|o| !o.delimiter.is_empty() || o.create) {
            parts.push(format!("{}({}), create={}", o.delimiter, o.index, o.create));
        }
        parts.join(":")
    }
}

/// Reads the function configuration.
///
/// # Errors
/// The catalog function's messages: no configuration, another kind, a value of the wrong type.
pub(super) fn read(config: Option<&Node>, api: Api) -> Result<Config, String> {
    let Some(config) = config.filter(|c| c.as_mapping().is_some_and(|m| !m.is_empty())) else {
        return Err(format!("FunctionConfig is missing. Expect `{KIND}`"));
    };
    if object::kind(config) != KIND || object::api_version(config) != API_VERSION {
        return Err(format!(
            "received functionConfig of kind {} and apiVersion {}, only functionConfig of kind {KIND} and apiVersion \
             {API_VERSION} is supported",
            object::kind(config),
            object::api_version(config)
        ));
    }
    if let Some(value) = non_finite(config) {
        return Err(convert_error(&format!("json: unsupported value: {value}")));
    }
    let mut d = Decoder { api, stack: Vec::new() };
    d.config(config).map_err(|e| convert_error(&e))
}

fn convert_error(json_error: &str) -> String {
    format!(
        "unable to convert functionConfig to replacements:\nunable to convert object to *replacements.Replacements with \
         error: {json_error}"
    )
}

/// A float JSON cannot hold (`.inf`, `.nan`), as Go's encoder names it.
fn non_finite(node: &Node) -> Option<&'static str> {
    match &node.content {
        porch_krm::Content::Mapping(pairs) => pairs.iter().find_map(|p| non_finite(&p.value)),
        porch_krm::Content::Sequence(items) => items.iter().find_map(non_finite),
        _ => match json(node) {
            Json::Number(Number::Float(f)) if f.is_nan() => Some("NaN"),
            Json::Number(Number::Float(f)) if f.is_infinite() => Some(if f > 0.0 { "+Inf" } else { "-Inf" }),
            _ => None,
        },
    }
}

/// A YAML node as the JSON value Go decodes.
enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(&'a str),
    Array(&'a [Node]),
    /// Entries sorted by key, as Go's encoder writes a map.
    Object(Vec<(&'a str, &'a Node)>),
}

fn json(node: &Node) -> Json<'_> {
    match &node.content {
        porch_krm::Content::Mapping(pairs) => {
            let mut entries: Vec<(&str, &Node)> =
                pairs.iter().map(|p| (p.key.as_str().unwrap_or_default(), &p.value)).collect();
            // A later duplicate wins, as in the map the encoder writes.
            entries.reverse();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            entries.dedup_by(|later, earlier| later.0 == earlier.0);
            Json::Object(entries)
        }
        porch_krm::Content::Sequence(items) => Json::Array(items),
        porch_krm::Content::Alias(_) => Json::Null,
        porch_krm::Content::Scalar(text) => match node.scalar_type() {
            Some(ScalarType::Null) => Json::Null,
            Some(ScalarType::Bool) => Json::Bool(text.eq_ignore_ascii_case("true")),
            Some(ScalarType::Int | ScalarType::Float) => match porch_krm::parse_number(text) {
                Some(n) => Json::Number(n),
                None => Json::String(text),
            },
            _ => Json::String(text),
        },
    }
}

impl Json<'_> {
    /// How Go's errors name the value (`number 1.5` when it is not an integer for an int).
    fn describe(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

/// Go's number text for a float (shortest form).
fn go_number(n: Number) -> String {
    match n {
        Number::Int(i) => i.to_string(),
        Number::Uint(u) => u.to_string(),
        Number::Float(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        Number::Float(f) => format!("{f}"),
    }
}

/// Decodes with Go's rules, tracking the field path for messages.
struct Decoder {
    api: Api,
    stack: Vec<String>,
}

type Decoded<T> = Result<T, String>;

impl Decoder {
    fn type_error(&self, value: &str, strukt: &str, ty: &str) -> String {
        format!(
            "json: cannot unmarshal {value} into Go struct field {strukt}.{} of type {ty}",
            self.stack.join(".")
        )
    }

    /// Calls `field` for each entry of an object matched to one of `names` (case-insensitive,
    /// an exact match first), with the canonical name.
    fn fields(
        &mut self,
        node: &Node,
        strukt: &str,
        ty: &str,
        names: &[&str],
        field: &mut dyn FnMut(&mut Self, &str, &Node) -> Decoded<()>,
    ) -> Decoded<bool> {
        let value = json(node);
        let entries = match value {
            Json::Null => return Ok(false),
            Json::Object(entries) => entries,
            other => return Err(self.type_error(other.describe(), strukt, ty)),
        };
        for (key, value) in entries {
            let name = names
                .iter()
                .find(|n| **n == key)
                .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(key)));
            let Some(name) = name else { continue };
            self.stack.push((*name).to_string());
            let result = field(self, name, value);
            self.stack.pop();
            result?;
        }
        Ok(true)
    }

    /// A list; `None` for `null`.
    fn list<T>(
        &mut self,
        node: &Node,
        strukt: &str,
        ty: &str,
        item: &mut dyn FnMut(&mut Self, &Node) -> Decoded<T>,
    ) -> Decoded<Option<Vec<T>>> {
        match json(node) {
            Json::Null => Ok(None),
            Json::Array(items) => items.iter().map(|i| item(self, i)).collect::<Decoded<Vec<T>>>().map(Some),
            other => Err(self.type_error(other.describe(), strukt, ty)),
        }
    }

    fn string(&self, node: &Node, strukt: &str, into: &mut String) -> Decoded<()> {
        match json(node) {
            Json::Null => Ok(()),
            Json::String(s) => {
                *into = s.to_string();
                Ok(())
            }
            other => Err(self.type_error(other.describe(), strukt, "string")),
        }
    }

    fn int(&self, node: &Node, strukt: &str, into: &mut i64) -> Decoded<()> {
        match json(node) {
            Json::Null => Ok(()),
            Json::Number(n) => {
                let value = match n {
                    Number::Int(i) => Some(i),
                    Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
                    _ => None,
                };
                *into = value
                    .ok_or_else(|| self.type_error(&format!("number {}", go_number(n)), strukt, "int"))?;
                Ok(())
            }
            other => Err(self.type_error(other.describe(), strukt, "int")),
        }
    }

    fn bool(&self, node: &Node, strukt: &str, into: &mut bool) -> Decoded<()> {
        match json(node) {
            Json::Null => Ok(()),
            Json::Bool(b) => {
                *into = b;
                Ok(())
            }
            other => Err(self.type_error(other.describe(), strukt, "bool")),
        }
    }

    fn config(&mut self, node: &Node) -> Decoded<Config> {
        let mut config = Config::default();
        self.fields(node, "Replacements", "replacements.Replacements", &["replacements"], &mut |d, _, v| {
            let list =
                d.list(v, "Replacements", "[]types.Replacement", &mut |d, item| d.replacement(item))?;
            config.replacements = list.unwrap_or_default();
            Ok(())
        })?;
        Ok(config)
    }

    fn replacement(&mut self, node: &Node) -> Decoded<Replacement> {
        let mut r = Replacement::default();
        let names: &[&str] = if self.api == Api::V0_20 {
            &["source", "targets", "sourceValue"]
        } else {
            &["source", "targets"]
        };
        self.fields(node, "Replacements", "types.Replacement", names, &mut |d, name, v| {
            match name {
                "source" => r.source = d.source(v)?,
                "targets" => {
                    r.targets =
                        d.list(v, "Replacement", "[]*types.TargetSelector", &mut |d, item| d.target(item))?;
                }
                _ => {
                    if matches!(json(v), Json::Null) {
                        r.source_value = None;
                    } else {
                        let mut s = String::new();
                        d.string(v, "Replacement", &mut s)?;
                        r.source_value = Some(s);
                    }
                }
            }
            Ok(())
        })?;
        Ok(r)
    }

    fn source(&mut self, node: &Node) -> Decoded<Option<SourceSelector>> {
        let mut s = SourceSelector::default();
        let names = ["group", "version", "kind", "name", "namespace", "fieldPath", "options"];
        let present =
            self.fields(node, "Replacement", "types.SourceSelector", &names, &mut |d, name, v| {
                match name {
                    "options" => s.options = d.options(v, "SourceSelector")?,
                    "fieldPath" => d.string(v, "SourceSelector", &mut s.field_path)?,
                    _ => d.string(v, "SourceSelector", id_field(&mut s.id, name))?,
                }
                Ok(())
            })?;
        Ok(present.then_some(s))
    }

    fn target(&mut self, node: &Node) -> Decoded<Option<TargetSelector>> {
        let mut t = TargetSelector::default();
        let names = ["select", "reject", "fieldPaths", "options"];
        let present =
            self.fields(node, "Replacement", "types.TargetSelector", &names, &mut |d, name, v| {
                match name {
                    "select" => t.select = d.selector(v, "TargetSelector")?,
                    "reject" => {
                        let list = d.list(v, "TargetSelector", "[]*types.Selector", &mut |d, i| {
                            d.selector(i, "TargetSelector")
                        })?;
                        t.reject = list.unwrap_or_default();
                    }
                    "fieldPaths" => {
                        let list = d.list(v, "TargetSelector", "[]string", &mut |d, i| {
                            let mut s = String::new();
                            d.string(i, "TargetSelector", &mut s)?;
                            Ok(s)
                        })?;
                        t.field_paths = list.unwrap_or_default();
                    }
                    _ => t.options = d.options(v, "TargetSelector")?,
                }
                Ok(())
            })?;
        Ok(present.then_some(t))
    }

    fn selector(&mut self, node: &Node, parent: &str) -> Decoded<Option<Selector>> {
        let mut s = Selector::default();
        let names = ["group", "version", "kind", "name", "namespace", "annotationSelector", "labelSelector"];
        let present = self.fields(node, parent, "types.Selector", &names, &mut |d, name, v| match name {
            "annotationSelector" => d.string(v, "Selector", &mut s.annotation_selector),
            "labelSelector" => d.string(v, "Selector", &mut s.label_selector),
            _ => d.string(v, "Selector", id_field(&mut s.id, name)),
        })?;
        Ok(present.then_some(s))
    }

    fn options(&mut self, node: &Node, parent: &str) -> Decoded<Option<FieldOptions>> {
        let mut o = FieldOptions::default();
        let names = ["delimiter", "index", "encoding", "create"];
        let present =
            self.fields(node, parent, "types.FieldOptions", &names, &mut |d, name, v| match name {
                "delimiter" => d.string(v, "FieldOptions", &mut o.delimiter),
                "index" => d.int(v, "FieldOptions", &mut o.index),
                "encoding" => d.string(v, "FieldOptions", &mut o.encoding),
                _ => d.bool(v, "FieldOptions", &mut o.create),
            })?;
        Ok(present.then_some(o))
    }
}

/// The id field `name` (group, version, kind, name or namespace).
fn id_field<'a>(id: &'a mut ResId, name: &str) -> &'a mut String {
    match name {
        "group" => &mut id.group,
        "version" => &mut id.version,
        "kind" => &mut id.kind,
        "namespace" => &mut id.namespace,
        _ => &mut id.name,
    }
}
