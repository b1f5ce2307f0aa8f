//! The parser: block structure, documents and where comments go.
//!
//! Hand-written for the YAML that Kubernetes manifests use: block and flow collections, all
//! five scalar styles, anchors, aliases, tags, directives and multi-document streams. Not
//! read: complex keys (`? `), flow collections as keys, and single-pair mappings inside flow
//! sequences (`[a: b]`); they are errors.
//!
//! Comments go where go-yaml v3 puts them, approximately: lines above an entry are its head
//! comment; a comment after a node on its line is the node's line comment (the key's when the
//! value is a block collection); lines after a collection's last entry, indented at least as
//! the collection (a compact sequence: more than its parent key), are that entry's foot.

mod cursor;
mod flow;
mod scalars;

use cursor::{Cursor, Gap, claim, gap_lines};

use crate::document::{Document, SeqIndent, Stream};
use crate::node::{Content, Node, Pair, Style};

/// Where a node starts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    /// At the start of a line, on its own (document root).
    Root,
    /// After `key: ` on the key's line.
    MapValueInline,
    /// On the line after `key:`.
    MapValueNextLine,
    /// After `- ` on the entry's line.
    SeqItemInline,
    /// On the line after `-`.
    SeqItemNextLine,
}

/// An anchor and a tag read before a node.
type Props = (Option<String>, Option<String>);

struct Parser<'a> {
    c: Cursor<'a>,
    /// The sequence indentation of the current document, once a sequence decided it.
    seq_indent: Option<SeqIndent>,
}

/// Parses a stream (`\r\n` and a byte-order mark are noted and removed first).
pub(crate) fn parse_stream(text: &str) -> crate::Result<Stream> {
    let bom = text.starts_with('\u{feff}');
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let crlf = text.contains("\r\n");
    let owned;
    let text = if crlf {
        owned = text.replace("\r\n", "\n");
        owned.as_str()
    } else {
        text
    };
    let final_newline = text.is_empty() || text.ends_with('\n');
    let mut p = Parser { c: Cursor::new(text), seq_indent: None };
    let documents = p.documents()?;
    Ok(Stream { documents, crlf, final_newline, bom })
}

fn empty_document() -> Document {
    let mut d = Document::new(Node::null());
    d.root = None;
    d
}

/// Splits the lines before a document's first node: up to the last blank line they are the
/// document's head comment, after it the first node's.
fn split_doc_head(mut gap: Vec<Gap>) -> (Vec<String>, Vec<Gap>) {
    match gap.iter().rposition(|g| g.text.is_none()) {
        Some(i) => {
            let rest = gap.split_off(i + 1);
            (gap_lines(gap, 0), rest)
        }
        None => (Vec::new(), gap),
    }
}

impl<'a> Parser<'a> {
    fn documents(&mut self) -> crate::Result<Vec<Document>> {
        let mut docs = Vec::new();
        let mut pending: Vec<Gap> = Vec::new();
        loop {
            let mut doc = empty_document();
            self.seq_indent = None;
            let mut lines = std::mem::take(&mut pending);
            lines.extend(self.c.read_gap());
            while self.c.peek() == Some(b'%') && self.c.pos == self.c.line_start {
                doc.prelude.extend(gap_lines(std::mem::take(&mut lines), 0));
                doc.directives.push(self.c.rest_of_line().trim_end().to_string());
                self.c.newline();
                lines.extend(self.c.read_gap());
            }
            if self.c.eof() {
                if !lines.is_empty() || !doc.directives.is_empty() {
                    doc.prelude.extend(gap_lines(lines, 0));
                    docs.push(doc);
                }
                break;
            }
            let mut inline_root = None;
            if self.c.b[self.c.pos..].starts_with(b"---") && self.c.at_doc_marker() {
                doc.prelude.extend(gap_lines(lines, 0));
                doc.explicit_start = true;
                self.c.pos += 3;
                self.c.skip_blanks();
                if self.c.at_eol() || self.c.peek() == Some(b'#') {
                    if let Some((text, _)) = self.c.end_of_line("a comment")? {
                        doc.start_comment = Some(text);
                    }
                    lines = self.c.read_gap();
                } else {
                    let (node, rest) = self.node(-1, Ctx::MapValueInline, Vec::new())?;
                    inline_root = Some(node);
                    lines = rest;
                }
            } else if !doc.directives.is_empty() {
                return Err(self.c.err("did not find expected <document start>"));
            }
            if let Some(root) = inline_root {
                doc.root = Some(root);
                doc.foot = gap_lines(lines, 0);
            } else if !self.c.eof() && !self.c.at_doc_marker() {
                let (head, first_head) = split_doc_head(lines);
                doc.head = head;
                let indent = self.c.line_indent()?;
                self.c.pos += indent;
                let (root, rest) = self.node(-1, Ctx::Root, first_head)?;
                doc.root = Some(root);
                doc.foot = gap_lines(rest, 0);
            } else {
                doc.head = gap_lines(lines, 0);
            }
            if !self.c.eof() && !self.c.at_doc_marker() {
                return Err(self.c.err("did not find expected <document start>"));
            }
            doc.seq_indent = self.seq_indent.unwrap_or_default();
            if self.c.b[self.c.pos..].starts_with(b"...") && self.c.at_doc_marker() {
                doc.explicit_end = true;
                self.c.pos += 3;
                self.c.end_of_line("a comment or line break")?;
                pending = self.c.read_gap();
                docs.push(doc);
                continue;
            }
            docs.push(doc);
            if self.c.eof() {
                break;
            }
        }
        Ok(docs)
    }

