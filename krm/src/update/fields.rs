//! kyaml merge3's field walk (`walk.Walker` with `merge3.Visitor`, `VisitKeysAsScalars`), over
//! the three versions of one node: `dest` (local), `orig` (original) and `upd` (updated).
//!
//! - The kind of the first non-null source decides; every other non-null source must be of
//!   the same kind (else an error, as kyaml's).
//! - Mappings: an explicit null in `upd` or `dest` clears the field; missing from both `dest`
//!   and `upd` clears it; missing from `dest` only starts an empty mapping that the fields are
//!   merged into (so a map field deleted locally comes back, as `{}` when nothing in it
//!   changed). Keys are visited in sorted order: kept keys stay where they are in `dest`, new
//!   ones are appended in sorted order. A key's comments come from the key the scalar rule
//!   picks.
//! - Scalars: null in `upd` or `dest` clears; present in one of `upd`/`orig` only: `upd`
//!   (including its absence); absent in both: `dest`; `upd` ≠ `orig` (value or comments) with
//!   `dest` missing or equal to `orig`: `upd`; `upd`'s value ≠ `orig`'s: `upd`; else `dest`.
//! - Non-associative lists: like scalars, as a whole: `upd` when it differs from `orig`.
//! - Associative lists: see `lists`.
//!
//! A value from `upd` or `orig` put where `dest` had a value takes `dest`'s style (kyaml's
//! `FieldSetter`), so a locally quoted value stays quoted. Differs from kpt: the style is kept
//! only when the value still reads as the same type (kyaml turns `80` into `"80"` when `dest`
//! had a quoted string there).

use std::collections::BTreeSet;

use super::schema::{Schema, Shape, TypeRef};
use crate::node::{Comments, Content, Node, NodeKind, Pair, Style};
use crate::scalar::is_yaml11_non_string;

/// An associative list's merge keys and element type.
type ListKeys<'t> = (Vec<String>, Option<TypeRef<'t>>);

/// The three versions of a node; `None` is missing.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Sources<'n> {
    pub(super) dest: Option<&'n Node>,
    pub(super) orig: Option<&'n Node>,
    pub(super) upd: Option<&'n Node>,
}

impl<'n> Sources<'n> {
    fn all(&self) -> [Option<&'n Node>; 3] {
        [self.dest, self.orig, self.upd]
    }

    /// The values of `key` in each (mapping) source.
    fn field(&self, key: &str) -> Sources<'n> {
        let get = |n: Option<&'n Node>| n.and_then(|n| n.get(key));
        Sources { dest: get(self.dest), orig: get(self.orig), upd: get(self.upd) }
    }

    /// The key nodes of `key` in each source.
    fn key(&self, key: &str) -> Sources<'n> {
        let get = |n: Option<&'n Node>| n.and_then(|n| n.pair(key)).map(|p| &p.key).filter(|k| !k.is_null());
        Sources { dest: get(self.dest), orig: get(self.orig), upd: get(self.upd) }
    }
}

/// Missing, or a null scalar (kyaml's `IsMissingOrNull`).
pub(super) fn missing_or_null(n: Option<&Node>) -> bool {
    n.is_none_or(Node::is_null)
}

/// Present and null (kyaml's `IsTaggedNull`).
fn tagged_null(n: Option<&Node>) -> bool {
    n.is_some_and(Node::is_null)
}

/// The merge: a schema for associative lists, and whether lists of mappings that all have a
/// `name` are associative without a schema (kyaml's `InferAssociativeLists`, used for the
/// Kptfile).
#[derive(Debug)]
pub(super) struct Walker<'s> {
    pub(super) schema: &'s Schema,
    pub(super) infer: bool,
}

