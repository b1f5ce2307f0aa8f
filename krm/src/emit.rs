//! The emitter: go-yaml v3 as kyaml configures it for kpt (indent 2, no line wrapping), with
//! sequences compact or wide per document, and source text re-used for unchanged scalars and
//! flow collections.

use crate::document::{Document, SeqIndent};
use crate::node::{Comments, Content, Node, Pair, Raw, Style};
use crate::scalar::{analyze, double_quoted, single_quoted};

/// Writes one YAML document; `first` is false when a `---` must separate it from the text
/// before.
pub(crate) fn emit_document(out: &mut String, doc: &Document, first: bool) {
    let mut e = Emitter { out, seq: doc.seq_indent, keep_open: false };
    e.lines(0, &doc.prelude);
    for d in &doc.directives {
        e.out.push_str(d);
        e.out.push('\n');
    }
    if doc.explicit_start || !first || !doc.directives.is_empty() {
        e.out.push_str("---");
        if let Some(c) = &doc.start_comment {
            e.out.push(' ');
            e.out.push_str(c);
        }
        e.out.push('\n');
    }
    e.lines(0, &doc.head);
    if let Some(root) = &doc.root {
        e.root(root);
    }
    e.lines(0, &doc.foot);
    if doc.explicit_end {
        e.out.push_str("...\n");
    }
}

fn spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn line_comment(out: &mut String, comments: &Comments) {
    if let Some(c) = &comments.line {
        spaces(out, usize::from(comments.line_gap.max(1)));
        out.push_str(c);
    }
}

fn props(node: &Node) -> String {
    let mut s = String::new();
    if let Some(a) = &node.anchor {
        s.push('&');
        s.push_str(a);
    }
    if let Some(t) = &node.tag {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(t);
    }
    s
}

fn is_block_collection(node: &Node) -> bool {
    node.style != Style::Flow
        && match &node.content {
            Content::Mapping(p) => !p.is_empty(),
            Content::Sequence(i) => !i.is_empty(),
            _ => false,
        }
}

/// A node written on one line, or a block scalar's header and body.
enum Text {
    Inline(String),
    Block { header: String, body: String },
}

/// Where a scalar is written.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Block,
    Flow,
    Key,
}

struct Emitter<'a> {
    out: &'a mut String,
    seq: SeqIndent,
    /// A `|+` / `>+` scalar was just written: a blank line now would read as part of it.
    keep_open: bool,
}

