//! The node tree: kinds, styles, tags, anchors and comments, like go-yaml v3's `yaml.Node`.

use std::hash::{Hash, Hasher};

/// What a node holds.
#[derive(Clone, Debug)]
pub enum Content {
    /// A scalar's value, after unquoting, unescaping and folding (`"a\tb"` holds a tab).
    Scalar(String),
    /// Key/value pairs in source order.
    Mapping(Vec<Pair>),
    /// Items in order.
    Sequence(Vec<Node>),
    /// `*name`: a reference to the node with anchor `name`.
    Alias(String),
}

/// The kind of a node (the document level is [`crate::Document`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// A mapping.
    Mapping,
    /// A sequence.
    Sequence,
    /// A scalar.
    Scalar,
    /// An alias.
    Alias,
}

/// How a node is written.
///
/// For scalars: plain, quoted or block. For collections: [`Style::Plain`] is block style
/// (indented lines) and [`Style::Flow`] is `{...}` / `[...]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Style {
    /// A plain scalar, or a block collection.
    #[default]
    Plain,
    /// `'text'`.
    SingleQuoted,
    /// `"text"`.
    DoubleQuoted,
    /// `|` block scalar.
    Literal,
    /// `>` block scalar.
    Folded,
    /// `{...}` / `[...]` collection.
    Flow,
}

/// Comments attached to a node, as go-yaml v3 attaches them.
///
/// Comment lines are stored from their `#`, without the node's indentation (the emitter
/// indents them as the node); a comment indented deeper than its node keeps the extra spaces
/// in front of its `#`. In `head` and `foot` an empty string is a blank line, so blank lines
/// between entries survive a round trip.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Comments {
    /// Lines above the node (for a mapping entry: above its key).
    pub head: Vec<String>,
    /// The comment after the node on its line (`image: x # kpt-set: ${image}`). For an entry
    /// whose value is a block collection, it sits on the key (`metadata: # kpt-merge: ns/n`).
    pub line: Option<String>,
    /// Lines after the node, before anything less indented (for a mapping entry: on its key).
    pub foot: Vec<String>,
    /// Spaces between the node and its line comment as read (0 means one).
    pub(crate) line_gap: u16,
}

impl Comments {
    /// True when there is no comment and no blank line.
    pub fn is_empty(&self) -> bool {
        self.head.is_empty() && self.line.is_none() && self.foot.is_empty()
    }
}

/// A key and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    /// The key (a scalar in everything this crate reads).
    pub key: Node,
    /// The value.
    pub value: Node,
}

impl Pair {
    /// A pair.
    pub fn new(key: Node, value: Node) -> Self {
        Pair { key, value }
    }
}

/// Source text kept to re-emit an unchanged node byte for byte.
#[derive(Clone, Debug)]
pub(crate) enum Raw {
    /// A scalar token; `body` holds a block scalar's content lines, each with its break.
    Scalar {
        text: String,
        body: Option<String>,
        /// The indentation of the enclosing block when read (-1 at the top level).
        ctx: isize,
        value: String,
        style: Style,
    },
    /// A flow collection's text, valid while the collection's fingerprint is unchanged; its
    /// first `inner` foot comment lines are the comments inside the text.
    Flow { text: String, ctx: isize, fingerprint: u64, inner: usize },
}

/// A YAML node.
///
/// Fields are public, as in go-yaml; the source text kept for byte-identical output is checked
/// against the node when emitting, so changing a field never emits stale text.
#[derive(Clone, Debug)]
pub struct Node {
    /// What the node holds.
    pub content: Content,
    /// How it is written.
    pub style: Style,
    /// An explicit tag as written (`!!str`, `!!binary`, `!custom`); `None` when implicit.
    pub tag: Option<String>,
    /// `&name`.
    pub anchor: Option<String>,
    /// Comments.
    pub comments: Comments,
    pub(crate) raw: Option<Box<Raw>>,
}

impl PartialEq for Node {
    /// Equal content, styles, tags, anchors and comments (the kept source text is ignored).
    fn eq(&self, other: &Self) -> bool {
        self.style == other.style
            && self.tag == other.tag
            && self.anchor == other.anchor
            && self.comments == other.comments
            && match (&self.content, &other.content) {
                (Content::Scalar(a), Content::Scalar(b)) | (Content::Alias(a), Content::Alias(b)) => a == b,
                (Content::Mapping(a), Content::Mapping(b)) => a == b,
                (Content::Sequence(a), Content::Sequence(b)) => a == b,
                _ => false,
            }
    }
}

impl Hash for Node {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.style.hash(state);
        self.tag.hash(state);
        self.anchor.hash(state);
        self.comments.hash(state);
        hash_content(&self.content, state);
    }
}

fn hash_content<H: Hasher>(content: &Content, state: &mut H) {
    match content {
        Content::Scalar(v) => (0u8, v).hash(state),
        Content::Alias(v) => (1u8, v).hash(state),
        Content::Mapping(pairs) => {
            (2u8, pairs.len()).hash(state);
            for p in pairs {
                p.key.hash(state);
                p.value.hash(state);
            }
        }
        Content::Sequence(items) => {
            (3u8, items.len()).hash(state);
            items.iter().for_each(|i| i.hash(state));
        }
    }
}

