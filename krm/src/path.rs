//! Field paths as kustomize and kyaml write them: `spec.template.spec.containers.[name=app].image`.
//!
//! A path is split at dots ([`Path::parse`], kyaml's `SmarterPathSplitter`): `\.` is a dot inside
//! a segment, and a bracketed run keeps its dots: `[name=a.b]` is one element match and
//! `[a.b/c]` (no `=`) one mapping key, `a.b/c`. Each segment is then
//! - a mapping key;
//! - a number: the sequence element at that index;
//! - `-`: a new element appended (when creating);
//! - `[field=value]`: the sequence elements whose `field` has that value; `[=value]`: the scalar
//!   elements with that value;
//! - `*`: every element of a sequence.
//!
//! Two walks, as kyaml has them:
//! - [`Node::lookup`] / [`Node::lookup_or_create`] (kyaml's `PathGetter`, `Lookup`): one node;
//!   element matches compare values exactly; `*` is refused.
//! - [`Node::visit_path`] (kyaml's `PathMatcher`, what kustomize replacements write through):
//!   every node the path reaches; an element match's value is a regular expression searched in
//!   the field's value (unanchored, as kyaml does); with `create`, what is missing is made.
//!   `-` and negative numbers are mapping keys there, as PathMatcher reads them.
//!
//! When creating, a missing field becomes the kind of node the next segment needs (a sequence
//! before an index or an element match, else a mapping) and the last one the kind asked for.

use crate::node::{Node, NodeKind, Style};

/// A path that cannot be walked as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A bracketed segment without `=` and without a dot (kyaml's message).
    #[error("list path element must contain fieldName=fieldValue for element to match")]
    NotAnElementMatch,
    /// A negative index in a lookup.
    #[error("array index {0} cannot be negative")]
    NegativeIndex(i64),
    /// `*` in a lookup.
    #[error("wildcard is not supported in PathGetter")]
    WildcardInLookup,
    /// An index past the end of a sequence (one past it is created when creating).
    #[error("index {index} specified but only {len} elements found")]
    IndexOutOfRange {
        /// The index.
        index: usize,
        /// The sequence's length.
        len: usize,
    },
    /// An element segment on a node that is not a sequence, or a key on one that is not a
    /// mapping.
    #[error("wrong node kind: expected {expected} but got {found}")]
    WrongKind {
        /// The kind the segment needs.
        expected: &'static str,
        /// The kind found.
        found: &'static str,
    },
    /// An element match's value is not a regular expression.
    #[error("{0}")]
    Regex(String),
}

/// One segment of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A mapping key.
    Field(String),
    /// A sequence index (a negative one is kept to be refused by lookups).
    Index(i64),
    /// `-`: a new element at the end.
    Append,
    /// `[field=value]`, or `[=value]` for scalar elements (`field` empty).
    Match {
        /// The field compared (empty: the element itself).
        field: String,
        /// The value it must have.
        value: String,
    },
    /// `*`: every element.
    Wildcard,
}

/// A parsed field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(Vec<Segment>);

impl Path {
    /// Parses `text` as kyaml splits it (see the module docs). Empty segments are dropped.
    ///
    /// # Errors
    /// [`PathError::NotAnElementMatch`] for a bracketed segment with neither `=` nor a dot.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        split(text)
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| segment(s.trim()))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// A path of mapping keys only.
    pub fn fields<S: AsRef<str>>(keys: &[S]) -> Self {
        Self(keys.iter().map(|k| Segment::Field(k.as_ref().to_string())).collect())
    }

    /// Its segments.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }
}

