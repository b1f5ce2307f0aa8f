//! Editing: mapping fields, sequence items and scalar values, keeping the comments and source
//! text of what is not touched.

use crate::node::{Content, Node, Pair, Style};
use crate::scalar::{ScalarType, needs_type_quotes};
use crate::{Error, Result};

/// A key's text, for lookups: the scalar value of a scalar key.
fn key_is(pair: &Pair, key: &str) -> bool {
    pair.key.as_str() == Some(key)
}

impl Node {
    /// The value of a mapping's `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.pair(key).map(|p| &p.value)
    }

    /// The value of a mapping's `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.pair_mut(key).map(|p| &mut p.value)
    }

    /// The pair of a mapping's `key` (the key node holds the comments of the entry).
    pub fn pair(&self, key: &str) -> Option<&Pair> {
        self.as_mapping()?.iter().find(|p| key_is(p, key))
    }

    /// The pair of a mapping's `key`, to change.
    pub fn pair_mut(&mut self, key: &str) -> Option<&mut Pair> {
        self.as_mapping_mut()?.iter_mut().find(|p| key_is(p, key))
    }

    /// The value at a path of mapping keys.
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k))
    }

    /// The value at a path of mapping keys, to change.
    pub fn get_path_mut(&mut self, path: &[&str]) -> Option<&mut Node> {
        path.iter().try_fold(self, |n, k| n.get_mut(k))
    }

    /// A mapping's keys that are scalars, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.as_mapping().into_iter().flatten().filter_map(|p| p.key.as_str())
    }

    /// Sets a mapping's `key` to `value`, returning the old value. A new key goes last, with
    /// the head comment of `value` above it. A replaced value hands its comments to a new value
    /// that has none (so a replaced scalar keeps its line comment). A null node becomes a block
    /// mapping first.
    ///
    /// The comments of an entry are on its key ([`Node::pair_mut`]); a head comment on a
    /// scalar value keeps that value on the line below its key.
    pub fn set(&mut self, key: &str, mut value: Node) -> Result<Option<Node>> {
        self.make_mapping()?;
        let Some(pairs) = self.as_mapping_mut() else { unreachable_mapping() };
        match pairs.iter_mut().find(|p| key_is(p, key)) {
            Some(pair) => {
                if value.comments.is_empty() {
                    value.comments = pair.value.comments.clone();
                }
                Ok(Some(std::mem::replace(&mut pair.value, value)))
            }
            None => {
                // Lines above a new entry go above its key.
                let mut k = Node::string(key);
                k.comments.head = std::mem::take(&mut value.comments.head);
                pairs.push(Pair::new(k, value));
                Ok(None)
            }
        }
    }

    /// Sets a mapping's `key` to a string. An existing scalar keeps its style and comments
    /// (see [`Node::set_str_value`]); otherwise a new string node is set.
    pub fn set_string(&mut self, key: &str, value: &str) -> Result<()> {
        if let Some(existing) = self.get_mut(key)
            && existing.as_str().is_some()
        {
            existing.set_str_value(value);
            return Ok(());
        }
        self.set(key, Node::string(value)).map(|_| ())
    }

    /// Removes a mapping's `key` with its comments, returning the pair.
    pub fn remove(&mut self, key: &str) -> Option<Pair> {
        let pairs = self.as_mapping_mut()?;
        let i = pairs.iter().position(|p| key_is(p, key))?;
        Some(pairs.remove(i))
    }

    /// The mapping under `key`, created (empty, block style, last) when missing or null.
    pub fn mapping_entry(&mut self, key: &str) -> Result<&mut Node> {
        self.make_mapping()?;
        if self.get(key).is_none_or(Node::is_null) {
            let mut m = Node::mapping();
            if let Some(old) = self.get(key) {
                m.comments = old.comments.clone();
            }
            self.set(key, m)?;
        }
        let node = self.get_mut(key).ok_or_else(|| Error::Convert(format!("{key} is missing")))?;
        node.make_mapping()?;
        Ok(node)
    }

    /// Appends an item to a sequence (a null node becomes a block sequence first).
    pub fn push(&mut self, item: Node) -> Result<()> {
        if self.is_null() {
            self.content = Content::Sequence(Vec::new());
            self.style = Style::Plain;
            self.tag = None;
            self.raw = None;
        }
        match self.as_sequence_mut() {
            Some(items) => {
                items.push(item);
                Ok(())
            }
            None => Err(Error::Convert("not a sequence".into())),
        }
    }

    /// Sets a scalar to a string value. Quoted and block styles are kept (the emitter falls
    /// back where a style cannot hold the value); a plain scalar is double-quoted when the
    /// text would read as another type. A tag other than `!!str` is dropped.
    pub fn set_str_value(&mut self, value: &str) {
        if self.as_str() == Some(value) && self.scalar_type() == Some(ScalarType::Str) {
            return;
        }
        if matches!(self.style, Style::Plain | Style::Flow) || !matches!(self.content, Content::Scalar(_)) {
            self.style = if needs_type_quotes(value) { Style::DoubleQuoted } else { Style::Plain };
        }
        if self.tag.as_deref().is_some_and(|t| t != "!!str" && t != "tag:yaml.org,2002:str") {
            self.tag = None;
        }
        self.content = Content::Scalar(value.to_string());
    }

    /// Sorts the keys of every mapping in the tree by their text (byte order), as Go's
    /// `encoding/json` orders a map: kpt writes `.json` files so.
    pub fn sort_keys(&mut self) {
        match &mut self.content {
            Content::Mapping(pairs) => {
                pairs.sort_by(|a, b| a.key.as_str().cmp(&b.key.as_str()));
                pairs.iter_mut().for_each(|p| p.value.sort_keys());
            }
            Content::Sequence(items) => items.iter_mut().for_each(Node::sort_keys),
            _ => {}
        }
    }

    fn make_mapping(&mut self) -> Result<()> {
        match &self.content {
            Content::Mapping(_) => Ok(()),
            Content::Scalar(_) if self.is_null() => {
                self.content = Content::Mapping(Vec::new());
                self.style = Style::Plain;
                self.tag = None;
                self.raw = None;
                Ok(())
            }
            _ => Err(Error::Convert("not a mapping".into())),
        }
    }
}

fn unreachable_mapping() -> ! {
    unreachable!("make_mapping made a mapping")
}
