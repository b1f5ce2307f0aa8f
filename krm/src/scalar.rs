//! Scalars: how a plain scalar resolves to a type, and the quoting rules of the emitter.
//!
//! Resolution follows go-yaml v3 (what kyaml reads with): YAML 1.2 core plus go-yaml's extras
//! (`0777` octal, `0b1010`, `_` in numbers, timestamps). New strings are also quoted when a
//! YAML 1.1 reader (the Kubernetes API server's) would read them as something else (`on`, `yes`,
//! `n`), as kyaml's `IsYaml1_1NonString` does.

use crate::node::{Content, Node, Style};

/// The type a scalar reads as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// `null`, `~`, empty.
    Null,
    /// `true` / `false`.
    Bool,
    /// An integer.
    Int,
    /// A float, including `.inf` and `.nan`.
    Float,
    /// A timestamp (`2001-12-14`); converted to JSON as its text.
    Timestamp,
    /// A string.
    Str,
}

impl Node {
    /// The type of a scalar: its explicit standard tag, else a string when quoted or block,
    /// else what the plain text resolves to. `None` for collections and aliases.
    pub fn scalar_type(&self) -> Option<ScalarType> {
        let Content::Scalar(value) = &self.content else { return None };
        if let Some(tag) = &self.tag {
            let short = tag.strip_prefix("tag:yaml.org,2002:").map(|s| format!("!!{s}"));
            match short.as_deref().unwrap_or(tag) {
                "!!str" | "!!binary" => return Some(ScalarType::Str),
                "!!int" => return Some(ScalarType::Int),
                "!!float" => return Some(ScalarType::Float),
                "!!bool" => return Some(ScalarType::Bool),
                "!!null" => return Some(ScalarType::Null),
                "!!timestamp" => return Some(ScalarType::Timestamp),
                _ => {}
            }
        }
        if self.style != Style::Plain {
            return Some(ScalarType::Str);
        }
        Some(resolve(value))
    }
}

/// What a plain scalar with this text reads as (go-yaml v3).
pub fn resolve(value: &str) -> ScalarType {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarType::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return ScalarType::Bool,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" | ".nan"
        | ".NaN" | ".NAN" => return ScalarType::Float,
        _ => {}
    }
    let first = value.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return ScalarType::Str;
    }
    if is_timestamp(value) {
        return ScalarType::Timestamp;
    }
    match parse_number(value) {
        Some(Number::Int(_) | Number::Uint(_)) => ScalarType::Int,
        Some(Number::Float(_)) => ScalarType::Float,
        None => ScalarType::Str,
    }
}

/// A number read from a plain scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// Fits an `i64`.
    Int(i64),
    /// Fits only a `u64`.
    Uint(u64),
    /// A float.
    Float(f64),
}

