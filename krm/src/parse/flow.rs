//! Flow collections: `[a, b]`, `{a: b}` and JSON, over any number of lines.

use super::cursor::Cursor;
use super::scalars;
use crate::node::{Content, Node, Pair, Raw, Style};

/// A flow collection from its `[` or `{`. Comments inside it become its foot comment; its
/// source text is kept so that, unchanged, it is written back as it was.
pub(super) fn collection(c: &mut Cursor<'_>, ctx: isize, keep_raw: bool) -> crate::Result<Node> {
    let start = c.pos;
    let mut comments = Vec::new();
    let mut node = inner(c, ctx, &mut comments)?;
    let inner_comments = comments.len();
    node.comments.foot = comments;
    if keep_raw {
        let text = c.src[start..c.pos].to_string();
        let fingerprint = node.flow_fingerprint(inner_comments);
        node.raw = Some(Box::new(Raw::Flow { text, ctx, fingerprint, inner: inner_comments }));
    }
    Ok(node)
}

fn inner(c: &mut Cursor<'_>, ctx: isize, comments: &mut Vec<String>) -> crate::Result<Node> {
    let seq = c.peek() == Some(b'[');
    let close = if seq { b']' } else { b'}' };
    c.pos += 1;
    let mut items = Vec::new();
    let mut pairs = Vec::new();
    loop {
        skip(c, comments);
        match c.peek() {
            None => return Err(c.err("did not find expected ',' or ']' in a flow collection")),
            Some(b) if b == close => {
                c.pos += 1;
                break;
            }
            _ => {}
        }
        if c.peek() == Some(b'?') && c.blank_at(1) {
            return Err(c.err("complex mapping keys are not supported"));
        }
        let first = node(c, ctx, comments)?;
        skip(c, comments);
        if c.peek() == Some(b':') {
            if seq {
                return Err(c.err("single-pair mappings in flow sequences are not supported"));
            }
            c.pos += 1;
            skip(c, comments);
            let value = match c.peek() {
                Some(b',') => empty(),
                Some(b) if b == close => empty(),
                _ => node(c, ctx, comments)?,
            };
            pairs.push(Pair::new(first, value));
        } else if seq {
            items.push(first);
        } else {
            pairs.push(Pair::new(first, empty()));
        }
        skip(c, comments);
        match c.peek() {
            Some(b',') => c.pos += 1,
            Some(b) if b == close => {}
            _ => {
                let what =
                    if seq { "did not find expected ',' or ']'" } else { "did not find expected ',' or '}'" };
                return Err(c.err(what));
            }
        }
    }
    let content = if seq { Content::Sequence(items) } else { Content::Mapping(pairs) };
    Ok(Node::new(content, Style::Flow))
}

fn empty() -> Node {
    Node::scalar("", Style::Plain)
}

/// Blanks, line breaks and comments inside a flow collection.
fn skip(c: &mut Cursor<'_>, comments: &mut Vec<String>) {
    loop {
        match c.peek() {
            Some(b' ' | b'\t') => c.pos += 1,
            Some(b'\n') => c.newline(),
            Some(b'#') => comments.push(c.rest_of_line().trim_end().to_string()),
            _ => return,
        }
    }
}

/// One node inside a flow collection.
fn node(c: &mut Cursor<'_>, ctx: isize, comments: &mut Vec<String>) -> crate::Result<Node> {
    let mut anchor = None;
    let mut tag = None;
    loop {
        match c.peek() {
            Some(b'&') => {
                c.pos += 1;
                anchor = Some(scalars::name(c)?);
            }
            Some(b'!') => tag = Some(scalars::tag(c)?),
            _ => break,
        }
        skip(c, comments);
    }
    let mut n = match c.peek() {
        Some(b'[' | b'{') => inner(c, ctx, comments)?,
        Some(b'"' | b'\'') => scalars::quoted(c, ctx)?,
        Some(b'*') => {
            c.pos += 1;
            Node::alias(scalars::name(c)?)
        }
        Some(b',' | b']' | b'}' | b':') if anchor.is_some() || tag.is_some() => empty(),
        Some(b'#' | b',' | b']' | b'}' | b'|' | b'>' | b'%' | b'@' | b'`') | None => {
            return Err(c.err("did not find expected node content"));
        }
        _ => plain(c, ctx)?,
    };
    n.anchor = anchor;
    n.tag = tag;
    Ok(n)
}

/// A plain scalar in flow context, folded over lines.
fn plain(c: &mut Cursor<'_>, ctx: isize) -> crate::Result<Node> {
    let start = c.pos;
    let (first, _) = scalars::plain_line(c, true);
    let mut value = first.to_string();
    let mut end = start + first.len();
    loop {
        let m = c.mark();
        c.skip_blanks();
        if c.peek() != Some(b'\n') {
            c.reset(m);
            break;
        }
        let mut breaks = 0;
        while matches!(c.peek(), Some(b' ' | b'\t' | b'\n')) {
            if c.peek() == Some(b'\n') {
                breaks += 1;
                c.newline();
            } else {
                c.pos += 1;
            }
        }
        if matches!(c.peek(), None | Some(b',' | b']' | b'}' | b':' | b'#' | b'[' | b'{')) {
            c.reset(m);
            break;
        }
        let s = c.pos;
        let (text, _) = scalars::plain_line(c, true);
        if text.is_empty() {
            c.reset(m);
            break;
        }
        scalars::fold(&mut value, breaks);
        value.push_str(text);
        end = s + text.len();
    }
    Ok(scalars::scalar_with_raw(value, Style::Plain, &c.src[start..end], ctx))
}