    /// A node starting at the position (its first character, or the end of a line whose node
    /// is on the following lines). `parent` is the indentation of the enclosing block (-1 at
    /// the top). `head` are the gap lines above it. Returns the node and the gap lines after
    /// it that it did not take.
    fn node(&mut self, parent: isize, ctx: Ctx, head: Vec<Gap>) -> crate::Result<(Node, Vec<Gap>)> {
        let node_col = self.c.col();
        let (anchor, tag) = self.properties()?;
        if self.c.at_eol() || (self.c.peek() == Some(b'#') && self.after_blank()) {
            // Nothing more on this line: the node is on the next lines, or empty.
            let comment = self.c.end_of_line("a comment")?;
            let mut gap = head;
            gap.extend(self.c.read_gap());
            let next_ctx = match ctx {
                Ctx::SeqItemInline | Ctx::SeqItemNextLine => Ctx::SeqItemNextLine,
                _ => Ctx::MapValueNextLine,
            };
            let (mut n, rest) = self.next_line_node(parent, next_ctx, gap)?;
            if let Some((text, g)) = comment
                && n.comments.line.is_none()
            {
                n.comments.line = Some(text);
                n.comments.line_gap = g;
            }
            if anchor.is_some() {
                n.anchor = anchor;
            }
            if tag.is_some() {
                n.tag = tag;
            }
            return Ok((n, rest));
        }
        self.content(parent, ctx, head, (anchor, tag), node_col)
    }

    fn after_blank(&self) -> bool {
        self.c.pos == self.c.line_start || matches!(self.c.b[self.c.pos - 1], b' ' | b'\t')
    }

    /// `&anchor` and `!tag` before a node, in either order.
    fn properties(&mut self) -> crate::Result<(Option<String>, Option<String>)> {
        let (mut anchor, mut tag) = (None, None);
        loop {
            match self.c.peek() {
                Some(b'&') if anchor.is_none() => {
                    self.c.pos += 1;
                    anchor = Some(scalars::name(&mut self.c)?);
                }
                Some(b'!') if tag.is_none() => tag = Some(scalars::tag(&mut self.c)?),
                _ => return Ok((anchor, tag)),
            }
            self.c.skip_blanks();
        }
    }

    /// The node of `key:` or `-` whose line ended: on the next content line when indented more
    /// than `parent` (or, for a key, a sequence at the key's column); else an empty node.
    fn next_line_node(&mut self, parent: isize, ctx: Ctx, gap: Vec<Gap>) -> crate::Result<(Node, Vec<Gap>)> {
        if !self.c.eof() && !self.c.at_doc_marker() {
            let ind = self.c.line_indent()?;
            let compact = ctx == Ctx::MapValueNextLine && ind as isize == parent && self.c.dash_at(ind);
            if ind as isize > parent || compact {
                self.c.pos += ind;
                return self.node(parent, ctx, gap);
            }
        }
        Ok((Node::scalar("", Style::Plain), gap))
    }