/// kyaml's `SmarterPathSplitter`: dots split, `\.` does not, and a run from a segment opening
/// with `[` (and not closing) to the next one closing with `]` is one segment, brackets
/// dropped when it holds no `=`.
fn split(text: &str) -> Vec<String> {
    let mut escaped: Vec<String> = Vec::new();
    let mut parts = text.split('.');
    // A leading dot is allowed (`.a.b`), as a leading slash is for kyaml's other delimiter.
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let mut pieces = vec![first];
    if first.is_empty() && !rest.is_empty() {
        pieces.clear();
    }
    pieces.extend(rest);
    for piece in pieces {
        match escaped.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(piece);
            }
            _ => escaped.push(piece.to_string()),
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < escaped.len() {
        let elem = &escaped[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut bracketed = vec![elem.as_str()];
            while i + 1 < escaped.len() {
                i += 1;
                bracketed.push(&escaped[i]);
                if escaped[i].ends_with(']') {
                    break;
                }
            }
            let joined = bracketed.join(".");
            if joined.contains('=') {
                out.push(joined);
            } else {
                out.push(joined.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            out.push(elem.clone());
        }
        i += 1;
    }
    out
}

fn segment(text: &str) -> Result<Segment, PathError> {
    if let Ok(index) = text.parse::<i64>() {
        return Ok(Segment::Index(index));
    }
    Ok(match text {
        "-" => Segment::Append,
        "*" => Segment::Wildcard,
        _ if text.starts_with('[') && text.ends_with(']') => {
            let inner = &text[1..text.len() - 1];
            let (field, value) = inner.split_once('=').ok_or(PathError::NotAnElementMatch)?;
            Segment::Match { field: field.to_string(), value: value.to_string() }
        }
        _ => Segment::Field(text.to_string()),
    })
}

fn kind_name(node: &Node) -> &'static str {
    match node.kind() {
        NodeKind::Scalar => "ScalarNode",
        NodeKind::Mapping => "MappingNode",
        NodeKind::Sequence => "SequenceNode",
        NodeKind::Alias => "AliasNode",
    }
}

/// The kind of node a missing field gets when `next` follows it (`leaf` when nothing does).
fn kind_before(next: Option<&Segment>, leaf: NodeKind) -> NodeKind {
    match next {
        None => leaf,
        Some(Segment::Index(_) | Segment::Append | Segment::Match { .. } | Segment::Wildcard) => {
            NodeKind::Sequence
        }
        Some(Segment::Field(_)) => NodeKind::Mapping,
    }
}

/// An empty node of `kind`: a null scalar for a scalar, an alias with an empty name for an
/// alias (a placeholder a caller replaces, telling made nodes from null ones it found).
fn empty(kind: NodeKind) -> Node {
    match kind {
        NodeKind::Mapping => Node::mapping(),
        NodeKind::Sequence => Node::sequence(),
        NodeKind::Scalar => Node::scalar("", Style::Plain),
        NodeKind::Alias => Node::alias(""),
    }
}

/// The element a `[field=value]` match appends when creating.
fn new_element(field: &str, value: &str) -> Node {
    if field.is_empty() {
        return Node::scalar(value, Style::Plain);
    }
    let mut element = Node::mapping();
    // A fresh mapping takes any key.
    let _ = element.set_string(field, value);
    element
}

/// The value of an element that a match compares: the element itself, or its `field`.
fn compared<'a>(element: &'a Node, field: &str) -> Option<&'a str> {
    if field.is_empty() { element.as_str() } else { element.get(field)?.as_str() }
}

impl Node {
    fn sequence_items(&self) -> Result<&Vec<Node>, PathError> {
        self.as_sequence().ok_or(PathError::WrongKind { expected: "SequenceNode", found: kind_name(self) })
    }

    fn sequence_items_mut(&mut self) -> Result<&mut Vec<Node>, PathError> {
        let found = kind_name(self);
        self.as_sequence_mut().ok_or(PathError::WrongKind { expected: "SequenceNode", found })
    }

    /// The one node at `path` (kyaml's `Lookup`): `None` when something along it is missing.
    ///
    /// # Errors
    /// `*` in the path, a negative index, an element segment on a node that is not a sequence.
    pub fn lookup(&self, path: &Path) -> Result<Option<&Node>, PathError> {
        let mut node = self;
        for segment in path.segments() {
            let next = match segment {
                Segment::Field(key) => match node.kind() {
                    NodeKind::Mapping => node.get(key),
                    _ => None,
                },
                Segment::Index(index) => {
                    let index = usize::try_from(*index).map_err(|_| PathError::NegativeIndex(*index))?;
                    node.sequence_items()?.get(index)
                }
                Segment::Append => node.sequence_items()?.last(),
                Segment::Match { field, value } => {
                    node.sequence_items()?.iter().find(|e| compared(e, field) == Some(value.as_str()))
                }
                Segment::Wildcard => return Err(PathError::WildcardInLookup),
            };
            match next {
                Some(found) => node = found,
                None => return Ok(None),
            }
        }
        Ok(Some(node))
    }