/// Reads a plain scalar as a number as go-yaml v3 does: `_` are dropped; an optional sign;
/// `0x`, `0o`, `0b` and a leading `0` (octal) prefixes; else YAML's float syntax.
pub fn parse_number(value: &str) -> Option<Number> {
    match value {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(Number::Float(f64::INFINITY)),
        "-.inf" | "-.Inf" | "-.INF" => return Some(Number::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Number::Float(f64::NAN)),
        _ => {}
    }
    let plain: String = value.chars().filter(|&c| c != '_').collect();
    let (negative, digits) = match plain.as_bytes().first()? {
        b'-' => (true, &plain[1..]),
        b'+' => (false, &plain[1..]),
        _ => (false, &plain[..]),
    };
    let (radix, body) = if let Some(b) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        (16, b)
    } else if let Some(b) = digits.strip_prefix("0o").or_else(|| digits.strip_prefix("0O")) {
        (8, b)
    } else if let Some(b) = digits.strip_prefix("0b").or_else(|| digits.strip_prefix("0B")) {
        (2, b)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if !body.is_empty()
        && body.chars().all(|c| c.is_digit(radix))
        && let Ok(u) = u64::from_str_radix(body, radix)
    {
        if !negative {
            return Some(i64::try_from(u).map_or(Number::Uint(u), Number::Int));
        }
        if let Ok(i) = i64::try_from(-i128::from(u)) {
            return Some(Number::Int(i));
        }
    }
    if is_float_syntax(&plain) {
        return plain.parse::<f64>().ok().map(Number::Float);
    }
    None
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && matches!(b[i], b'+' | b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// `YYYY-M-D`, optionally followed by `[Tt ]H:M:S[.frac][Z|±HH[:MM]]`.
fn is_timestamp(s: &str) -> bool {
    fn digits(b: &[u8], i: &mut usize, min: usize, max: usize) -> bool {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        *i - start >= min
    }
    let b = s.as_bytes();
    let mut i = 0;
    if !(digits(b, &mut i, 4, 4) && b.get(i) == Some(&b'-')) {
        return false;
    }
    i += 1;
    if !(digits(b, &mut i, 1, 2) && b.get(i) == Some(&b'-')) {
        return false;
    }
    i += 1;
    if !digits(b, &mut i, 1, 2) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    if !matches!(b[i], b'T' | b't' | b' ') {
        return false;
    }
    i += 1;
    if !(digits(b, &mut i, 1, 2) && b.get(i) == Some(&b':')) {
        return false;
    }
    i += 1;
    if !(digits(b, &mut i, 1, 2) && b.get(i) == Some(&b':')) {
        return false;
    }
    i += 1;
    if !digits(b, &mut i, 1, 2) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(b, &mut i, 1, 9) {
            return false;
        }
    }
    match b.get(i) {
        None => true,
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i += 1;
            if !digits(b, &mut i, 1, 2) {
                return false;
            }
            if b.get(i) == Some(&b':') {
                i += 1;
                if !digits(b, &mut i, 2, 2) {
                    return false;
                }
            }
            i == b.len()
        }
        _ => false,
    }
}