impl Emitter<'_> {
    /// Comment and blank lines at `indent` (blank lines right after a kept block scalar are
    /// left out, or they would read as its content).
    fn lines(&mut self, indent: usize, lines: &[String]) {
        for l in lines {
            if l.is_empty() {
                if !self.keep_open {
                    self.out.push('\n');
                }
            } else {
                self.keep_open = false;
                spaces(self.out, indent);
                self.out.push_str(l);
                self.out.push('\n');
            }
        }
    }

    /// The indentation of a line with content.
    fn indent(&mut self, n: usize) {
        self.keep_open = false;
        spaces(self.out, n);
    }

    fn root(&mut self, node: &Node) {
        self.lines(0, &node.comments.head);
        if is_block_collection(node) {
            let p = props(node);
            if !p.is_empty() || node.comments.line.is_some() {
                self.out.push_str(&p);
                line_comment(self.out, &node.comments);
                self.out.push('\n');
            }
            self.collection_body(node, 0);
            self.lines(0, &node.comments.foot);
        } else {
            let p = props(node);
            let (text, skip) = self.text(node, -1, Place::Block);
            self.out.push_str(&p);
            match text {
                // An empty document would have no root: write the null.
                Text::Inline(t) if t.is_empty() && p.is_empty() => {
                    self.out.push_str("null");
                    line_comment(self.out, &node.comments);
                    self.out.push('\n');
                }
                Text::Inline(t) => {
                    if !p.is_empty() && !t.is_empty() {
                        self.out.push(' ');
                    }
                    self.out.push_str(&t);
                    line_comment(self.out, &node.comments);
                    self.out.push('\n');
                }
                Text::Block { header, body } => self.block(&p, header, body, &node.comments),
            }
            self.lines(0, &node.comments.foot[skip..]);
        }
    }

    /// Entries or items of a non-empty block collection, its keys or dashes at `indent`.
    fn collection_body(&mut self, node: &Node, indent: usize) {
        match &node.content {
            Content::Mapping(pairs) => self.entries(pairs, indent, false),
            Content::Sequence(items) => self.items(items, indent, false),
            _ => {}
        }
    }

    fn entries(&mut self, pairs: &[Pair], indent: usize, first_inline: bool) {
        for (i, pair) in pairs.iter().enumerate() {
            if !(i == 0 && first_inline) {
                self.lines(indent, &pair.key.comments.head);
                self.indent(indent);
            }
            self.key(&pair.key, indent);
            self.value(pair, indent);
            self.lines(indent, &pair.key.comments.foot);
        }
    }

    fn key(&mut self, key: &Node, indent: usize) {
        let p = props(key);
        if !p.is_empty() {
            self.out.push_str(&p);
            self.out.push(' ');
        }
        match &key.content {
            Content::Alias(a) => {
                self.out.push('*');
                self.out.push_str(a);
                self.out.push(' ');
            }
            Content::Scalar(_) => {
                if let (Text::Inline(t), _) = self.text(key, indent as isize, Place::Key) {
                    self.out.push_str(&t);
                }
            }
            _ => {
                let t = self.flow(key, indent as isize);
                self.out.push_str(&t);
            }
        }
        self.out.push(':');
    }

    /// After `key:`: the value, its comments, and the lines of a block value.
    fn value(&mut self, pair: &Pair, indent: usize) {
        let value = &pair.value;
        let comments = merged_line_comment(&pair.key.comments, &value.comments);
        let p = props(value);
        if is_block_collection(value) {
            if !p.is_empty() {
                self.out.push(' ');
                self.out.push_str(&p);
            }
            line_comment(self.out, &comments);
            self.out.push('\n');
            match &value.content {
                Content::Mapping(pairs) => {
                    self.lines(indent + 2, &value.comments.head);
                    self.entries(pairs, indent + 2, false);
                    self.lines(indent + 2, &value.comments.foot);
                }
                Content::Sequence(items) => {
                    let dash = if self.seq == SeqIndent::Wide { indent + 2 } else { indent };
                    self.lines(dash, &value.comments.head);
                    self.items(items, dash, false);
                    self.lines(dash, &value.comments.foot);
                }
                _ => {}
            }
            return;
        }
        let (text, skip) = self.text(value, indent as isize, Place::Block);
        match text {
            Text::Inline(t) if !value.comments.head.is_empty() && !t.is_empty() => {
                // Comments above the value keep it on the line below its key.
                line_comment(self.out, &pair.key.comments);
                self.out.push('\n');
                self.lines(indent + 2, &value.comments.head);
                self.indent(indent + 2);
                if !p.is_empty() {
                    self.out.push_str(&p);
                    self.out.push(' ');
                }
                self.out.push_str(&t);
                line_comment(self.out, &value.comments);
                self.out.push('\n');
            }
            Text::Inline(t) => {
                push_spaced(self.out, &p);
                push_spaced(self.out, &t);
                line_comment(self.out, &comments);
                self.out.push('\n');
            }
            Text::Block { header, body } => {
                self.out.push(' ');
                self.block(&p, header, body, &comments);
            }
        }
        self.lines(indent, &value.comments.foot[skip..]);
    }

    /// A block scalar after its indicator position: header, comment, body.
    fn block(&mut self, props: &str, header: String, body: String, comments: &Comments) {
        if !props.is_empty() {
            self.out.push_str(props);
            self.out.push(' ');
        }
        self.keep_open = header.contains('+');
        self.out.push_str(&header);
        line_comment(self.out, comments);
        self.out.push('\n');
        self.out.push_str(&body);
    }

    fn items(&mut self, items: &[Node], dash: usize, first_inline: bool) {
        for (i, item) in items.iter().enumerate() {
            if !(i == 0 && first_inline) {
                self.lines(dash, &item.comments.head);
                self.indent(dash);
            }
            self.out.push('-');
            let skip = self.item(item, dash);
            self.lines(dash, &item.comments.foot[skip..]);
        }
    }

    /// After `-`: the item; returns how many foot lines its text holds.
    fn item(&mut self, item: &Node, dash: usize) -> usize {
        let p = props(item);
        if is_block_collection(item) {
            // `- key: v` / `- - v`, unless something must sit between the dash and the first
            // entry.
            if p.is_empty() && item.comments.line.is_none() && !first_has_head(item) {
                self.out.push(' ');
                match &item.content {
                    Content::Mapping(pairs) => self.entries(pairs, dash + 2, true),
                    Content::Sequence(items) => self.items(items, dash + 2, true),
                    _ => {}
                }
            } else {
                if !p.is_empty() {
                    self.out.push(' ');
                    self.out.push_str(&p);
                }
                line_comment(self.out, &item.comments);
                self.out.push('\n');
                match &item.content {
                    Content::Mapping(pairs) => self.entries(pairs, dash + 2, false),
                    Content::Sequence(items) => self.items(items, dash + 2, false),
                    _ => {}
                }
            }
            return 0;
        }
        let (text, skip) = self.text(item, dash as isize, Place::Block);
        match text {
            Text::Inline(t) => {
                push_spaced(self.out, &p);
                push_spaced(self.out, &t);
                line_comment(self.out, &item.comments);
                self.out.push('\n');
            }
            Text::Block { header, body } => {
                self.out.push(' ');
                self.block(&p, header, body, &item.comments);
            }
        }
        skip
    }

    /// A scalar, alias, flow or empty collection as text, and how many of its foot comment
    /// lines that text holds already (a flow collection's inner comments).
    fn text(&mut self, node: &Node, parent: isize, place: Place) -> (Text, usize) {
        match &node.content {
            Content::Scalar(v) => (scalar_text(v, node.style, node.raw.as_deref(), parent, place), 0),
            Content::Alias(a) => (Text::Inline(format!("*{a}")), 0),
            _ => {
                if let Some(Raw::Flow { text, ctx, fingerprint, inner }) = node.raw.as_deref()
                    && (*ctx == parent || !text.contains('\n'))
                    && *fingerprint == node.flow_fingerprint(*inner)
                {
                    return (Text::Inline(text.clone()), *inner);
                }
                (Text::Inline(self.flow(node, parent)), 0)
            }
        }
    }

    /// A collection in flow style (children's comments are not written).
    fn flow(&mut self, node: &Node, parent: isize) -> String {
        let mut s = String::new();
        match &node.content {
            Content::Mapping(pairs) => {
                s.push('{');
                for (i, p) in pairs.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    s.push_str(&self.flow_child(&p.key, parent, Place::Key));
                    s.push_str(": ");
                    s.push_str(&self.flow_child(&p.value, parent, Place::Flow));
                }
                s.push('}');
            }
            Content::Sequence(items) => {
                s.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    s.push_str(&self.flow_child(item, parent, Place::Flow));
                }
                s.push(']');
            }
            Content::Scalar(_) | Content::Alias(_) => {
                if let (Text::Inline(t), _) = self.text(node, parent, Place::Flow) {
                    s = t;
                }
            }
        }
        s
    }

    fn flow_child(&mut self, node: &Node, parent: isize, place: Place) -> String {
        let p = props(node);
        let t = match &node.content {
            Content::Scalar(v) => match scalar_text(v, node.style, node.raw.as_deref(), parent, place) {
                Text::Inline(t) if t.is_empty() => "null".to_string(),
                Text::Inline(t) => t,
                Text::Block { .. } => double_quoted(v),
            },
            Content::Alias(a) => format!("*{a}"),
            _ => {
                if let (Text::Inline(t), _) = self.text(node, parent, Place::Flow) {
                    t
                } else {
                    String::new()
                }
            }
        };
        if p.is_empty() { t } else { format!("{p} {t}") }
    }
}