    /// The node at `path`, made when missing (kyaml's `LookupCreate`): missing fields become
    /// what the next segment needs and the last one a node of `leaf`; a missing element match
    /// appends `{field: value}` (or the scalar `value`); `-` appends a new element.
    ///
    /// # Errors
    /// As [`Node::lookup`], and an index past the end of a sequence.
    pub fn lookup_or_create(&mut self, path: &Path, leaf: NodeKind) -> Result<&mut Node, PathError> {
        let segments = path.segments();
        let mut node = self;
        for (i, segment) in segments.iter().enumerate() {
            let make = kind_before(segments.get(i + 1), leaf);
            node = match segment {
                Segment::Field(key) => {
                    if node.is_null() {
                        *node = Node::mapping();
                    }
                    if node.kind() != NodeKind::Mapping {
                        return Err(PathError::WrongKind { expected: "MappingNode", found: kind_name(node) });
                    }
                    if node.get(key).is_none_or(Node::is_null) {
                        let _ = node.set(key, empty(make));
                    }
                    node.get_mut(key)
                        .ok_or(PathError::WrongKind { expected: "MappingNode", found: "ScalarNode" })?
                }
                Segment::Index(index) => {
                    let index = usize::try_from(*index).map_err(|_| PathError::NegativeIndex(*index))?;
                    let items = node.sequence_items_mut()?;
                    let len = items.len();
                    items.get_mut(index).ok_or(PathError::IndexOutOfRange { index, len })?
                }
                Segment::Append => {
                    let items = node.sequence_items_mut()?;
                    items.push(empty(make));
                    items.last_mut().expect("just pushed")
                }
                Segment::Match { field, value } => {
                    let items = node.sequence_items_mut()?;
                    let at = match items.iter().position(|e| compared(e, field) == Some(value.as_str())) {
                        Some(at) => at,
                        None => {
                            items.push(new_element(field, value));
                            items.len() - 1
                        }
                    };
                    &mut items[at]
                }
                Segment::Wildcard => return Err(PathError::WildcardInLookup),
            };
        }
        Ok(node)
    }

    /// Calls `visit` on every node `path` reaches (kyaml's `PathMatcher`) and returns how many
    /// it did. With `create`, a missing field is made (the last one a node of that kind), an
    /// index one past the end appends an element, and an element match that matches nothing
    /// appends `{field: value}`. A scalar reached before the path ends matches nothing. `-` and
    /// a negative number are mapping keys (PathMatcher has no append and no negative index).
    /// A leaf made for [`NodeKind::Alias`] is an alias with an empty name, for `visit` to
    /// replace: it tells a made node from a null one found.
    ///
    /// # Errors
    /// An element segment on a node that is not a sequence, an index past the end, a match
    /// value that is not a regular expression, or what `visit` returns.
    pub fn visit_path<E>(
        &mut self,
        path: &Path,
        create: Option<NodeKind>,
        visit: &mut dyn FnMut(&mut Node) -> Result<(), E>,
    ) -> Result<usize, E>
    where
        E: From<PathError>,
    {
        visit_from(self, path.segments(), create, visit)
    }
}

/// kyaml's PathMatcher knows no `-` and no negative index: they are mapping keys.
fn matcher_key(segment: &Segment) -> Option<Segment> {
    match segment {
        Segment::Append => Some(Segment::Field("-".into())),
        Segment::Index(index) if *index < 0 => Some(Segment::Field(index.to_string())),
        _ => None,
    }
}