    /// A node with content on this line; `props` go to it, or to its first key when it is a
    /// mapping (`&a key: v` anchors the key).
    fn content(
        &mut self,
        parent: isize,
        ctx: Ctx,
        head: Vec<Gap>,
        props: Props,
        node_col: usize,
    ) -> crate::Result<(Node, Vec<Gap>)> {
        let has_props = props.0.is_some() || props.1.is_some();
        let with = |mut n: Node| {
            n.anchor = props.0.clone();
            n.tag = props.1.clone();
            n
        };
        let col = self.c.col();
        // A mapping's column is where its first key starts, properties included.
        let map_col = if has_props { node_col } else { col };
        let block_ok = ctx != Ctx::MapValueInline;
        let start = self.c.pos;
        let b = self.c.peek().unwrap_or(b'\n');
        let key_candidate = match b {
            b'-' if self.c.blank_at(1) => {
                if !block_ok {
                    return Err(self.c.err("block sequence entries are not allowed in this context"));
                }
                if has_props {
                    return Err(self.c.err("block sequence entries are not allowed in this context"));
                }
                let compact = ctx == Ctx::MapValueNextLine && col as isize == parent;
                if ctx == Ctx::MapValueNextLine && self.seq_indent.is_none() {
                    if compact {
                        self.seq_indent = Some(SeqIndent::Compact);
                    } else if col as isize == parent + 2 {
                        self.seq_indent = Some(SeqIndent::Wide);
                    }
                }
                return self.sequence(col, compact, head);
            }
            b'|' | b'>' => {
                let mut node = with(scalars::block(&mut self.c, parent)?);
                node.comments.head = gap_lines(head, col);
                let rest = self.c.read_gap();
                return Ok((node, rest));
            }
            b'[' | b'{' => {
                let node = with(flow::collection(&mut self.c, parent, true)?);
                self.c.skip_blanks();
                if self.c.peek() == Some(b':') {
                    return Err(self.c.err("flow collections as mapping keys are not supported"));
                }
                return self.finish_line(node, head, col);
            }
            b'?' | b':' if self.c.blank_at(1) => {
                return Err(self.c.err("complex mapping keys are not supported"));
            }
            b'#' | b',' | b']' | b'}' | b'%' | b'@' | b'`' => {
                return Err(self.c.err("found character that cannot start any token"));
            }
            b'"' | b'\'' => scalars::quoted(&mut self.c, parent)?,
            b'*' => {
                self.c.pos += 1;
                Node::alias(scalars::name(&mut self.c)?)
            }
            _ => {
                let (text, colon) = scalars::plain_line(&mut self.c, false);
                if !colon {
                    let node = with(scalars::plain_continuation(&mut self.c, text, start, parent)?);
                    return self.finish_line(node, head, col);
                }
                scalars::scalar_with_raw(text.to_string(), Style::Plain, text, parent)
            }
        };
        // A quoted scalar, alias or plain text: a key when `:` follows.
        let key_candidate = with(key_candidate);
        let m = self.c.mark();
        self.c.skip_blanks();
        if self.c.peek() == Some(b':') && self.c.blank_at(1) {
            if !block_ok {
                return Err(self.c.err("mapping values are not allowed in this context"));
            }
            return self.mapping(map_col, key_candidate, head);
        }
        self.c.reset(m);
        self.finish_line(key_candidate, head, col)
    }

    /// After a scalar, alias or flow collection: its line comment and the gap lines after it.
    fn finish_line(&mut self, mut node: Node, head: Vec<Gap>, col: usize) -> crate::Result<(Node, Vec<Gap>)> {
        if let Some((text, gap)) = self.c.end_of_line("<block end>")? {
            node.comments.line = Some(text);
            node.comments.line_gap = gap;
        }
        node.comments.head = gap_lines(head, col);
        Ok((node, self.c.read_gap()))
    }