/// True when the first entry of a block collection has comment lines above it.
fn first_has_head(node: &Node) -> bool {
    match &node.content {
        Content::Mapping(pairs) => pairs.first().is_some_and(|p| !p.key.comments.head.is_empty()),
        Content::Sequence(items) => items.first().is_some_and(|i| {
            !i.comments.head.is_empty()
                || (is_block_collection(i) && props(i).is_empty() && first_has_head(i))
        }),
        _ => false,
    }
}

/// The line comment after `key: value`: the value's, else the key's (both when both).
fn merged_line_comment(key: &Comments, value: &Comments) -> Comments {
    let line = match (&value.line, &key.line) {
        (Some(v), Some(k)) => Some(format!("{k} {v}")),
        (Some(v), None) => Some(v.clone()),
        (None, Some(k)) => Some(k.clone()),
        (None, None) => None,
    };
    let line_gap = if key.line.is_some() { key.line_gap } else { value.line_gap };
    Comments { line, line_gap, ..Comments::default() }
}

/// A scalar: its source text when unchanged, else written in its style, falling back as
/// go-yaml does (plain → single-quoted → double-quoted; block → double-quoted).
fn scalar_text(value: &str, style: Style, raw: Option<&Raw>, parent: isize, place: Place) -> Text {
    if let Some(Raw::Scalar { text, body, ctx, value: rv, style: rs }) = raw
        && rv == value
        && *rs == style
    {
        match body {
            Some(body) if place == Place::Block && *ctx == parent => {
                return Text::Block { header: text.clone(), body: body.clone() };
            }
            None if !text.contains('\n') || *ctx == parent => return Text::Inline(text.clone()),
            _ => {}
        }
    }
    let a = analyze(value);
    let mut style = style;
    if style == Style::Flow {
        style = Style::Plain;
    }
    if place == Place::Key && a.multiline {
        style = Style::DoubleQuoted;
    }
    if style == Style::Plain {
        if value.contains('\n') && place == Place::Block {
            style = Style::Literal;
        } else if value.is_empty() {
            // Empty plain is null: written as nothing after a key or dash, as `null` elsewhere.
            return Text::Inline(if place == Place::Block { String::new() } else { "null".into() });
        } else if (place == Place::Block && !a.block_plain) || (place != Place::Block && !a.flow_plain) {
            style = Style::SingleQuoted;
        }
    }
    if style == Style::SingleQuoted && (!a.single_quoted || a.multiline) {
        style = Style::DoubleQuoted;
    }
    if matches!(style, Style::Literal | Style::Folded) && (!a.block || place != Place::Block) {
        style = Style::DoubleQuoted;
    }
    match style {
        Style::Plain | Style::Flow => Text::Inline(value.to_string()),
        Style::SingleQuoted => Text::Inline(single_quoted(value)),
        Style::DoubleQuoted => Text::Inline(double_quoted(value)),
        Style::Literal | Style::Folded => block_text(value, style == Style::Folded, parent),
    }
}