fn visit_from<E: From<PathError>>(
    node: &mut Node,
    segments: &[Segment],
    create: Option<NodeKind>,
    visit: &mut dyn FnMut(&mut Node) -> Result<(), E>,
) -> Result<usize, E> {
    let Some((segment, rest)) = segments.split_first() else {
        visit(node)?;
        return Ok(1);
    };
    let as_key = matcher_key(segment);
    // What a missing field becomes depends on the segment after it, as PathMatcher reads it.
    let next = rest.first().map(|s| matcher_key(s).unwrap_or_else(|| s.clone()));
    match as_key.as_ref().unwrap_or(segment) {
        Segment::Field(key) => {
            if let Some(kind) = create {
                if node.is_null() {
                    *node = Node::mapping();
                }
                let missing = match node.get(key) {
                    None => node.kind() == NodeKind::Mapping,
                    Some(value) => value.is_null() && !rest.is_empty(),
                };
                if missing {
                    let _ = node.set(key, empty(kind_before(next.as_ref(), kind)));
                }
            }
            match node.get_mut(key) {
                // A scalar before the path ends holds nothing to walk into.
                Some(next) if rest.is_empty() || next.kind() != NodeKind::Scalar => {
                    visit_from(next, rest, create, visit)
                }
                _ => Ok(0),
            }
        }
        Segment::Index(index) => {
            let index = usize::try_from(*index).map_err(|_| PathError::NegativeIndex(*index))?;
            let items = node.sequence_items_mut()?;
            if items.len() == index
                && let Some(kind) = create
            {
                items.push(empty(kind_before(next.as_ref(), kind)));
            }
            let len = items.len();
            let item = items.get_mut(index).ok_or(PathError::IndexOutOfRange { index, len })?;
            visit_from(item, rest, create, visit)
        }
        Segment::Append => Ok(0),
        Segment::Wildcard => {
            let mut n = 0;
            for item in node.sequence_items_mut()? {
                n += visit_from(item, rest, create, visit)?;
            }
            Ok(n)
        }
        Segment::Match { field, value } => {
            let pattern = regex::Regex::new(value).map_err(|e| PathError::Regex(e.to_string()))?;
            let items = node.sequence_items_mut()?;
            let mut n = 0;
            let mut matched = false;
            for item in items.iter_mut() {
                if compared(item, field).is_some_and(|v| pattern.is_match(v.trim())) {
                    matched = true;
                    n += visit_from(item, rest, create, visit)?;
                }
            }
            if !matched && create.is_some() {
                items.push(new_element(field, value));
                let item = items.last_mut().expect("just pushed");
                n += visit_from(item, rest, create, visit)?;
            }
            Ok(n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Node {
        crate::Stream::parse(text).unwrap().documents.remove(0).root.unwrap()
    }

    #[test]
    fn visit_path_reads_dash_and_negative_numbers_as_keys() {
        let mut root = doc("a:\n  '-': x\n  '-1': y\nlist: [p, q]\n");
        let mut seen = Vec::new();
        for text in ["a.-", "a.-1", "list.-"] {
            let n = root
                .visit_path::<PathError>(&Path::parse(text).unwrap(), None, &mut |node| {
                    seen.push(node.as_str().unwrap_or_default().to_string());
                    Ok(())
                })
                .unwrap();
            assert_eq!(n, usize::from(text != "list.-"), "{text}");
        }
        assert_eq!(seen, ["x", "y"]);
        let made =
            root.visit_path::<PathError>(&Path::parse("b.-").unwrap(), Some(NodeKind::Scalar), &mut |_| {
                Ok(())
            });
        assert_eq!(made, Ok(1), "created as a key, not appended");
        assert!(root.get("b").and_then(|b| b.get("-")).is_some());
    }

    #[test]
    fn a_made_alias_leaf_is_an_empty_alias() {
        let mut root = doc("a: {}\nb:\n");
        let mut kinds = Vec::new();
        for text in ["a.x", "b"] {
            root.visit_path::<PathError>(&Path::parse(text).unwrap(), Some(NodeKind::Alias), &mut |node| {
                kinds.push(node.kind());
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(kinds, [NodeKind::Alias, NodeKind::Scalar], "made, then found (null)");
    }
}
