//! Which resources a replacement reads from and writes to, as kustomize decides it.
//!
//! A resource's ids are its own (group and version from `apiVersion`, `kind`, `metadata.name`,
//! `metadata.namespace`) plus the previous ones kustomize records in the
//! `internal.config.kubernetes.io/previousNames`, `…/previousNamespaces` and `…/previousKinds`
//! annotations. A selector's fields compare **exactly** (kustomize's `ResId.IsSelectedBy`, not
//! the regular expressions of its patch selectors); an empty field matches anything, and
//! namespaces compare with an empty one standing for `default`. Targets also select by
//! `labelSelector` / `annotationSelector` expressions.

use std::fmt;

use porch_krm::Node;

use super::config::Selector;
use super::labels;
use crate::object;

const PREVIOUS_NAMES: &str = "internal.config.kubernetes.io/previousNames";
const PREVIOUS_NAMESPACES: &str = "internal.config.kubernetes.io/previousNamespaces";
const PREVIOUS_KINDS: &str = "internal.config.kubernetes.io/previousKinds";

/// Group, version, kind, name and namespace: a resource's id, or what a selector asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ResId {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

impl ResId {
    /// Whether `selector` selects this id: each of its non-empty fields is equal.
    pub(super) fn is_selected_by(&self, selector: &ResId) -> bool {
        let effective = |ns: &str| if ns.is_empty() { "default".to_string() } else { ns.to_string() };
        (selector.name.is_empty() || selector.name == self.name)
            && (selector.namespace.is_empty() || effective(&selector.namespace) == effective(&self.namespace))
            && (selector.group.is_empty() || selector.group == self.group)
            && (selector.version.is_empty() || selector.version == self.version)
            && (selector.kind.is_empty() || selector.kind == self.kind)
    }

    /// Whether every field is empty.
    pub(super) fn is_empty(&self) -> bool {
        *self == ResId::default()
    }
}

impl fmt::Display for ResId {
    /// kyaml's `ResId.String()`: `Kind.version.group/name.namespace`, `[noKind]`, `[noVer]`,
    /// `[noGrp]`, `[noName]`, `[noNs]` for empty fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or = |s: &str, none: &'static str| if s.is_empty() { none.to_string() } else { s.to_string() };
        write!(
            f,
            "{}.{}.{}/{}.{}",
            or(&self.kind, "[noKind]"),
            or(&self.version, "[noVer]"),
            or(&self.group, "[noGrp]"),
            or(&self.name, "[noName]"),
            or(&self.namespace, "[noNs]")
        )
    }
}

/// `group/version` split at the first `/` (the core group is empty).
fn group_version(api_version: &str) -> (String, String) {
    match api_version.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    }
}

/// The ids of `object`: its own, then its previous ones.
///
/// # Errors
/// The previous-id annotations do not list as many names, namespaces and kinds.
pub(super) fn ids(object: &Node) -> Result<Vec<ResId>, String> {
    let (group, version) = group_version(object::api_version(object));
    let own = ResId {
        group: group.clone(),
        version: version.clone(),
        kind: object::kind(object).to_string(),
        name: object::name(object).to_string(),
        namespace: object::namespace(object).unwrap_or_default().to_string(),
    };
    let mut ids = vec![own];
    let annotations = map_in_metadata(object, "annotations");
    let get = |key: &str| annotations.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let Some(names) = get(PREVIOUS_NAMES) else { return Ok(ids) };
    let names: Vec<&str> = names.split(',').collect();
    let namespaces: Vec<&str> = get(PREVIOUS_NAMESPACES).unwrap_or_default().split(',').collect();
    let kinds: Vec<&str> = get(PREVIOUS_KINDS).unwrap_or_default().split(',').collect();
    if names.len() != namespaces.len() || names.len() != kinds.len() {
        return Err(
            "number of previous names, number of previous namespaces, number of previous kinds not equal"
                .into(),
        );
    }
    for ((name, namespace), kind) in names.iter().zip(&namespaces).zip(&kinds) {
        ids.push(ResId {
            group: group.clone(),
            version: version.clone(),
            kind: kind.to_string(),
            name: name.to_string(),
            namespace: namespace.to_string(),
        });
    }
    Ok(ids)
}

/// The entries of `metadata.<field>` (labels or annotations), values as text (empty for a
/// collection), in order.
fn map_in_metadata(object: &Node, field: &str) -> Vec<(String, String)> {
    let Some(pairs) = object.get_path(&["metadata", field]).and_then(Node::as_mapping) else {
        return Vec::new();
    };
    pairs
        .iter()
        .filter_map(|p| Some((p.key.as_str()?.to_string(), p.value.as_str().unwrap_or_default().to_string())))
        .collect()
}

/// Whether `object`'s annotations and labels meet `selector`'s expressions.
///
/// # Errors
/// An expression that does not parse (the annotation one is read first).
pub(super) fn matches_annotations_and_labels(object: &Node, selector: &Selector) -> Result<bool, String> {
    let annotations = labels::Selector::parse(&selector.annotation_selector)?;
    let annotation_match = annotations.matches(&map_in_metadata(object, "annotations"));
    let labels = labels::Selector::parse(&selector.label_selector)?;
    Ok(annotation_match && labels.matches(&map_in_metadata(object, "labels")))
}
