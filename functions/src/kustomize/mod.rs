//! kustomize and kyaml behaviour several catalog functions share: field specs and the walk
//! that reaches the fields they name ([`field_spec`]), kustomize's built-in field-spec tables
//! ([`common`]), and kyaml's way of naming node kinds, object ids and `apiVersion` parts in its
//! messages.

pub(crate) mod common;
pub(crate) mod field_spec;

use std::borrow::Borrow;

use porch_krm::{Document, Node, NodeKind};

use crate::object;

/// How kyaml names a node kind (`yaml.Kind`'s names).
pub(crate) fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Mapping => "MappingNode",
        NodeKind::Sequence => "SequenceNode",
        NodeKind::Scalar => "ScalarNode",
        NodeKind::Alias => "AliasNode",
    }
}

/// kyaml's `ErrorIfInvalid` message for `node`, found at `fields` where a node of kind
/// `expected` belongs; the node written as its YAML text.
pub(crate) fn wrong_kind<S: Borrow<str>>(fields: &[S], expected: NodeKind, node: &Node) -> String {
    wrong_kind_text(fields, expected, node.kind(), &Document::new(node.clone()).to_text())
}

/// kyaml's `ErrorIfInvalid` message, the node of kind `was` written as `text` (trimmed here).
pub(crate) fn wrong_kind_text<S: Borrow<str>>(
    fields: &[S],
    expected: NodeKind,
    was: NodeKind,
    text: &str,
) -> String {
    format!(
        "wrong Node Kind for {} expected: {} was {}: value: {{{}}}",
        fields.join("."),
        kind_name(expected),
        kind_name(was),
        text.trim()
    )
}

/// kyaml's `resid.ParseGroupVersion`: `apiVersion` split at its first `/`; without one, all of
/// it is the version.
pub(crate) fn group_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// kustomize's `PathSplitter`: `/` separates, `\/` does not.
pub(crate) fn split_path(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in path.split('/') {
        match out.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('/');
                last.push_str(part);
            }
            _ => out.push(part.to_string()),
        }
    }
    out
}

/// kyaml's `ResId.String()` of an object: `<group>_<version>_<kind>|<namespace>|<name>`, `~G`,
/// `~V`, `~K`, `~X`, `~N` for empty parts.
pub(crate) fn res_id(object: &Node) -> String {
    let (group, version) = group_version(object::api_version(object));
    let or = |s: &str, none: &'static str| if s.is_empty() { none.to_string() } else { s.to_string() };
    format!(
        "{}_{}_{}|{}|{}",
        or(group, "~G"),
        or(version, "~V"),
        or(object::kind(object), "~K"),
        or(object::namespace(object).unwrap_or_default(), "~X"),
        or(object::name(object), "~N")
    )
}
