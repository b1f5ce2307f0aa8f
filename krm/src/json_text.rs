//! A document written as JSON, as kpt writes a single-resource `.json` file: 2-space
//! indentation, a final line break, strings escaped as Go's `encoding/json` does (`<`, `>`, `&`
//! as `\u003c`...). Unchanged scalars read from JSON keep their source token.

use std::collections::HashMap;

use crate::document::Document;
use crate::node::{Content, Node, Raw, Style};
use crate::scalar::{Number, ScalarType, parse_number};

pub(crate) fn to_json_text(doc: &Document) -> String {
    let mut out = String::new();
    if let Some(root) = &doc.root {
        let mut anchors = HashMap::new();
        write(&mut out, root, 0, &mut anchors, 0);
    } else {
        out.push_str("null");
    }
    out.push('\n');
    out
}

fn write<'a>(
    out: &mut String,
    node: &'a Node,
    indent: usize,
    anchors: &mut HashMap<&'a str, &'a Node>,
    depth: usize,
) {
    if let Some(a) = &node.anchor {
        anchors.insert(a, node);
    }
    match &node.content {
        Content::Alias(name) => match anchors.get(name.as_str()).copied() {
            Some(target) if depth < 64 => write(out, target, indent, anchors, depth + 1),
            _ => out.push_str("null"),
        },
        Content::Mapping(pairs) if pairs.is_empty() => out.push_str("{}"),
        Content::Sequence(items) if items.is_empty() => out.push_str("[]"),
        Content::Mapping(pairs) => {
            out.push_str("{\n");
            for (i, p) in pairs.iter().enumerate() {
                out.extend(std::iter::repeat_n(' ', indent + 2));
                match raw_token(&p.key) {
                    Some(t) if is_json_string(t) => out.push_str(t),
                    _ => out.push_str(&go_json_string(&crate::json::key_text(&p.key).unwrap_or_default())),
                }
                out.push_str(": ");
                write(out, &p.value, indent + 2, anchors, depth);
                out.push_str(if i + 1 < pairs.len() { ",\n" } else { "\n" });
            }
            out.extend(std::iter::repeat_n(' ', indent));
            out.push('}');
        }
        Content::Sequence(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.extend(std::iter::repeat_n(' ', indent + 2));
                write(out, item, indent + 2, anchors, depth);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.extend(std::iter::repeat_n(' ', indent));
            out.push(']');
        }
        Content::Scalar(v) => out.push_str(&scalar(node, v)),
    }
}

/// The source token of an unchanged scalar.
fn raw_token(node: &Node) -> Option<&str> {
    match node.raw.as_deref() {
        Some(Raw::Scalar { text, body: None, value, style, .. })
            if Some(value.as_str()) == node.as_str() && *style == node.style =>
        {
            Some(text)
        }
        _ => None,
    }
}

fn scalar(node: &Node, v: &str) -> String {
    let raw = raw_token(node);
    match node.scalar_type().unwrap_or(ScalarType::Str) {
        ScalarType::Null => "null".into(),
        ScalarType::Bool => if v.eq_ignore_ascii_case("true") { "true" } else { "false" }.into(),
        ScalarType::Int | ScalarType::Float => {
            // A plain number is written as read when JSON allows it (`1.0` stays `1.0`).
            let token = if node.style == Style::Plain { raw.or(Some(v)) } else { None };
            if let Some(t) = token.filter(|t| is_json_number(t)) {
                return t.to_string();
            }
            match parse_number(v) {
                Some(Number::Int(i)) => i.to_string(),
                Some(Number::Uint(u)) => u.to_string(),
                Some(Number::Float(f)) if f.is_finite() => go_float(f),
                _ => go_json_string(v),
            }
        }
        ScalarType::Str | ScalarType::Timestamp => match raw {
            Some(t) if is_json_string(t) => t.to_string(),
            _ => go_json_string(v),
        },
    }
}

/// Go's `encoding/json` float format: shortest digits, exponent below 1e-6 and from 1e21.
pub(crate) fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        format!("{f}")
    }
}

/// A string as Go's `encoding/json` writes it (HTML-safe).
pub(crate) fn go_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A double-quoted token that is also a JSON string.
fn is_json_string(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() < 2 || b[0] != b'"' || b[b.len() - 1] != b'"' {
        return false;
    }
    let mut i = 1;
    while i < b.len() - 1 {
        match b[i] {
            b'\\' => {
                match b.get(i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                    Some(b'u') => i += 6,
                    _ => return false,
                }
                continue;
            }
            c if c < 0x20 => return false,
            _ => i += 1,
        }
    }
    i == b.len() - 1
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
fn is_json_number(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(b, &mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(b, &mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(b, &mut i) {
            return false;
        }
    }
    i == b.len()
}

/// Moves `i` past the ASCII digits at it; whether there was at least one.
fn digits(b: &[u8], i: &mut usize) -> bool {
    let start = *i;
    while b.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    *i > start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_formats() {
        assert_eq!(go_json_string("a<b>&\"\n\u{1}"), "\"a\\u003cb\\u003e\\u0026\\\"\\n\\u0001\"");
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(0.5), "0.5");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(1.5e-7), "1.5e-7");
        assert!(is_json_number("-0.5e+3"));
        assert!(!is_json_number("0x1F"));
        assert!(!is_json_number("01"));
        assert!(is_json_string("\"a\\u0041\\n\""));
        assert!(!is_json_string("\"a\\x41\""));
    }
}
