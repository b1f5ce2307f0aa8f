//! The parts of a KRM object the functions share, read from and written into its node tree
//! (so comments and styles of what is not changed stay): identity, annotations, scope,
//! upstream origin.

use porch_krm::path::Path;
use porch_krm::{Node, NodeKind};

use crate::scope::builtin_namespaced;

/// The annotation that keeps an object out of what is applied to a cluster.
pub const LOCAL_CONFIG: &str = "config.kubernetes.io/local-config";
/// Where kpt records the object's identity in its upstream package.
pub const UPSTREAM_IDENTIFIER: &str = "internal.kpt.dev/upstream-identifier";
/// The namespace of a namespaced object that names none.
pub const DEFAULT_NAMESPACE: &str = "default";
/// The namespace of an identity when the object is cluster-scoped (or of unknown scope).
pub const CLUSTER: &str = "~C";

/// The string at `keys` below `object`, if there is one.
pub fn nested_str<'a>(object: &'a Node, keys: &[&str]) -> Option<&'a str> {
    object.get_path(keys).and_then(Node::as_str)
}

/// Sets the string at `keys` below `object`, making the mappings on the way.
pub fn set_nested_str(object: &mut Node, keys: &[&str], value: &str) {
    // The paths used here are mapping keys only: creating them cannot fail on a mapping.
    if let Ok(node) = object.lookup_or_create(&Path::fields(keys), NodeKind::Scalar) {
        node.set_str_value(value);
    }
}

/// `apiVersion`.
pub fn api_version(object: &Node) -> &str {
    nested_str(object, &["apiVersion"]).unwrap_or_default()
}

/// `kind`.
pub fn kind(object: &Node) -> &str {
    nested_str(object, &["kind"]).unwrap_or_default()
}

/// `metadata.name`.
pub fn name(object: &Node) -> &str {
    nested_str(object, &["metadata", "name"]).unwrap_or_default()
}

/// `metadata.namespace`, when the object has one (even empty).
pub fn namespace(object: &Node) -> Option<&str> {
    object.get_path(&["metadata", "namespace"]).map(|n| n.as_str().unwrap_or_default())
}

/// The group of an `apiVersion` (empty for the core group).
pub fn group(api_version: &str) -> &str {
    api_version.split_once('/').map_or("", |(group, _)| group)
}

/// Whether `object` is `kind` of `api_version`.
pub fn is(object: &Node, api_version_: &str, kind_: &str) -> bool {
    api_version(object) == api_version_ && kind(object) == kind_
}

/// Annotation `key`, if set.
pub fn annotation<'a>(object: &'a Node, key: &str) -> Option<&'a str> {
    porch_krm::annotations::of(object, key)
}

/// Sets annotation `key`.
pub fn set_annotation(object: &mut Node, key: &str, value: &str) {
    set_nested_str(object, &["metadata", "annotations", key], value);
}

/// Whether the object is local configuration (`config.kubernetes.io/local-config` set and not
/// `"false"`).
pub fn is_local_config(object: &Node) -> bool {
    annotation(object, LOCAL_CONFIG).is_some_and(|v| !v.is_empty() && v != "false")
}

/// Whether kyaml reads metadata from `object` (`GetMeta` fails with "missing Resource metadata"
/// otherwise): a mapping with a non-empty `apiVersion` or `kind`, or a `metadata` with a
/// non-empty `name`, `namespace`, `labels` or `annotations` (empty: null, `{}` or `[]`).
pub fn has_meta(object: &Node) -> bool {
    let set = |node: &Node, key: &str| {
        node.get(key).is_some_and(|v| {
            !(v.is_null()
                || v.as_mapping().is_some_and(Vec::is_empty)
                || v.as_sequence().is_some_and(Vec::is_empty))
        })
    };
    set(object, "apiVersion")
        || set(object, "kind")
        || object
            .get("metadata")
            .is_some_and(|m| ["name", "namespace", "labels", "annotations"].iter().any(|k| set(m, k)))
}

/// Whether the object is namespaced: as the table of built-in kinds says, else when it has
/// `metadata.namespace`.
pub fn is_namespaced(object: &Node) -> bool {
    builtin_namespaced(api_version(object), kind(object)).unwrap_or_else(|| namespace(object).is_some())
}

/// How the SDK names an object in messages.
pub fn short_string(object: &Node) -> String {
    format!(
        "Resource(apiVersion={}, kind={}, namespace={}, name={})",
        api_version(object),
        kind(object),
        namespace(object).unwrap_or_default(),
        name(object)
    )
}

/// An object's identity: group, kind, namespace ([`CLUSTER`] when cluster-scoped) and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// API group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace, [`DEFAULT_NAMESPACE`] for a namespaced object without one, [`CLUSTER`] for a
    /// cluster-scoped one.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// The object's own identity.
pub fn identity(object: &Node) -> Identity {
    let namespace = match namespace(object) {
        Some(ns) => ns.to_string(),
        None if is_namespaced(object) => DEFAULT_NAMESPACE.to_string(),
        None => CLUSTER.to_string(),
    };
    Identity {
        group: group(api_version(object)).to_string(),
        kind: kind(object).to_string(),
        namespace,
        name: name(object).to_string(),
    }
}

/// Whether the object records an upstream identity.
pub fn has_upstream_origin(object: &Node) -> bool {
    annotation(object, UPSTREAM_IDENTIFIER).is_some_and(|v| !v.is_empty())
}

/// The object's identity in its upstream package (`<group>|<kind>|<namespace>|<name>`), or its
/// own when it records none or a malformed one.
pub fn origin(object: &Node) -> Identity {
    annotation(object, UPSTREAM_IDENTIFIER).and_then(parse_identifier).unwrap_or_else(|| identity(object))
}

/// `<group>|<kind>|<namespace>|<name>`: group a DNS subdomain or empty, kind capitalised,
/// namespace a DNS label or [`CLUSTER`], name a DNS label.
fn parse_identifier(text: &str) -> Option<Identity> {
    let mut parts = text.trim().split('|');
    let (group, kind, namespace, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let label = |s: &str| {
        (1..=63).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let ok = parts.next().is_none()
        && group.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && kind.starts_with(|c: char| c.is_ascii_uppercase())
        && kind.bytes().all(|b| b.is_ascii_alphanumeric())
        && (label(namespace) || namespace == CLUSTER)
        && label(name);
    ok.then(|| Identity {
        group: group.into(),
        kind: kind.into(),
        namespace: namespace.into(),
        name: name.into(),
    })
}

/// The string entries of the config's `data`, as kyaml's `GetDataMap` reads them (null and
/// non-scalar values are empty; a repeated key keeps its first place and its last value).
pub(crate) fn data(config: Option<&Node>) -> Vec<(String, String)> {
    let text =
        |n: &Node| if n.is_null() { String::new() } else { n.as_str().unwrap_or_default().to_string() };
    let mut out: Vec<(String, String)> = Vec::new();
    let pairs = config.and_then(|c| c.get("data")).and_then(Node::as_mapping);
    for pair in pairs.into_iter().flatten() {
        let (key, value) = (text(&pair.key), text(&pair.value));
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => out.push((key, value)),
        }
    }
    out
}
