//! The target walk of kustomize api 0.10 (catalog v0.1.1): kyaml 0.13's `PathGetter`
//! (`Lookup` / `LookupCreate`) over a parsed [`Path`]. It differs from [`Node::lookup_or_create`]
//! where kyaml 0.13 did:
//! - one node: `*` is an ordinary key; `-` is the last element; an element match compares
//!   exactly (an empty value matches any element with the field);
//! - something missing (a field, an index past the end, a null node on the way) ends the walk
//!   with nothing found, and no error;
//! - with `create`, only fields and unmatched elements are made (never an index); a missing
//!   field becomes a sequence before an element match, else a mapping (even before an index,
//!   which then fails), and the last one a node of the value's kind;
//! - a node of the wrong kind fails with kyaml 0.13's message.

use porch_krm::{Node, NodeKind, Path, Segment, Style};

/// kyaml 0.13's `ErrorIfInvalid` message.
fn wrong_kind(fields: &[&str], expected: NodeKind, node: &Node) -> String {
    crate::kustomize::wrong_kind(fields, expected, node)
}

fn empty(kind: NodeKind) -> Node {
    match kind {
        NodeKind::Mapping => Node::mapping(),
        NodeKind::Sequence => Node::sequence(),
        NodeKind::Scalar | NodeKind::Alias => Node::scalar("", Style::Plain),
    }
}

/// Whether a sequence element matches `[field=value]` as kyaml 0.13's `ElementMatcher` does.
fn element_matches(element: &Node, field: &str, value: &str) -> bool {
    if field.is_empty() {
        return element.as_str().unwrap_or_default() == value;
    }
    if element.kind() != NodeKind::Mapping {
        return false;
    }
    element.get(field).is_some_and(|v| value.is_empty() || v.as_str().unwrap_or_default() == value)
}

/// The element an unmatched `[field=value]` appends when creating.
fn new_element(field: &str, value: &str) -> Node {
    if field.is_empty() {
        return Node::scalar(value, Style::Plain);
    }
    let mut element = Node::mapping();
    // A fresh mapping takes any key.
    let _ = element.set(field, Node::scalar(value, Style::Plain));
    element
}

/// The node at `path` below `node`, `None` when something is missing; with `create`, missing
/// fields and elements are made (see the module docs).
///
/// # Errors
/// A negative index, a node of the wrong kind on the way (kyaml 0.13's messages).
pub(super) fn lookup<'a>(
    mut node: &'a mut Node,
    path: &Path,
    create: Option<NodeKind>,
) -> Result<Option<&'a mut Node>, String> {
    let segments = path.segments();
    let mut fields: Vec<&str> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let next = segments.get(i + 1);
        if let Segment::Index(index) = segment
            && *index < 0
        {
            return Err(format!("array index {index} cannot be negative"));
        }
        // kyaml returns nothing below a null node.
        if node.is_null() {
            return Ok(None);
        }
        node = match segment {
            Segment::Field(_) | Segment::Wildcard => {
                let key = match segment {
                    Segment::Field(key) => key.as_str(),
                    _ => "*",
                };
                if node.kind() != NodeKind::Mapping {
                    return Err(wrong_kind(&fields, NodeKind::Mapping, node));
                }
                fields.push(key);
                if node.get(key).is_none() {
                    let Some(leaf) = create else { return Ok(None) };
                    let kind = match next {
                        None => leaf,
                        Some(Segment::Match { .. }) => NodeKind::Sequence,
                        Some(_) => NodeKind::Mapping,
                    };
                    // The node is a mapping: setting a key cannot fail.
                    let _ = node.set(key, empty(kind));
                }
                match node.get_mut(key) {
                    Some(found) => found,
                    None => return Ok(None),
                }
            }
            Segment::Index(_) | Segment::Append | Segment::Match { .. } => {
                if node.kind() != NodeKind::Sequence {
                    return Err(wrong_kind(&fields, NodeKind::Sequence, node));
                }
                let Some(items) = node.as_sequence_mut() else { return Ok(None) };
                let at = match segment {
                    Segment::Index(index) => usize::try_from(*index).ok().filter(|i| *i < items.len()),
                    Segment::Append => items.len().checked_sub(1),
                    Segment::Match { field, value } => {
                        match items.iter().position(|e| element_matches(e, field, value)) {
                            Some(at) => Some(at),
                            None if create.is_some() => {
                                items.push(new_element(field, value));
                                Some(items.len() - 1)
                            }
                            None => None,
                        }
                    }
                    _ => None,
                };
                match at.and_then(|at| items.get_mut(at)) {
                    Some(found) => found,
                    None => return Ok(None),
                }
            }
        };
    }
    Ok(Some(node))
}
