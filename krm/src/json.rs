//! Nodes to and from `serde_json::Value`, and merging a changed value back into a node so
//! that what did not change keeps its comments, styles and source text.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::document::Document;
use crate::node::{Content, Node, Pair, Style};
use crate::scalar::{Number, ScalarType, parse_number};
use crate::{Error, Result};

/// Aliases expand at most this deep.
const MAX_ALIAS_DEPTH: usize = 64;

type Anchors = HashMap<String, Value>;

impl Node {
    /// The node as JSON: plain scalars resolved as go-yaml v3 does (quoted → string, `1` →
    /// number, `true` → bool, `~` → null, timestamps → their text), aliases expanded, `<<`
    /// merge keys applied, non-string keys written as text. `.inf`/`.nan` are errors.
    pub fn to_json(&self) -> Result<Value> {
        convert(self, &mut Anchors::new(), 0)
    }

    /// A block-style node from JSON: strings that would read as another type are
    /// double-quoted, multi-line strings become literal blocks when written.
    pub fn from_json(value: &Value) -> Node {
        match value {
            Value::Null => Node::null(),
            Value::Bool(b) => Node::bool(*b),
            Value::Number(n) => Node::scalar(n.to_string(), Style::Plain),
            Value::String(s) => Node::string(s.as_str()),
            Value::Array(items) => {
                Node::new(Content::Sequence(items.iter().map(Node::from_json).collect()), Style::Plain)
            }
            Value::Object(map) => Node::new(
                Content::Mapping(
                    map.iter()
                        .map(|(k, v)| Pair::new(Node::string(k.as_str()), Node::from_json(v)))
                        .collect(),
                ),
                Style::Plain,
            ),
        }
    }

    /// Makes the node equal `value` (as [`Node::to_json`] sees it) changing only what differs:
    /// unchanged scalars keep their text, changed ones their style and comments; mapping keys
    /// keep their order, new keys go after the key they follow in `value`; sequences of the
    /// same length merge item by item, else items are matched in order by equal value or
    /// equal `name`; a node whose kind changes is rebuilt but keeps its comments.
    pub fn merge_from_json(&mut self, value: &Value) -> Result<()> {
        let mut anchors = Anchors::new();
        if convert(self, &mut anchors, 0).ok().as_ref() == Some(value) {
            return Ok(());
        }
        merge(self, value, &anchors);
        Ok(())
    }
}

impl Document {
    /// The root as JSON (`null` without a root).
    pub fn to_json(&self) -> Result<Value> {
        self.root.as_ref().map_or(Ok(Value::Null), Node::to_json)
    }

    /// [`Node::merge_from_json`] on the root (a missing root is built from `value`).
    pub fn merge_from_json(&mut self, value: &Value) -> Result<()> {
        match &mut self.root {
            Some(root) => root.merge_from_json(value),
            None => {
                self.root = Some(Node::from_json(value));
                Ok(())
            }
        }
    }
}

fn convert(node: &Node, anchors: &mut Anchors, depth: usize) -> Result<Value> {
    let v = match &node.content {
        Content::Scalar(text) => scalar(node, text)?,
        Content::Alias(name) => {
            if depth > MAX_ALIAS_DEPTH {
                return Err(Error::Convert("yaml: aliases nest too deep".into()));
            }
            anchors.get(name).cloned().ok_or_else(|| Error::UnknownAnchor(name.clone()))?
        }
        Content::Sequence(items) => {
            Value::Array(items.iter().map(|i| convert(i, anchors, depth + 1)).collect::<Result<_>>()?)
        }
        Content::Mapping(pairs) => {
            let mut explicit = Map::new();
            let mut merged = Map::new();
            for p in pairs {
                let is_merge =
                    p.key.style == Style::Plain && p.key.as_str() == Some("<<") && p.key.tag.is_none();
                let value = convert(&p.value, anchors, depth + 1)?;
                if is_merge {
                    let sources = match value {
                        Value::Array(items) => items,
                        other => vec![other],
                    };
                    for s in sources {
                        let Value::Object(m) = s else {
                            return Err(Error::Convert(
                                "yaml: map merge requires map or sequence of maps as the value".into(),
                            ));
                        };
                        for (k, v) in m {
                            merged.entry(k).or_insert(v);
                        }
                    }
                } else {
                    let key = match convert(&p.key, anchors, depth + 1)? {
                        Value::String(s) => s,
                        Value::Null => "null".into(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        _ => return Err(Error::Convert("yaml: mapping keys must be scalars".into())),
                    };
                    explicit.insert(key, value);
                }
            }
            if merged.is_empty() {
                Value::Object(explicit)
            } else {
                for (k, v) in explicit {
                    merged.insert(k, v);
                }
                Value::Object(merged)
            }
        }
    };
    if let Some(a) = &node.anchor {
        anchors.insert(a.clone(), v.clone());
    }
    Ok(v)
}

fn scalar(node: &Node, text: &str) -> Result<Value> {
    Ok(match node.scalar_type().unwrap_or(ScalarType::Str) {
        ScalarType::Null => Value::Null,
        ScalarType::Bool => Value::Bool(text.eq_ignore_ascii_case("true")),
        ScalarType::Int | ScalarType::Float => match parse_number(text) {
            Some(Number::Int(i)) => i.into(),
            Some(Number::Uint(u)) => u.into(),
            Some(Number::Float(f)) => serde_json::Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| Error::Convert(format!("json: unsupported value: {text}")))?,
            None => Value::String(text.to_string()),
        },
        ScalarType::Str | ScalarType::Timestamp => Value::String(text.to_string()),
    })
}

