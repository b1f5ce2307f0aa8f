//! The parts of the kpt function SDK (`kpt-functions-sdk/go/fn`) set-labels v0.2 is written
//! with, behaving as the SDK does: `KubeObject` / `SubObject` reads that fail on a value of
//! another type (with the SDK's message), writes that replace a value (keeping its comments),
//! `GetMap` and `GetSlice`, `IsGVK`, and the runner's reading of the configuration.
//!
//! A sub-object is a node plus its [`Origin`]: the SDK names the object and field path in its
//! messages, and a sequence element has neither. The SDK's `GetMap` hands back whatever value
//! it finds; a sub-object that is not a mapping has no fields here, and writes to it do nothing
//! (the SDK appends them to the node's content, where they are never written out).

use std::collections::BTreeMap;

use porch_krm::{Node, NodeKind, ScalarType};

/// The annotation the SDK refuses to write.
const UPSTREAM_IDENTIFIER: &str = "internal.kpt.dev/upstream-identifier";

/// The string of a field that is a `!!str` scalar (the SDK's `GetString`, errors ignored).
fn str_field<'a>(node: &'a Node, key: &str) -> &'a str {
    node.get(key).filter(|v| is_str(v)).and_then(Node::as_str).unwrap_or_default()
}

/// Whether a node is what the SDK reads as a string: a scalar tagged (or resolving to) `!!str`.
fn is_str(node: &Node) -> bool {
    node.scalar_type() == Some(ScalarType::Str)
        && !matches!(node.tag.as_deref(), Some("!!binary" | "tag:yaml.org,2002:binary"))
}

/// An object's group, version and kind as the SDK parses them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Gvk {
    group: String,
    version: String,
    kind: String,
}

impl Gvk {
    /// `GroupVersionKind()`: `apiVersion` split at its `/` (all of it empty when it has more
    /// than one), and `kind`.
    pub(super) fn of(object: &Node) -> Self {
        let api_version = str_field(object, "apiVersion");
        let (group, version) = match api_version.matches('/').count() {
            _ if api_version.is_empty() || api_version == "/" => ("", ""),
            0 => ("", api_version),
            1 => api_version.split_once('/').unwrap_or_default(),
            _ => return Self::default(),
        };
        Self { group: group.into(), version: version.into(), kind: str_field(object, "kind").into() }
    }

    /// `IsGVK`: each part given must match, and an empty part of the object matches anything.
    pub(super) fn is(&self, group: &str, version: &str, kind: &str) -> bool {
        let part = |mine: &str, wanted: &str| mine.is_empty() || wanted.is_empty() || mine == wanted;
        part(&self.kind, kind) && part(&self.group, group) && part(&self.version, version)
    }

    /// Whether the group and kind are exactly these (`GroupKind() ==`).
    pub(super) fn group_kind_is(&self, group: &str, kind: &str) -> bool {
        self.group == group && self.kind == kind
    }

    /// `GroupKind().String()`: `<kind>.<group>`, or the kind alone.
    pub(super) fn group_kind(&self) -> String {
        if self.group.is_empty() { self.kind.clone() } else { format!("{}.{}", self.kind, self.group) }
    }
}

/// Where a sub-object sits, as the SDK's messages name it.
#[derive(Debug, Clone, Default)]
pub(super) struct Origin {
    /// The object's group/version as the SDK records it (from top-level `group` and `version`
    /// fields, which objects do not have: usually empty).
    group_version: String,
    /// The object's kind.
    kind: String,
    /// The path from the object: `.spec.template`.
    path: String,
}

impl Origin {
    /// An object's own.
    pub(super) fn of(object: &Node) -> Self {
        let (group, version) = (str_field(object, "group"), str_field(object, "version"));
        let group_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
        Self { group_version, kind: str_field(object, "kind").into(), path: String::new() }
    }

    /// Its field `key` (`GetMap`).
    pub(super) fn child(&self, key: &str) -> Self {
        Self { path: format!("{}.{key}", self.path), ..self.clone() }
    }

    /// The SDK's `ErrUnmatchedField`: `fields` below here are not of `go_type`.
    pub(super) fn unmatched(&self, fields: &[&str], go_type: &str) -> String {
        format!(
            "Resource(apiVersion={}, kind={}) has unmatched field type {go_type:?} in fieldpath {}.{}",
            self.group_version,
            self.kind,
            self.path,
            fields.join(".")
        )
    }
}