/// True when a YAML 1.1 reader (go-yaml v2, the API server's) reads this plain text as
/// something other than a string that YAML 1.2 reads as one (the boolean words `y`, `yes`,
/// `on`, `off`, `no`, `n` in their spellings).
pub fn is_yaml11_non_string(value: &str) -> bool {
    matches!(
        value,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// True when the plain text `value` would not read back as the string `value`.
pub fn needs_type_quotes(value: &str) -> bool {
    resolve(value) != ScalarType::Str || is_yaml11_non_string(value) || value == "<<"
}

/// The style a new string scalar gets: double-quoted when plain would change its type.
pub(crate) fn string_style(value: &str) -> Style {
    if needs_type_quotes(value) { Style::DoubleQuoted } else { Style::Plain }
}

/// A float as a plain scalar that reads back as a float.
pub(crate) fn format_float(value: f64) -> String {
    if value.is_nan() {
        ".nan".into()
    } else if value.is_infinite() {
        if value > 0.0 { ".inf".into() } else { "-.inf".into() }
    } else {
        format!("{value:?}")
    }
}

/// What a scalar's text allows, as libyaml's `yaml_emitter_analyze_scalar` finds it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Analysis {
    pub(crate) multiline: bool,
    pub(crate) flow_plain: bool,
    pub(crate) block_plain: bool,
    pub(crate) single_quoted: bool,
    pub(crate) block: bool,
}

/// libyaml's printable set (tab is not in it).
fn is_printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank_or_end(c: Option<char>) -> bool {
    matches!(c, None | Some(' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'))
}

pub(crate) fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain: false,
            block_plain: true,
            single_quoted: true,
            block: false,
        };
    }
    let (mut flow_ind, mut block_ind) = (false, false);
    if value.starts_with("---") || value.starts_with("...") {
        flow_ind = true;
        block_ind = true;
    }
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut chars = value.chars().peekable();
    let mut i = 0;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let last = next.is_none();
        let followed_by_ws = is_blank_or_end(next);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@'
                | '`' => {
                    flow_ind = true;
                    block_ind = true;
                }
                '?' | ':' => {
                    flow_ind = true;
                    if followed_by_ws {
                        block_ind = true;
                    }
                }
                '-' if followed_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_ind = true,
                ':' => {
                    flow_ind = true;
                    if followed_by_ws {
                        block_ind = true;
                    }
                }
                '#' if preceded_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if last {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            if i == 0 {
                leading_break = true;
            }
            if last {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = c == ' ' || c == '\t' || is_break(c);
        i += 1;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain: true,
        block_plain: true,
        single_quoted: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.flow_plain = false;
        a.block_plain = false;
        a.single_quoted = false;
    }
    if space_break || special {
        a.flow_plain = false;
        a.block_plain = false;
        a.single_quoted = false;
        a.block = false;
    }
    if line_breaks {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if flow_ind {
        a.flow_plain = false;
    }
    if block_ind {
        a.block_plain = false;
    }
    a
}

/// `value` as a double-quoted scalar, escaped as libyaml does.
pub(crate) fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if is_printable(c) && !is_break(c) && c != '"' && c != '\\' {
            out.push(c);
            continue;
        }
        match c {
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) <= 0xFF => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// `value` as a single-quoted scalar (callers make sure it has no line break).
pub(crate) fn single_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_go_yaml_v3() {
        for (v, t) in [
            ("", ScalarType::Null),
            ("~", ScalarType::Null),
            ("null", ScalarType::Null),
            ("true", ScalarType::Bool),
            ("False", ScalarType::Bool),
            ("yes", ScalarType::Str),
            ("on", ScalarType::Str),
            ("1", ScalarType::Int),
            ("-12", ScalarType::Int),
            ("+7", ScalarType::Int),
            ("0x1F", ScalarType::Int),
            ("0o17", ScalarType::Int),
            ("0777", ScalarType::Int),
            ("1_000", ScalarType::Int),
            ("08", ScalarType::Float),
            ("1.5", ScalarType::Float),
            ("1.", ScalarType::Float),
            (".5", ScalarType::Float),
            ("1e3", ScalarType::Float),
            (".inf", ScalarType::Float),
            ("-.Inf", ScalarType::Float),
            (".NaN", ScalarType::Float),
            ("2001-12-14", ScalarType::Timestamp),
            ("2001-12-14T21:59:43.10-05:00", ScalarType::Timestamp),
            ("1.2.3", ScalarType::Str),
            ("v1", ScalarType::Str),
            ("-", ScalarType::Str),
            (".", ScalarType::Str),
            ("1e", ScalarType::Str),
            ("12:30", ScalarType::Str),
            ("_1", ScalarType::Str),
        ] {
            assert_eq!(resolve(v), t, "{v:?}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("0777"), Some(Number::Int(511)));
        assert_eq!(parse_number("-0x10"), Some(Number::Int(-16)));
        assert_eq!(parse_number("0b101"), Some(Number::Int(5)));
        assert_eq!(parse_number("-9223372036854775808"), Some(Number::Int(i64::MIN)));
        assert_eq!(parse_number("18446744073709551615"), Some(Number::Uint(u64::MAX)));
        assert_eq!(parse_number("18446744073709551616"), Some(Number::Float(18446744073709551616.0)));
        assert_eq!(parse_number("2.50"), Some(Number::Float(2.5)));
        assert_eq!(parse_number("abc"), None);
    }

    #[test]
    fn new_strings_that_read_as_other_types_are_quoted() {
        for v in ["true", "1", "null", "~", "", "on", "yes", "N", "1.5", "0x1F", "2024-01-02", "<<", ".inf"] {
            assert!(needs_type_quotes(v), "{v:?}");
        }
        for v in ["nginx", "1.2.3", "v1", "true-ish", "a b", "http://x"] {
            assert!(!needs_type_quotes(v), "{v:?}");
        }
    }

    #[test]
    fn analysis_matches_libyaml() {
        assert!(!analyze("a: b").block_plain);
        assert!(analyze("a: b").single_quoted);
        assert!(analyze("a:b").block_plain);
        assert!(!analyze("a:b").flow_plain);
        assert!(!analyze("- x").block_plain);
        assert!(analyze("-x").block_plain);
        assert!(!analyze("a #b").block_plain);
        assert!(analyze("a#b").block_plain);
        assert!(!analyze(" a").block_plain);
        assert!(!analyze("a\tb").single_quoted);
        assert!(!analyze("a\nb").block_plain);
        assert!(analyze("a\nb").block);
        assert!(!analyze("a \nb").block);
        assert!(!analyze("*x").block_plain);
        assert!(!analyze("---").block_plain);
    }

    #[test]
    fn escapes() {
        assert_eq!(double_quoted("a\"b\\c\n\t\u{1}é"), "\"a\\\"b\\\\c\\n\\t\\x01é\"");
        assert_eq!(single_quoted("it's"), "'it''s'");
    }
}
