//! kustomize's `fieldspec.Filter` as set-image (kustomize api v0.11.0), ensure-name-substring,
//! set-labels v0.1 and set-annotations (api v0.8.11) use it: the fields a `FieldSpec` names in
//! an object, each handed to a setter; for the transformers, an entry set in each (kustomize's
//! `filtersutil.SetEntry`).
//!
//! A spec selects objects by group, version and kind of their `apiVersion`/`kind` (empty: any).
//! Its path is `/`-separated (`\/` is a slash inside a key); a `name[]` segment names a sequence
//! field. A sequence met on the way is walked element by element with the rest of the path. A
//! missing field ends the walk, unless the spec says `create` and the caller gives a kind to
//! create the last field as (the fields on the way become mappings; never below `[]`). A null
//! field named by `name[]` becomes an empty sequence; a null met before the path ends stops the
//! walk; the setter gets whatever is at the end, null included.

use porch_krm::{Document, Node, NodeKind, Style};

use super::{group_version, res_id, split_path, wrong_kind};
use crate::object;

/// One field spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldSpec {
    /// API group (empty: any).
    pub(crate) group: String,
    /// API version (empty: any).
    pub(crate) version: String,
    /// Kind (empty: any).
    pub(crate) kind: String,
    /// `/`-separated path.
    pub(crate) path: String,
    /// Whether missing fields are created.
    pub(crate) create: bool,
}

/// How the kustomize api in use names the object in an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wording {
    /// api v0.8.11: `considering field '<path>' of object\n<yaml>`.
    ObjectYaml,
    /// api v0.11.0: `considering field '<path>' of object <resid>`.
    ResId,
}

/// What the setter is handed: the node at the end of the path, and the field names walked to it.
pub(crate) type Setter<'a> = dyn FnMut(&mut Node, &[String]) -> Result<(), String> + 'a;

impl FieldSpec {
    /// Whether the spec is about `object`: the kind, and the group and version of its
    /// `apiVersion` (split at the first `/`; without one it is all version).
    pub(crate) fn selects(&self, object: &Node) -> bool {
        let (group, version) = group_version(object::api_version(object));
        (self.kind.is_empty() || self.kind == object::kind(object))
            && (self.group.is_empty() || self.group == group)
            && (self.version.is_empty() || self.version == version)
    }

    /// Calls `set` on each field of `object` the spec names. `create_leaf`: the kind a missing
    /// last field is made as when the spec says `create` (`None`: nothing is made). An error
    /// names the object as it was before the walk.
    pub(crate) fn apply(
        &self,
        object: &mut Node,
        create_leaf: Option<NodeKind>,
        wording: Wording,
        set: &mut Setter<'_>,
    ) -> Result<(), String> {
        if !self.selects(object) {
            return Ok(());
        }
        let context = match wording {
            ObjectYaml => format!("\n{}", Document::new(object.clone()).to_text()),
            Wording::ResId => format!(" {}", res_id(object)),
        };
        self.walk(object, create_leaf, wording, false, set)
            .map_err(|e| format!("considering field '{}' of object{context}: {e}", self.path))
    }

    /// Sets entry `key` to `value` in the mappings of `object` the spec names, as kustomize's
    /// label and annotation transformers do (api v0.8.11): what is missing is created as
    /// mappings when the spec says `create`; at the end of the path the entry is added to the
    /// mapping, or its value replaced (an existing value keeps its style, a new one is a
    /// string); a null there takes nothing.
    ///
    /// # Errors
    /// kustomize's, naming the object as it is then (partly set): a scalar where the path goes
    /// on, a field at the end of the path that is not a mapping, an empty path segment.
    pub(crate) fn set_entry(&self, object: &mut Node, key: &str, value: &str) -> Result<(), String> {
        if !self.selects(object) {
            return Ok(());
        }
        let mut set = |node: &mut Node, fields: &[String]| {
            if node.is_null() {
                return Ok(());
            }
            if node.kind() != NodeKind::Mapping {
                return Err(wrong_kind(fields, NodeKind::Mapping, node));
            }
            match node.get_mut(key) {
                Some(existing) if existing.kind() == NodeKind::Scalar => existing.set_str_value(value),
                _ => {
                    // A mapping takes any key.
                    let _ = node.set(key, Node::string(value));
                }
            }
            Ok(())
        };
        self.walk(object, Some(NodeKind::Mapping), ObjectYaml, true, &mut set).map_err(|e| {
            format!(
                "considering field '{}' of object\n{}: {e}",
                self.path,
                Document::new(object.clone()).to_text()
            )
        })
    }

