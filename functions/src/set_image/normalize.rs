//! An item as set-image v0.1 hands it back to kpt: its catalog code sends every item through
//! JSON (kyaml's `filtersutil.ApplyToJSON`: YAML → Go values → JSON → Go `map[string]any` →
//! YAML), and kpt then copies the input's comments back and restores its field order (kyaml's
//! `FunctionFilter`). What stays changed is what the round trip does to values:
//! - a string is written as go-yaml writes a new one (plain when it reads back as that string,
//!   else double-quoted; a multi-line one as a literal block); a timestamp is a quoted string;
//! - a number becomes a float64 written as Go's `%g` writes it (`3`, `0.5`, `1e+06`);
//! - a boolean is `true`/`false`, a null `null` (an empty value too);
//! - flow collections become block ones; anchors go, aliases are expanded, `<<` merges are
//!   applied (merged fields last); tags go.
//!
//! It fails as `encoding/json` does on a mapping with a key that is not a string
//! (`json: unsupported type: map[interface {}]interface {}`) and on `.inf`/`.nan`
//! (`json: unsupported value: +Inf`).

use std::collections::HashMap;

use porch_krm::{Content, Node, Number, Pair, ScalarType, Style, parse_number};

use crate::go::format_float64;

/// Aliases are expanded at most this deep.
const MAX_DEPTH: usize = 64;
/// Nodes made by expanding aliases, at most (beyond, as go-yaml refuses it: excessive aliasing).
const MAX_EXPANDED: usize = 100_000;

/// `item` after the round trip, its comments and order kept.
pub(super) fn normalize(item: &Node) -> Result<Node, String> {
    let mut anchors = HashMap::new();
    collect_anchors(item, &mut anchors);
    Round { anchors, expanded: 0 }.convert(item, 0)
}

fn collect_anchors<'a>(node: &'a Node, anchors: &mut HashMap<&'a str, &'a Node>) {
    if let Some(anchor) = &node.anchor {
        anchors.entry(anchor.as_str()).or_insert(node);
    }
    match &node.content {
        Content::Mapping(pairs) => pairs.iter().for_each(|p| {
            collect_anchors(&p.key, anchors);
            collect_anchors(&p.value, anchors);
        }),
        Content::Sequence(items) => items.iter().for_each(|i| collect_anchors(i, anchors)),
        _ => {}
    }
}

/// One item's round trip.
struct Round<'a> {
    anchors: HashMap<&'a str, &'a Node>,
    /// Nodes made for aliases so far.
    expanded: usize,
}

impl Round<'_> {
    /// `node`, `depth` aliases deep.
    fn convert(&mut self, node: &Node, depth: usize) -> Result<Node, String> {
        if depth > 0 {
            self.expanded += 1;
            if self.expanded > MAX_EXPANDED {
                return Err("yaml: document contains excessive aliasing".into());
            }
        }
        let mut out = match &node.content {
            Content::Scalar(text) => scalar(node, text)?,
            Content::Sequence(items) => {
                let items = items.iter().map(|i| self.convert(i, depth)).collect::<Result<_, _>>()?;
                Node::new(Content::Sequence(items), Style::Plain)
            }
            Content::Mapping(pairs) => self.mapping(pairs, depth)?,
            Content::Alias(name) => match self.anchors.get(name.as_str()).copied() {
                Some(target) if depth < MAX_DEPTH => {
                    let mut expanded = self.convert(target, depth + 1)?;
                    expanded.comments = node.comments.clone();
                    return Ok(expanded);
                }
                _ => Node::null(),
            },
        };
        out.comments = node.comments.clone();
        Ok(out)
    }

    fn mapping(&mut self, pairs: &[Pair], depth: usize) -> Result<Node, String> {
        let mut out: Vec<Pair> = Vec::new();
        let mut merged: Vec<Pair> = Vec::new();
        for pair in pairs {
            let key = pair.key.as_str().unwrap_or_default();
            if key == "<<" && pair.key.style == Style::Plain {
                let sources = match &pair.value.content {
                    Content::Sequence(items) => items.iter().collect(),
                    _ => vec![&pair.value],
                };
                for source in sources {
                    let source = self.convert(source, depth + 1)?;
                    merged.extend(source.as_mapping().into_iter().flatten().cloned());
                }
                continue;
            }
            if pair.key.scalar_type() != Some(ScalarType::Str) {
                return Err("json: unsupported type: map[interface {}]interface {}".into());
            }
            let value = self.convert(&pair.value, depth)?;
            match out.iter_mut().find(|p| p.key.as_str() == Some(key)) {
                Some(existing) => existing.value = value,
                None => {
                    let mut new_key = Node::string(key);
                    new_key.comments = pair.key.comments.clone();
                    out.push(Pair::new(new_key, value));
                }
            }
        }
        for pair in merged {
            if !out.iter().any(|p| p.key.as_str() == pair.key.as_str()) {
                out.push(pair);
            }
        }
        Ok(Node::new(Content::Mapping(out), Style::Plain))
    }
}

/// A scalar as it comes back from JSON.
fn scalar(node: &Node, text: &str) -> Result<Node, String> {
    Ok(match node.scalar_type() {
        Some(ScalarType::Null) => Node::null(),
        Some(ScalarType::Bool) => Node::bool(matches!(text, "true" | "True" | "TRUE")),
        Some(ScalarType::Int | ScalarType::Float) => {
            let value = match parse_number(text) {
                Some(Number::Int(i)) => i as f64,
                Some(Number::Uint(u)) => u as f64,
                Some(Number::Float(f)) => f,
                None => return Ok(Node::string(text)),
            };
            if !value.is_finite() {
                return Err(format!("json: unsupported value: {}", format_float64(value)));
            }
            Node::scalar(format_float64(value), Style::Plain)
        }
        _ => Node::string(text),
    })
}