fn merge(node: &mut Node, value: &Value, anchors: &Anchors) {
    let current = match &node.content {
        Content::Alias(name) => anchors.get(name).cloned(),
        _ => convert(node, &mut anchors.clone(), 0).ok(),
    };
    if current.as_ref() == Some(value) {
        return;
    }
    match (&mut node.content, value) {
        (Content::Mapping(pairs), Value::Object(map)) => merge_mapping(pairs, map, anchors),
        (Content::Sequence(items), Value::Array(arr)) => merge_sequence(items, arr, anchors),
        (Content::Scalar(_), v) if !v.is_array() && !v.is_object() => set_scalar(node, v),
        _ => {
            let comments = std::mem::take(&mut node.comments);
            *node = Node::from_json(value);
            node.comments = comments;
        }
    }
}

/// The text of a key as JSON sees it.
pub(crate) fn key_text(key: &Node) -> Option<String> {
    match convert(key, &mut Anchors::new(), 0).ok()? {
        Value::String(s) => Some(s),
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn merge_mapping(pairs: &mut Vec<Pair>, map: &Map<String, Value>, anchors: &Anchors) {
    let old = std::mem::take(pairs);
    let mut keys = Vec::with_capacity(old.len());
    for p in old {
        if let Some(k) = key_text(&p.key).filter(|k| map.contains_key(k)) {
            keys.push(k);
            pairs.push(p);
        }
    }
    let mut after: Option<usize> = None;
    for (k, v) in map {
        match keys.iter().position(|existing| existing == k) {
            Some(i) => {
                merge(&mut pairs[i].value, v, anchors);
                after = Some(i);
            }
            None => {
                let at = after.map_or(0, |i| i + 1);
                pairs.insert(at, Pair::new(Node::string(k.as_str()), Node::from_json(v)));
                keys.insert(at, k.clone());
                after = Some(at);
            }
        }
    }
}

fn merge_sequence(items: &mut Vec<Node>, arr: &[Value], anchors: &Anchors) {
    if items.len() == arr.len() {
        for (item, v) in items.iter_mut().zip(arr) {
            merge(item, v, anchors);
        }
        return;
    }
    let old: Vec<Option<Node>> = std::mem::take(items).into_iter().map(Some).collect();
    let old_values: Vec<Option<Value>> =
        old.iter().map(|n| n.as_ref().and_then(|n| convert(n, &mut anchors.clone(), 0).ok())).collect();
    let mut old = old;
    let mut from = 0;
    for v in arr {
        let found = (from..old.len())
            .find(|&j| old[j].is_some() && old_values[j].as_ref() == Some(v))
            .or_else(|| {
                let name = v.get("name")?;
                (from..old.len()).find(|&j| {
                    old[j].is_some() && old_values[j].as_ref().and_then(|o| o.get("name")) == Some(name)
                })
            });
        match found.and_then(|j| old[j].take().map(|n| (j, n))) {
            Some((j, mut n)) => {
                merge(&mut n, v, anchors);
                items.push(n);
                from = j + 1;
            }
            None => items.push(Node::from_json(v)),
        }
    }
}

/// A scalar takes a new JSON scalar value: a string keeps a quoted or block style (a plain
/// one is quoted when it would read as another type); other values become plain.
fn set_scalar(node: &mut Node, value: &Value) {
    let text = match value {
        Value::String(s) => {
            node.set_str_value(s);
            return;
        }
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) | Value::Object(_) => return,
    };
    node.content = Content::Scalar(text);
    node.style = Style::Plain;
    node.tag = None;
}