impl Walker<'_> {
    /// Merges a whole resource: its schema is looked up from the first source with a kind and
    /// an apiVersion. `None`: the resource merged away.
    pub(super) fn merge_resource(&self, s: Sources<'_>) -> Result<Option<Node>, String> {
        let ty = s.all().into_iter().flatten().find_map(|n| {
            let api = n.get("apiVersion").and_then(Node::as_str).filter(|v| !v.is_empty())?;
            let kind = n.get("kind").and_then(Node::as_str).filter(|v| !v.is_empty())?;
            Some(self.schema.for_kind(api, kind))
        });
        self.merge(s, ty.flatten().map(Shape::Object), &mut Vec::new())
    }

    /// Merges one node; `None`: the field is cleared.
    pub(super) fn merge(
        &self,
        s: Sources<'_>,
        shape: Option<Shape<'_>>,
        path: &mut Vec<String>,
    ) -> Result<Option<Node>, String> {
        let kind = s.all().into_iter().flatten().find(|n| !n.is_null()).map(Node::kind);
        let Some(kind) = kind else { return Ok(self.map_start(s)) };
        for n in s.all().into_iter().flatten().filter(|n| !n.is_null()) {
            if n.kind() != kind {
                return Err(format!(
                    "wrong node kind at {}: expected {} but got {}",
                    if path.is_empty() { "the top".to_string() } else { path.join(".") },
                    kind_name(kind),
                    kind_name(n.kind())
                ));
            }
        }
        match kind {
            NodeKind::Mapping => self.map(s, shape, path),
            NodeKind::Sequence => match self.list_keys(s, shape, path)? {
                Some((keys, item)) => self.associative_list(s, &keys, item, path),
                None => Ok(non_associative_list(s)),
            },
            NodeKind::Scalar | NodeKind::Alias => Ok(pick_scalar(s).cloned()),
        }
    }

    /// kyaml's `VisitMap`: the mapping the fields are merged into, if any.
    fn map_start(&self, s: Sources<'_>) -> Option<Node> {
        if tagged_null(s.upd) || tagged_null(s.dest) || (s.dest.is_none() && s.upd.is_none()) {
            return None;
        }
        Some(s.dest.cloned().unwrap_or_else(Node::mapping))
    }

    fn map(
        &self,
        s: Sources<'_>,
        shape: Option<Shape<'_>>,
        path: &mut Vec<String>,
    ) -> Result<Option<Node>, String> {
        let Some(mut out) = self.map_start(s) else { return Ok(None) };
        let keys: BTreeSet<&str> = s.all().into_iter().flatten().flat_map(Node::keys).collect();
        let ty = match shape {
            Some(Shape::Object(t)) => Some(t),
            _ => None,
        };
        for key in keys {
            let picked_key = pick_scalar(s.key(key)).cloned();
            path.push(key.to_string());
            let value = self.merge(s.field(key), ty.and_then(|t| t.field(key)), path)?;
            path.pop();
            set_field(&mut out, key, value, picked_key);
        }
        Ok(Some(out))
    }

    /// The merge keys and element type when the list at hand is associative.
    fn list_keys<'t>(
        &self,
        s: Sources<'_>,
        shape: Option<Shape<'t>>,
        path: &[String],
    ) -> Result<Option<ListKeys<'t>>, String> {
        if let Some(Shape::MergeList { keys, item }) = shape {
            return Ok(Some((keys.to_vec(), item)));
        }
        if !self.infer || shape.is_some() {
            return Ok(None);
        }
        // kyaml's inference: associative when a source's elements all have `name`.
        let named = |items: &Vec<Node>| items.iter().all(|i| i.get("name").is_some());
        let lists: Vec<&Vec<Node>> =
            s.all().into_iter().flatten().filter_map(Node::as_sequence).filter(|l| !l.is_empty()).collect();
        if !lists.iter().any(|l| named(l)) {
            return Ok(None);
        }
        let mut key = "";
        for list in lists {
            let new = if named(list) { "name" } else { "" };
            if !key.is_empty() && key != new {
                return Err(format!("conflicting merge keys [{key},{new}] for field {}", path.join(".")));
            }
            key = new;
        }
        if key.is_empty() {
            return Err(format!("no merge key found for field {}", path.join(".")));
        }
        Ok(Some((vec![key.to_string()], None)))
    }
}

fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Mapping => "MappingNode",
        NodeKind::Sequence => "SequenceNode",
        NodeKind::Scalar => "ScalarNode",
        NodeKind::Alias => "AliasNode",
    }
}