impl Node {
    /// A node with this content and style, no tag, anchor or comment.
    pub fn new(content: Content, style: Style) -> Self {
        Node { content, style, tag: None, anchor: None, comments: Comments::default(), raw: None }
    }

    /// A scalar written exactly in `style` (the emitter still falls back to quoting when the
    /// style cannot hold the value, as go-yaml does).
    pub fn scalar(value: impl Into<String>, style: Style) -> Self {
        Node::new(Content::Scalar(value.into()), style)
    }

    /// A string scalar: plain when that reads back as the same string, double-quoted when a
    /// plain scalar would read as another type (`"true"`, `"1"`, `"null"`, `"~"`, `""`, `"on"`).
    pub fn string(value: impl Into<String>) -> Self {
        let value = value.into();
        let style = crate::scalar::string_style(&value);
        Node::scalar(value, style)
    }

    /// An integer scalar.
    pub fn int(value: i64) -> Self {
        Node::scalar(value.to_string(), Style::Plain)
    }

    /// A float scalar (`.inf`, `-.inf`, `.nan` for the non-finite ones).
    pub fn float(value: f64) -> Self {
        Node::scalar(crate::scalar::format_float(value), Style::Plain)
    }

    /// A boolean scalar.
    pub fn bool(value: bool) -> Self {
        Node::scalar(if value { "true" } else { "false" }, Style::Plain)
    }

    /// `null`.
    pub fn null() -> Self {
        Node::scalar("null", Style::Plain)
    }

    /// An empty block mapping.
    pub fn mapping() -> Self {
        Node::new(Content::Mapping(Vec::new()), Style::Plain)
    }

    /// An empty block sequence.
    pub fn sequence() -> Self {
        Node::new(Content::Sequence(Vec::new()), Style::Plain)
    }

    /// `*name`.
    pub fn alias(name: impl Into<String>) -> Self {
        Node::new(Content::Alias(name.into()), Style::Plain)
    }

    /// The same node with this line comment (`"# text"`; a missing `#` is added).
    pub fn with_line_comment(mut self, text: &str) -> Self {
        self.comments.line = Some(comment_text(text));
        self
    }

    /// The same node with these head comment lines (`#` added where missing).
    pub fn with_head_comment(mut self, text: &str) -> Self {
        self.comments.head = text.lines().map(comment_text).collect();
        self
    }

    /// Its kind.
    pub fn kind(&self) -> NodeKind {
        match self.content {
            Content::Scalar(_) => NodeKind::Scalar,
            Content::Mapping(_) => NodeKind::Mapping,
            Content::Sequence(_) => NodeKind::Sequence,
            Content::Alias(_) => NodeKind::Alias,
        }
    }

    /// A scalar's value.
    pub fn as_str(&self) -> Option<&str> {
        match &self.content {
            Content::Scalar(v) => Some(v),
            _ => None,
        }
    }

    /// A mapping's pairs.
    pub fn as_mapping(&self) -> Option<&Vec<Pair>> {
        match &self.content {
            Content::Mapping(p) => Some(p),
            _ => None,
        }
    }

    /// A mapping's pairs, to change.
    pub fn as_mapping_mut(&mut self) -> Option<&mut Vec<Pair>> {
        match &mut self.content {
            Content::Mapping(p) => Some(p),
            _ => None,
        }
    }

    /// A sequence's items.
    pub fn as_sequence(&self) -> Option<&Vec<Node>> {
        match &self.content {
            Content::Sequence(i) => Some(i),
            _ => None,
        }
    }

    /// A sequence's items, to change.
    pub fn as_sequence_mut(&mut self) -> Option<&mut Vec<Node>> {
        match &mut self.content {
            Content::Sequence(i) => Some(i),
            _ => None,
        }
    }

    /// True for a null scalar (`null`, `~`, empty) that is not quoted or tagged otherwise.
    pub fn is_null(&self) -> bool {
        self.scalar_type() == Some(crate::ScalarType::Null)
    }

    /// A hash of what a flow collection's source text shows: its content, style and first
    /// `inner` foot comment lines (not its own tag, anchor or other comments, written apart).
    pub(crate) fn flow_fingerprint(&self, inner: usize) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        self.style.hash(&mut h);
        hash_content(&self.content, &mut h);
        self.comments.foot.get(..inner).hash(&mut h);
        h.finish()
    }

    /// Drops the kept source text of this node and its children.
    pub fn forget_source(&mut self) {
        self.raw = None;
        match &mut self.content {
            Content::Mapping(pairs) => pairs.iter_mut().for_each(|p| {
                p.key.forget_source();
                p.value.forget_source();
            }),
            Content::Sequence(items) => items.iter_mut().for_each(Node::forget_source),
            _ => {}
        }
    }
}

/// `text` as a comment line: `#` is prepended unless present; an empty text stays empty.
pub(crate) fn comment_text(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() || t.starts_with('#') { t.to_string() } else { format!("# {t}") }
}