    /// A key on its line, up to its `:`.
    fn key(&mut self, col: usize) -> crate::Result<Node> {
        let (anchor, tag) = self.properties()?;
        let mut key = match self.c.peek() {
            Some(b'"' | b'\'') => scalars::quoted(&mut self.c, col as isize)?,
            Some(b'*') => {
                self.c.pos += 1;
                Node::alias(scalars::name(&mut self.c)?)
            }
            Some(b'[' | b'{') => {
                return Err(self.c.err("flow collections as mapping keys are not supported"));
            }
            Some(b'?') if self.c.blank_at(1) => {
                return Err(self.c.err("complex mapping keys are not supported"));
            }
            Some(b'-') if self.c.blank_at(1) => {
                return Err(self.c.err("block sequence entries are not allowed in this context"));
            }
            _ => {
                let (text, colon) = scalars::plain_line(&mut self.c, false);
                if !colon {
                    return Err(self.c.err("could not find expected ':'"));
                }
                scalars::scalar_with_raw(text.to_string(), Style::Plain, text, col as isize)
            }
        };
        self.c.skip_blanks();
        if !(self.c.peek() == Some(b':') && self.c.blank_at(1)) {
            return Err(self.c.err("could not find expected ':'"));
        }
        key.anchor = anchor;
        key.tag = tag;
        Ok(key)
    }

    /// A block mapping at `col` whose first key is read; the position is before its `:`.
    fn mapping(&mut self, col: usize, first_key: Node, head: Vec<Gap>) -> crate::Result<(Node, Vec<Gap>)> {
        let mut pairs = Vec::new();
        let mut key = first_key;
        key.comments.head = gap_lines(head, col);
        let pending = loop {
            self.c.skip_blanks();
            self.c.pos += 1; // ':'
            self.c.skip_blanks();
            let (mut value, gap) = if self.c.at_eol() || self.c.peek() == Some(b'#') {
                if let Some((text, g)) = self.c.end_of_line("a comment")? {
                    key.comments.line = Some(text);
                    key.comments.line_gap = g;
                }
                let gap = self.c.read_gap();
                self.next_line_node(col as isize, Ctx::MapValueNextLine, gap)?
            } else {
                self.node(col as isize, Ctx::MapValueInline, Vec::new())?
            };
            let block_collection = value.style != Style::Flow
                && matches!(value.content, Content::Mapping(_) | Content::Sequence(_));
            if block_collection && key.comments.line.is_none() && value.comments.line.is_some() {
                key.comments.line = value.comments.line.take();
                key.comments.line_gap = value.comments.line_gap;
            }
            pairs.push(Pair::new(key, value));
            if self.c.eof() || self.c.at_doc_marker() {
                break gap;
            }
            let ind = self.c.line_indent()?;
            if ind < col || (ind == col && self.c.dash_at(ind)) {
                break gap;
            }
            if ind > col {
                self.c.pos += ind;
                return Err(self.c.err("mapping values are not allowed in this context"));
            }
            self.c.pos += ind;
            key = self.key(col)?;
            key.comments.head = gap_lines(gap, col);
        };
        let (foot, rest) = claim(pending, col);
        if let Some(last) = pairs.last_mut() {
            last.key.comments.foot = gap_lines(foot, col);
        }
        Ok((Node::new(Content::Mapping(pairs), Style::Plain), rest))
    }

    /// A block sequence whose first `-` is at the position, at column `col`.
    fn sequence(&mut self, col: usize, compact: bool, head: Vec<Gap>) -> crate::Result<(Node, Vec<Gap>)> {
        let mut items = Vec::new();
        let mut item_head = head;
        let pending = loop {
            self.c.pos += 1; // '-'
            self.c.skip_blanks();
            let (mut item, gap) = self.node(col as isize, Ctx::SeqItemInline, Vec::new())?;
            let mut h = gap_lines(std::mem::take(&mut item_head), col);
            h.append(&mut item.comments.head);
            item.comments.head = h;
            items.push(item);
            if self.c.eof() || self.c.at_doc_marker() {
                break gap;
            }
            let ind = self.c.line_indent()?;
            if ind == col && self.c.dash_at(ind) {
                self.c.pos += ind;
                item_head = gap;
                continue;
            }
            if ind <= col {
                break gap;
            }
            self.c.pos += ind;
            return Err(self.c.err("did not find expected '-' indicator"));
        };
        let (foot, rest) = claim(pending, if compact { col + 1 } else { col });
        if let Some(last) = items.last_mut() {
            last.comments.foot.extend(gap_lines(foot, col));
        }
        Ok((Node::new(Content::Sequence(items), Style::Plain), rest))
    }
}
