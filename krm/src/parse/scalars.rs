//! Scalar tokens: plain (with line folding), single- and double-quoted (with escapes), block
//! (`|` and `>` with chomping and indentation indicators), anchors, tags and aliases.

use super::cursor::{Cursor, Mark};
use crate::node::{Node, Raw, Style};

/// Plain scalar text on one line: ends at `: `, ` #`, the line end, and in flow context at
/// `,[]{}` and `:` before one of them. Returns the text (trailing blanks trimmed) and whether
/// it stopped at a `:` that makes it a key.
pub(super) fn plain_line<'a>(c: &mut Cursor<'a>, flow: bool) -> (&'a str, bool) {
    let start = c.pos;
    let mut end = c.pos;
    let mut colon = false;
    while let Some(b) = c.peek() {
        match b {
            b'\n' => break,
            b':' if c.blank_at(1)
                || (flow && matches!(c.peek_at(1), Some(b',' | b'[' | b']' | b'{' | b'}'))) =>
            {
                colon = true;
                break;
            }
            b',' | b'[' | b']' | b'{' | b'}' if flow => break,
            b' ' | b'\t' => {
                let m = c.mark();
                c.skip_blanks();
                if matches!(c.peek(), None | Some(b'\n' | b'#')) {
                    c.reset(m);
                    break;
                }
                continue;
            }
            _ => {
                c.pos += c.peek_char().map_or(1, char::len_utf8);
                end = c.pos;
            }
        }
    }
    (&c.src[start..end], colon)
}

/// Folds `line_breaks` (at least 1) line breaks between two lines of a plain or quoted scalar
/// into `value`, as YAML does: one becomes a space, each further one a line break.
pub(super) fn fold(value: &mut String, line_breaks: usize) {
    if line_breaks <= 1 {
        value.push(' ');
    } else {
        value.extend(std::iter::repeat_n('\n', line_breaks - 1));
    }
}

/// A plain scalar in block context that is not a key: `first` (its first line, starting at
/// `start`) is read; continuation lines indented more than `parent` are folded in (one break →
/// a space, n blank lines → n breaks). Stops before a comment, a document marker or a less
/// indented line.
pub(super) fn plain_continuation(
    c: &mut Cursor<'_>,
    first: &str,
    start: usize,
    parent: isize,
) -> crate::Result<Node> {
    let mut value = first.to_string();
    let mut raw_end = start + first.len();
    loop {
        let m = c.mark();
        c.skip_blanks();
        if c.peek() != Some(b'\n') {
            c.reset(m);
            break;
        }
        c.newline();
        let mut breaks = 0;
        let has_content = loop {
            let ls = c.mark();
            c.skip_blanks();
            match c.peek() {
                None | Some(b'#') => break false,
                Some(b'\n') => {
                    breaks += 1;
                    c.newline();
                }
                _ => {
                    c.reset(ls);
                    break true;
                }
            }
        };
        let mut n = 0;
        while c.peek_at(n) == Some(b' ') {
            n += 1;
        }
        if !has_content || (n as isize) <= parent || c.at_doc_marker() {
            c.reset(m);
            break;
        }
        c.skip_blanks();
        let text_start = c.pos;
        let (text, colon) = plain_line(c, false);
        if colon {
            return Err(c.err("mapping values are not allowed in this context"));
        }
        fold(&mut value, breaks + 1);
        value.push_str(text);
        raw_end = text_start + text.len();
    }
    Ok(scalar_with_raw(value, Style::Plain, &c.src[start..raw_end], parent))
}

/// A scalar read from `text`. Its source text is kept unless it is a plain scalar that the
/// emitter would write the same way.
pub(super) fn scalar_with_raw(value: String, style: Style, text: &str, ctx: isize) -> Node {
    if style == Style::Plain && text == value {
        let a = crate::scalar::analyze(&value);
        if a.block_plain && a.flow_plain {
            return Node::scalar(value, style);
        }
    }
    let mut node = Node::scalar(value.clone(), style);
    node.raw = Some(Box::new(Raw::Scalar { text: text.to_string(), body: None, ctx, value, style }));
    node
}