    /// The walk of [`Self::apply`] and [`Self::set_entry`], its error not yet about the object.
    /// `keep_anchor`: whether a null made a mapping or sequence keeps its anchor (the
    /// transformers' port keeps it, as kyaml changes the node's kind in place; set-image's and
    /// ensure-name-substring's drop it — kept apart so no function's output changes).
    fn walk(
        &self,
        object: &mut Node,
        create_leaf: Option<NodeKind>,
        wording: Wording,
        keep_anchor: bool,
        set: &mut Setter<'_>,
    ) -> Result<(), String> {
        let path = split_path(&self.path);
        let mut walk = Walk { create: create_leaf.filter(|_| self.create), wording, keep_anchor, set };
        walk.walk(object, &path, &mut Vec::new())
    }
}

use Wording::ObjectYaml;

/// One spec's walk.
struct Walk<'a, 'b> {
    /// The kind of a missing last field to make, when making.
    create: Option<NodeKind>,
    /// api v0.8.11 starts the field names afresh in each sequence element; v0.11.0 keeps them.
    wording: Wording,
    /// Whether a null made a mapping or sequence keeps its anchor.
    keep_anchor: bool,
    set: &'a mut Setter<'b>,
}

impl Walk<'_, '_> {
    fn walk(&mut self, node: &mut Node, path: &[String], fields: &mut Vec<String>) -> Result<(), String> {
        let Some((first, rest)) = path.split_first() else { return (self.set)(node, fields) };
        if node.is_null() {
            return Ok(());
        }
        match node.kind() {
            NodeKind::Sequence => {
                for item in node.as_sequence_mut().into_iter().flatten() {
                    let mut at = if self.wording == ObjectYaml { Vec::new() } else { fields.clone() };
                    self.walk(item, path, &mut at)
                        .map_err(|e| format!("visit traversal on path: [{}]: {e}", path.join(" ")))?;
                }
                Ok(())
            }
            NodeKind::Mapping => {
                let (name, sequence) =
                    first.strip_suffix("[]").map_or((first.as_str(), false), |n| (n, true));
                if name.is_empty() {
                    return Err("cannot set or create an empty field name".into());
                }
                let make = match self.create {
                    Some(_) if sequence => None,
                    Some(leaf) if rest.is_empty() => Some(leaf),
                    Some(_) => Some(NodeKind::Mapping),
                    None => None,
                };
                if let Some(kind) = make {
                    match node.get_mut(name) {
                        // A mapping takes any key.
                        None => {
                            let _ = node.set(name, empty(kind));
                        }
                        // A null is made the kind wanted (a null scalar keeps its text).
                        Some(field) if field.is_null() && kind != NodeKind::Scalar => {
                            let mut made = empty(kind);
                            made.comments = std::mem::take(&mut field.comments);
                            if self.keep_anchor {
                                made.anchor = field.anchor.take();
                            }
                            *field = made;
                        }
                        Some(_) => {}
                    }
                }
                let Some(field) = node.get_mut(name) else { return Ok(()) };
                if sequence && field.is_null() {
                    let mut made = Node::sequence();
                    made.comments = std::mem::take(&mut field.comments);
                    if self.keep_anchor {
                        made.anchor = field.anchor.take();
                    }
                    *field = made;
                }
                fields.push(name.to_string());
                self.walk(field, rest, fields)
            }
            // kustomize follows an alias to its anchor; the tree does not link them.
            NodeKind::Alias => Ok(()),
            NodeKind::Scalar => Err("expected sequence or mapping node".into()),
        }
    }
}

/// An empty node of `kind`, as kyaml creates one (a scalar is an empty plain one).
fn empty(kind: NodeKind) -> Node {
    match kind {
        NodeKind::Sequence => Node::sequence(),
        NodeKind::Scalar => Node::scalar("", Style::Plain),
        _ => Node::mapping(),
    }
}