/// `NestedString(fields...)`: the string there, `None` when something on the way is missing;
/// an error when a step is not a mapping or the value not a string.
pub(super) fn nested_string(node: &Node, origin: &Origin, fields: &[&str]) -> Result<Option<String>, String> {
    let mut current = node;
    for (i, field) in fields.iter().enumerate() {
        if current.kind() != NodeKind::Mapping {
            // A sub-object that is not a mapping has no fields (see the module docs); a step
            // below one that is not a mapping is a type error.
            return if i == 0 { Ok(None) } else { Err(origin.unmatched(fields, "string")) };
        }
        let Some(value) = current.get(field) else { return Ok(None) };
        current = value;
    }
    if is_str(current) {
        Ok(current.as_str().map(str::to_string))
    } else {
        Err(origin.unmatched(fields, "string"))
    }
}

/// `SetNestedString(value, fields...)`: makes the mappings on the way and sets the last field
/// to a new string node, which takes over the comments of the value it replaces.
pub(super) fn set_nested_string(node: &mut Node, fields: &[&str], value: &str) -> Result<(), String> {
    let Some((last, path)) = fields.split_last() else { return Ok(()) };
    if *last == UPSTREAM_IDENTIFIER {
        return Err(format!("annotation {UPSTREAM_IDENTIFIER} is managed by kpt and should not be modified"));
    }
    if node.kind() != NodeKind::Mapping {
        return Ok(());
    }
    let mut current = node;
    for field in path {
        match current.get(field).map(Node::kind) {
            None => {
                // A mapping takes any key.
                let _ = current.set(field, Node::mapping());
            }
            Some(NodeKind::Mapping) => {}
            Some(kind) => {
                let variant = if kind == NodeKind::Sequence { "sliceVariant" } else { "scalarVariant" };
                return Err(format!(
                    "unable to set {value} at fields [{}] with error: incorrect type, was *internal.{variant}",
                    fields.join(" ")
                ));
            }
        }
        let Some(next) = current.get_mut(field) else { return Ok(()) };
        current = next;
    }
    // A mapping takes any key.
    let _ = current.set(last, Node::string(value));
    Ok(())
}

/// `GetMap(key)`: the value of `key`, whatever it is.
pub(super) fn get_map<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    if node.kind() == NodeKind::Mapping { node.get_mut(key) } else { None }
}

/// Whether `key` is there (what `NestedSlice` reports as found, whatever the value).
pub(super) fn has(node: &Node, key: &str) -> bool {
    node.kind() == NodeKind::Mapping && node.get(key).is_some()
}

/// `GetSlice(key)`: the elements of a sequence of mappings; nothing for anything else.
pub(super) fn get_slice<'a>(node: &'a mut Node, key: &str) -> Vec<&'a mut Node> {
    let Some(items) = get_map(node, key).and_then(Node::as_sequence_mut) else { return Vec::new() };
    if items.iter().all(|i| i.kind() == NodeKind::Mapping) { items.iter_mut().collect() } else { Vec::new() }
}

/// `NestedSlice(key)`: the elements of a sequence of mappings, none when missing; an error
/// when the value is not a sequence or an element not a mapping.
pub(super) fn nested_slice<'a>(
    node: &'a mut Node,
    origin: &Origin,
    key: &str,
) -> Result<Vec<&'a mut Node>, String> {
    let Some(value) = get_map(node, key) else { return Ok(Vec::new()) };
    let Some(items) = value.as_sequence_mut() else { return Err(origin.unmatched(&[key], "struct {}")) };
    if let Some(item) = items.iter().find(|i| i.kind() != NodeKind::Mapping) {
        // go-yaml's node kinds: sequence 2, scalar 8, alias 16.
        let kind = match item.kind() {
            NodeKind::Sequence => 2,
            NodeKind::Alias => 16,
            _ => 8,
        };
        return Err(format!("unhandled node kind {kind}"));
    }
    Ok(items.iter_mut().collect())
}

/// A `map[string]string` as go-yaml v3 decodes it.
#[derive(Debug, Default)]
pub(super) struct StringMap {
    /// The scalar values (a null as empty).
    pub(super) entries: BTreeMap<String, String>,
    /// Whether every value was a scalar (else the decoding reported an error).
    pub(super) complete: bool,
}

/// `NestedStringMap(key)`: `Err` when the value is not a mapping, `None` when missing.
pub(super) fn nested_string_map(node: &Node, key: &str) -> Result<Option<StringMap>, ()> {
    let Some(value) = node.get(key) else { return Ok(None) };
    let pairs = value.as_mapping().ok_or(())?;
    let mut complete = true;
    let mut map = BTreeMap::new();
    for pair in pairs {
        let key = pair.key.as_str().unwrap_or_default().to_string();
        match pair.value.kind() {
            NodeKind::Scalar if pair.value.is_null() => {
                map.insert(key, String::new());
            }
            NodeKind::Scalar => {
                map.insert(key, pair.value.as_str().unwrap_or_default().to_string());
            }
            _ => complete = false,
        }
    }
    Ok(Some(StringMap { entries: map, complete }))
}