/// A quoted scalar from its opening quote, folded and unescaped.
pub(super) fn quoted(c: &mut Cursor<'_>, ctx: isize) -> crate::Result<Node> {
    let start = c.pos;
    let single = c.peek() == Some(b'\'');
    c.pos += 1;
    let mut value = String::new();
    let mut escaped_break = false;
    loop {
        // Non-blank characters.
        loop {
            let Some(ch) = c.peek_char() else {
                return Err(c.err("found unexpected end of stream while scanning a quoted scalar"));
            };
            match ch {
                ' ' | '\t' | '\n' => break,
                '\'' if single => {
                    if c.peek_at(1) == Some(b'\'') {
                        value.push('\'');
                        c.pos += 2;
                        continue;
                    }
                    c.pos += 1;
                    let text = &c.src[start..c.pos];
                    return Ok(scalar_with_raw(value, Style::SingleQuoted, text, ctx));
                }
                '"' if !single => {
                    c.pos += 1;
                    let text = &c.src[start..c.pos];
                    return Ok(scalar_with_raw(value, Style::DoubleQuoted, text, ctx));
                }
                '\\' if !single => {
                    if c.peek_at(1) == Some(b'\n') {
                        c.pos += 1;
                        c.newline();
                        escaped_break = true;
                        break;
                    }
                    c.pos += 1;
                    value.push(escape(c)?);
                }
                _ => {
                    value.push(ch);
                    c.pos += ch.len_utf8();
                }
            }
        }
        // Blanks and line breaks: folded.
        let mut ws = String::new();
        let mut breaks = 0;
        while let Some(b @ (b' ' | b'\t' | b'\n')) = c.peek() {
            if b == b'\n' {
                c.newline();
                if c.at_doc_marker() {
                    return Err(c.err("found unexpected document indicator while scanning a quoted scalar"));
                }
                breaks += 1;
            } else {
                if breaks == 0 && !escaped_break {
                    ws.push(b as char);
                }
                c.pos += 1;
            }
        }
        if escaped_break {
            value.extend(std::iter::repeat_n('\n', breaks));
            escaped_break = false;
        } else if breaks >= 1 {
            fold(&mut value, breaks);
        } else {
            value.push_str(&ws);
        }
    }
}

/// A double-quoted escape after its `\`.
fn escape(c: &mut Cursor<'_>) -> crate::Result<char> {
    let Some(e) = c.peek_char() else { return Err(c.err("found unexpected end of stream")) };
    c.pos += e.len_utf8();
    let hex = |c: &mut Cursor<'_>, n: usize| -> crate::Result<u32> {
        let digits =
            c.src.get(c.pos..c.pos + n).ok_or_else(|| c.err("did not find expected hexdecimal number"))?;
        let v =
            u32::from_str_radix(digits, 16).map_err(|_| c.err("did not find expected hexdecimal number"))?;
        c.pos += n;
        Ok(v)
    };
    let code = match e {
        '0' => 0,
        'a' => 7,
        'b' => 8,
        't' | '\t' => 9,
        'n' => 10,
        'v' => 11,
        'f' => 12,
        'r' => 13,
        'e' => 0x1b,
        ' ' => 0x20,
        '"' => 0x22,
        '/' => 0x2f,
        '\\' => 0x5c,
        'N' => 0x85,
        '_' => 0xa0,
        'L' => 0x2028,
        'P' => 0x2029,
        'x' => hex(c, 2)?,
        'u' => {
            let hi = hex(c, 4)?;
            if (0xD800..0xDC00).contains(&hi) && c.src[c.pos..].starts_with("\\u") {
                // A UTF-16 surrogate pair, as JSON writes characters outside the BMP.
                c.pos += 2;
                let lo = hex(c, 4)?;
                0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
            } else {
                hi
            }
        }
        'U' => hex(c, 8)?,
        _ => return Err(c.err("found unknown escape character while parsing a quoted scalar")),
    };
    char::from_u32(code).ok_or_else(|| c.err("found invalid Unicode character escape code"))
}

/// `&name`, `*name`: the name after the indicator.
pub(super) fn name(c: &mut Cursor<'_>) -> crate::Result<String> {
    let start = c.pos;
    while let Some(b) = c.peek() {
        if matches!(b, b' ' | b'\t' | b'\n' | b',' | b'[' | b']' | b'{' | b'}') {
            break;
        }
        c.pos += c.peek_char().map_or(1, char::len_utf8);
    }
    if c.pos == start {
        return Err(c.err("did not find expected alphabetic or numeric character"));
    }
    Ok(c.src[start..c.pos].to_string())
}

/// `!tag`, `!!tag`, `!<verbatim>`, as written.
pub(super) fn tag(c: &mut Cursor<'_>) -> crate::Result<String> {
    let start = c.pos;
    if c.src[c.pos..].starts_with("!<") {
        let end = c.src[c.pos..].find('>').ok_or_else(|| c.err("did not find the expected '>'"))?;
        c.pos += end + 1;
    } else {
        while let Some(b) = c.peek() {
            if matches!(b, b' ' | b'\t' | b'\n' | b',' | b'[' | b']' | b'{' | b'}') {
                break;
            }
            c.pos += c.peek_char().map_or(1, char::len_utf8);
        }
    }
    Ok(c.src[start..c.pos].to_string())
}