/// kyaml's `VisitScalar`: which version of a scalar (or of a mapping key) wins.
pub(super) fn pick_scalar<'n>(s: Sources<'n>) -> Option<&'n Node> {
    if tagged_null(s.upd) || tagged_null(s.dest) {
        return None;
    }
    let (Some(upd), Some(orig)) = (s.upd.filter(|n| !n.is_null()), s.orig.filter(|n| !n.is_null())) else {
        return if missing_or_null(s.upd) != missing_or_null(s.orig) { s.upd } else { s.dest };
    };
    if s.dest.is_none_or(|d| same(d, orig)) && !same(orig, upd) {
        return Some(upd);
    }
    if upd.as_str() != orig.as_str() || alias_of(upd) != alias_of(orig) {
        return Some(upd);
    }
    s.dest
}

fn alias_of(n: &Node) -> Option<&str> {
    match &n.content {
        Content::Alias(a) => Some(a),
        _ => None,
    }
}

/// kyaml's `visitNAList`: a non-associative list, as a whole.
fn non_associative_list(s: Sources<'_>) -> Option<Node> {
    if tagged_null(s.upd) || tagged_null(s.dest) {
        return None;
    }
    if missing_or_null(s.upd) != missing_or_null(s.orig) {
        return s.upd.cloned();
    }
    match (s.upd, s.orig) {
        (Some(upd), Some(orig)) if !same(upd, orig) => Some(upd.clone()),
        _ => s.dest.cloned(),
    }
}

/// Equal as kyaml compares values (it prints both in one style): the same values and
/// comments, whatever the quoting or block/flow style.
pub(super) fn same(a: &Node, b: &Node) -> bool {
    same_comments(&a.comments, &b.comments)
        && match (&a.content, &b.content) {
            (Content::Scalar(x), Content::Scalar(y)) | (Content::Alias(x), Content::Alias(y)) => x == y,
            (Content::Sequence(x), Content::Sequence(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Content::Mapping(x), Content::Mapping(y)) => {
                x.len() == y.len()
                    && x.iter().zip(y).all(|(a, b)| same(&a.key, &b.key) && same(&a.value, &b.value))
            }
            _ => false,
        }
}

fn same_comments(a: &Comments, b: &Comments) -> bool {
    a.head == b.head && a.line == b.line && a.foot == b.foot
}

/// kyaml's `FieldSetter` as the walk uses it: clears `key` when `value` is `None` or null,
/// replaces an existing value (the new value takes the old one's style), or appends the
/// field. `picked_key` (the key the scalar rule picked) gives the entry's comments.
pub(super) fn set_field(out: &mut Node, key: &str, value: Option<Node>, picked_key: Option<Node>) {
    let Some(mut value) = value.filter(|v| !v.is_null()) else {
        out.remove(key);
        return;
    };
    let Some(pairs) = out.as_mapping_mut() else { return };
    match pairs.iter_mut().find(|p| p.key.as_str() == Some(key)) {
        Some(pair) => {
            if let Some(k) = &picked_key {
                pair.key.comments = k.comments.clone();
            }
            keep_style(&pair.value, &mut value);
            pair.value = value;
        }
        None => {
            if value.style == Style::Plain
                && value.as_str().is_some_and(is_yaml11_non_string)
                && value.scalar_type() == Some(crate::ScalarType::Str)
            {
                value.style = Style::DoubleQuoted;
            }
            let key_node = picked_key.unwrap_or_else(|| Node::string(key));
            pairs.push(Pair::new(key_node, value));
        }
    }
}

/// Gives `value` the style of `old` where that keeps its type.
fn keep_style(old: &Node, value: &mut Node) {
    if old.style == value.style || old.kind() != value.kind() {
        return;
    }
    match value.kind() {
        NodeKind::Scalar => {
            let before = value.scalar_type();
            let mut styled = value.clone();
            styled.style = old.style;
            if styled.scalar_type() == before {
                value.style = old.style;
            }
        }
        NodeKind::Mapping | NodeKind::Sequence => value.style = old.style,
        NodeKind::Alias => {}
    }
}