/// A block scalar written fresh: content two columns right of `parent`; the body is whole
/// lines.
fn block_text(value: &str, folded: bool, parent: isize) -> Text {
    let indent = if parent < 0 { 2 } else { parent as usize + 2 };
    let mut header = String::from(if folded { ">" } else { "|" });
    if value.starts_with([' ', '\n']) {
        header.push('2');
    }
    let (content, chomp) = match value.strip_suffix('\n') {
        None => (value, "-"),
        Some(rest) if rest.is_empty() || rest.ends_with('\n') => (rest, "+"),
        Some(rest) => (rest, ""),
    };
    header.push_str(chomp);
    let mut body = String::new();
    if content.is_empty() && chomp != "+" {
        return Text::Block { header, body };
    }
    let segments: Vec<&str> = content.split('\n').collect();
    let more = |s: &str| s.starts_with([' ', '\t']);
    for (i, seg) in segments.iter().enumerate() {
        // A single break between two ordinary lines folds to a space: write one more.
        let prev = i.checked_sub(1).map(|p| segments[p]);
        if folded
            && prev.is_some_and(|p| !p.is_empty() && !more(p))
            && segments[i..].iter().find(|s| !s.is_empty()).is_some_and(|s| !more(s))
        {
            body.push('\n');
        }
        if !seg.is_empty() {
            spaces(&mut body, indent);
            body.push_str(seg);
        }
        body.push('\n');
    }
    Text::Block { header, body }
}

/// Appends ` text` unless `text` is empty.
fn push_spaced(out: &mut String, text: &str) {
    if !text.is_empty() {
        out.push(' ');
        out.push_str(text);
    }
}