#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// A block scalar from its `|` or `>`: returns the node (with its header comment) positioned
/// after its last content line; trailing blank lines of a clipped or stripped scalar are left
/// for the caller to read as gap lines.
pub(super) fn block(c: &mut Cursor<'_>, parent: isize) -> crate::Result<Node> {
    let start = c.pos;
    let style = if c.peek() == Some(b'|') { Style::Literal } else { Style::Folded };
    c.pos += 1;
    let mut chomp = Chomp::Clip;
    let mut explicit: Option<usize> = None;
    for _ in 0..2 {
        match c.peek() {
            Some(b'-') => chomp = Chomp::Strip,
            Some(b'+') => chomp = Chomp::Keep,
            Some(d @ b'1'..=b'9') => explicit = Some(usize::from(d - b'0')),
            _ => break,
        }
        c.pos += 1;
    }
    let header = c.src[start..c.pos].to_string();
    let comment = c.end_of_line("a block scalar header")?;
    let indent = match explicit {
        Some(d) => (parent.max(0) as usize) + d,
        None => detect_indent(c, (parent + 1).max(1) as usize),
    };
    // Content lines: (text after the indentation, start, end) of each line.
    let body_start = c.pos;
    let mut lines: Vec<(&str, Mark, usize)> = Vec::new();
    while !c.eof() {
        let ls = c.mark();
        let mut n = 0;
        while c.peek_at(n) == Some(b' ') && n < indent {
            n += 1;
        }
        let rest_blank = {
            let mut k = n;
            while matches!(c.peek_at(k), Some(b' ' | b'\t')) {
                k += 1;
            }
            matches!(c.peek_at(k), None | Some(b'\n'))
        };
        if n < indent && !rest_blank {
            break;
        }
        c.pos += n;
        let text = c.rest_of_line();
        let text = if n < indent { "" } else { text };
        lines.push((text, ls, c.pos));
        c.newline();
    }
    let last = lines.iter().rposition(|(t, _, _)| !t.is_empty());
    // Where the scalar ends: after the last content line, or after all lines when kept.
    let keep_to = match (chomp, last) {
        (Chomp::Keep, _) => lines.len(),
        (_, Some(l)) => l + 1,
        (_, None) => 0,
    };
    let body =
        if keep_to == 0 { String::new() } else { format!("{}\n", &c.src[body_start..lines[keep_to - 1].2]) };
    if keep_to < lines.len() {
        // Hand the trailing blank lines back.
        c.reset(lines[keep_to].1);
    }
    let texts: Vec<&str> = lines.iter().map(|(t, _, _)| *t).collect();
    let value = block_value(&texts, style == Style::Folded, chomp, last);
    let mut node = Node::scalar(value.clone(), style);
    if let Some((text, gap)) = comment {
        node.comments.line = Some(text);
        node.comments.line_gap = gap;
    }
    node.raw = Some(Box::new(Raw::Scalar { text: header, body: Some(body), ctx: parent, value, style }));
    Ok(node)
}

/// The indentation of the first non-empty line (at least `min`), or of the longest leading
/// blank line.
fn detect_indent(c: &Cursor<'_>, min: usize) -> usize {
    let mut i = c.pos;
    let b = c.b;
    let mut max_blank = 0;
    loop {
        let mut n = 0;
        while i + n < b.len() && b[i + n] == b' ' {
            n += 1;
        }
        match b.get(i + n) {
            Some(b'\n') => {
                max_blank = max_blank.max(n);
                i += n + 1;
            }
            None => return max_blank.max(min),
            _ => return n.max(max_blank).max(min),
        }
    }
}

/// The value of a block scalar from its content lines (indentation removed).
fn block_value(lines: &[&str], folded: bool, chomp: Chomp, last: Option<usize>) -> String {
    let mut out = String::new();
    let Some(last) = last else {
        return if chomp == Chomp::Keep { "\n".repeat(lines.len()) } else { String::new() };
    };
    let mut prev: Option<&str> = None;
    let mut breaks = 0;
    for line in &lines[..=last] {
        if line.is_empty() {
            breaks += 1;
            continue;
        }
        match prev {
            None => out.extend(std::iter::repeat_n('\n', breaks)),
            Some(p) => {
                let more = |s: &str| s.starts_with([' ', '\t']);
                if folded && !more(p) && !more(line) {
                    if breaks == 0 {
                        out.push(' ');
                    } else {
                        out.extend(std::iter::repeat_n('\n', breaks));
                    }
                } else {
                    out.extend(std::iter::repeat_n('\n', breaks + 1));
                }
            }
        }
        out.push_str(line);
        prev = Some(line);
        breaks = 0;
    }
    match chomp {
        Chomp::Strip => {}
        Chomp::Clip => out.push('\n'),
        Chomp::Keep => {
            out.push('\n');
            out.extend(std::iter::repeat_n('\n', lines.len() - last - 1));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_follows_the_spec() {
        let lines = ["folded", "line", "", "next", "line", "  * bullet", "", "  * list", "", "last", "line"];
        assert_eq!(
            block_value(&lines, true, Chomp::Clip, Some(10)),
            "folded line\nnext line\n  * bullet\n\n  * list\n\nlast line\n"
        );
        assert_eq!(block_value(&["a", "", "b", "", ""], false, Chomp::Keep, Some(2)), "a\n\nb\n\n\n");
        assert_eq!(block_value(&["", "a"], false, Chomp::Strip, Some(1)), "\na");
    }
}
