//! Go behaviour the catalog functions' configuration reading and messages depend on, shared by
//! all of them: how a YAML value reaches a typed Go field through JSON (`sigs.k8s.io/yaml`
//! reading YAML 1.1 and making numbers and booleans strings where a string is expected; kyaml
//! reading YAML 1.2 and not), how `encoding/json` matches fields and words its type errors, and
//! how Go writes floats (`strconv.FormatFloat`) and quoted strings (`%q`).

use porch_krm::{Node, NodeKind, ScalarType, Style};

/// A YAML value as JSON sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    /// `null`.
    Null,
    /// A string.
    String(String),
    /// A number, written as Go writes it when it makes one a string.
    Number(String),
    /// A boolean.
    Bool(bool),
    /// A mapping.
    Object,
    /// A sequence.
    Array,
}

impl Json {
    /// What `encoding/json` calls the value in a type error.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::String(_) => "string",
            Self::Number(_) => "number",
            Self::Bool(_) => "bool",
            Self::Object => "object",
            Self::Array => "array",
        }
    }

    /// The value as a Go `string` field gets it from `sigs.k8s.io/yaml`, which makes numbers
    /// and booleans strings first: `None` for null (the field keeps its zero value), the
    /// value's JSON kind when it cannot be a string.
    pub(crate) fn coerced_string(self) -> Result<Option<String>, &'static str> {
        match self {
            Self::Null => Ok(None),
            Self::String(s) | Self::Number(s) => Ok(Some(s)),
            Self::Bool(b) => Ok(Some(b.to_string())),
            other => Err(other.kind()),
        }
    }
}

/// `encoding/json`'s message for a value of JSON kind `value` that field `field` of struct
/// `strukt` (of Go type `go_type`) cannot hold.
pub(crate) fn type_error(value: &str, strukt: &str, field: &str, go_type: &str) -> String {
    format!("json: cannot unmarshal {value} into Go struct field {strukt}.{field} of type {go_type}")
}

/// A mapping's pairs in key order (a JSON object made from a Go map has its keys sorted).
pub(crate) fn sorted_pairs(node: &Node) -> Vec<(&str, &Node)> {
    let mut pairs: Vec<(&str, &Node)> = node
        .as_mapping()
        .into_iter()
        .flatten()
        .map(|p| (p.key.as_str().unwrap_or_default(), &p.value))
        .collect();
    pairs.sort_by_key(|(k, _)| *k);
    pairs
}

/// A mapping's pairs in key order, matched to the struct fields `names` as `encoding/json`
/// matches them (exactly, else ignoring ASCII case); pairs of no field are left out.
pub(crate) fn struct_fields<'a>(node: &'a Node, names: &[&'static str]) -> Vec<(&'static str, &'a Node)> {
    sorted_pairs(node)
        .into_iter()
        .filter_map(|(key, value)| {
            let name = names
                .iter()
                .find(|n| **n == key)
                .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(key)));
            name.map(|n| (*n, value))
        })
        .collect()
}

/// Whether a scalar is a string by its tag or its quoting.
fn tagged_or_quoted_string(node: &Node) -> bool {
    node.style != Style::Plain || matches!(node.tag.as_deref(), Some("!!str" | "tag:yaml.org,2002:str"))
}

/// A value as `sigs.k8s.io/yaml` reads it: go-yaml v2, YAML 1.1 (`yes`, `on`, `0777` octal,
/// `1_000`), numbers written as Go's `strconv` writes the `int`, `uint64` or `float64` it
/// made (floats as float32 `%g`).
pub(crate) fn yaml11(node: &Node) -> Json {
    match node.kind() {
        NodeKind::Mapping => Json::Object,
        NodeKind::Sequence => Json::Array,
        NodeKind::Alias => Json::Null,
        NodeKind::Scalar => {
            let text = node.as_str().unwrap_or_default();
            if tagged_or_quoted_string(node) { Json::String(text.to_string()) } else { resolve11(text) }
        }
    }
}

/// go-yaml v2's `resolve` of a plain scalar, as JSON.
fn resolve11(text: &str) -> Json {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Json::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Json::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Json::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Json::Number(format_float32(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Json::Number(format_float32(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Json::Number(format_float32(f64::NAN)),
        _ => {}
    }
    // Go's ParseFloat fails on overflow (where Rust's gives an infinity).
    let float =
        |s: &str| s.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| Json::Number(format_float32(f)));
    let number = match text.as_bytes()[0] {
        b'.' => float(text),
        b'0'..=b'9' | b'+' | b'-' => {
            let plain = text.replace('_', "");
            parse_int(&plain)
                .map(|i| Json::Number(i.to_string()))
                .or_else(|| if float_syntax(&plain) { float(&plain) } else { None })
        }
        _ => None,
    };
    number.unwrap_or_else(|| Json::String(text.to_string()))
}

/// Go's `strconv.ParseInt(s, 0, 64)`, else `ParseUint(s, 0, 64)`: a sign (signed only), a
/// `0x`, `0o`, `0b` or `0` (octal) prefix, digits of that base.
fn parse_int(s: &str) -> Option<i128> {
    let (negative, signed, unsigned) = match s.as_bytes().first()? {
        b'-' => (true, true, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let lower = unsigned.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    let value = if negative { -i128::try_from(magnitude).ok()? } else { i128::try_from(magnitude).ok()? };
    let fits_signed = i64::try_from(value).is_ok();
    let fits_unsigned = !signed && u64::try_from(value).is_ok();
    (fits_signed || fits_unsigned).then_some(value)
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn float_syntax(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`: the shortest digits that read back as `f`, in
/// `%e` form when the decimal exponent is below -4 or at least 6.
pub(crate) fn format_float64(f: f64) -> String {
    special_float(f).unwrap_or_else(|| g_from_exponential(&format!("{f:e}")))
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest digits that read back as the same
/// float32, in `%e` form when the exponent is below -4 or at least 6.
pub(crate) fn format_float32(f: f64) -> String {
    #[allow(clippy::cast_possible_truncation)] // float32 precision is the point
    let f = f as f32;
    special_float(f64::from(f)).unwrap_or_else(|| g_from_exponential(&format!("{f:e}")))
}

/// How Go writes NaN, the infinities and the zeros.
fn special_float(f: f64) -> Option<String> {
    if f.is_nan() {
        return Some("NaN".into());
    }
    if f.is_infinite() {
        return Some(if f > 0.0 { "+Inf".into() } else { "-Inf".into() });
    }
    if f == 0.0 {
        return Some(if f.is_sign_negative() { "-0".into() } else { "0".into() });
    }
    None
}

/// `%g` of a finite non-zero float from Rust's `{:e}` of it, which has the same shortest
/// digits: `-1.2345e-7`.
fn g_from_exponential(sci: &str) -> String {
    let (sign, sci) = sci.strip_prefix('-').map_or(("", sci), |s| ("-", s));
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..6).contains(&exponent) {
        let fraction = if digits.len() > 1 { format!(".{}", &digits[1..]) } else { String::new() };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{}{fraction}e{exp_sign}{:02}", &digits[..1], exponent.unsigned_abs());
    }
    let point = usize::try_from(exponent + 1).unwrap_or(0);
    if exponent < 0 {
        let zeros = "0".repeat(usize::try_from(-exponent - 1).unwrap_or(0));
        format!("{sign}0.{zeros}{digits}")
    } else if digits.len() <= point {
        format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    }
}

/// A value as kyaml's `MarshalJSON` gives it to `encoding/json`: go-yaml v3 types (YAML 1.2
/// core; timestamps stay strings), no conversion.
pub(crate) fn yaml12(node: &Node) -> Json {
    match node.kind() {
        NodeKind::Mapping => Json::Object,
        NodeKind::Sequence => Json::Array,
        NodeKind::Alias => Json::Null,
        NodeKind::Scalar => {
            let text = node.as_str().unwrap_or_default().to_string();
            match node.scalar_type() {
                Some(ScalarType::Null) => Json::Null,
                Some(ScalarType::Bool) => Json::Bool(matches!(text.as_str(), "true" | "True" | "TRUE")),
                Some(ScalarType::Int | ScalarType::Float) => Json::Number(text),
                _ => Json::String(text),
            }
        }
    }
}

/// A string as Go's `%q` writes it: double-quoted, with `"` and `\` escaped, and control and
/// invisible characters as `\n`, `\t`, `\x..`, `\u....`.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if !printable(c) => {
                let code = c as u32;
                if code < 0x10000 {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `unicode.IsPrint` for the characters that matter in messages: not a control, not a
/// space other than ' ', not an invisible format character.
fn printable(c: char) -> bool {
    !(c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Json {
        resolve11(text)
    }

    #[test]
    fn yaml_1_1_scalars_become_what_sigs_yaml_makes_of_them() {
        assert_eq!(plain("yes"), Json::Bool(true));
        assert_eq!(plain("Off"), Json::Bool(false));
        assert_eq!(plain("~"), Json::Null);
        assert_eq!(plain("0777"), Json::Number("511".into()));
        assert_eq!(plain("0x1F"), Json::Number("31".into()));
        assert_eq!(plain("1_000"), Json::Number("1000".into()));
        assert_eq!(plain("-12"), Json::Number("-12".into()));
        assert_eq!(plain("18446744073709551615"), Json::Number("18446744073709551615".into()));
        assert_eq!(plain("1.0"), Json::Number("1".into()));
        assert_eq!(plain("1.5"), Json::Number("1.5".into()));
        assert_eq!(plain("0.1"), Json::Number("0.1".into()));
        assert_eq!(plain("1e6"), Json::Number("1e+06".into()));
        assert_eq!(plain("123456"), Json::Number("123456".into()));
        assert_eq!(plain("1234567.0"), Json::Number("1.234567e+06".into()));
        assert_eq!(plain("0.00001"), Json::Number("1e-05".into()));
        assert_eq!(plain("0.0001"), Json::Number("0.0001".into()));
        assert_eq!(plain(".5"), Json::Number("0.5".into()));
        assert_eq!(plain(".inf"), Json::Number("+Inf".into()));
        assert_eq!(plain("08"), Json::Number("8".into()), "not octal, but a float");
        assert_eq!(plain("2021-01-01"), Json::String("2021-01-01".into()));
        assert_eq!(plain("1.2.3"), Json::String("1.2.3".into()));
        assert_eq!(plain("orange"), Json::String("orange".into()));
    }

    #[test]
    fn floats_are_written_as_go_writes_them() {
        assert_eq!(format_float64(3.0), "3");
        assert_eq!(format_float64(0.5), "0.5");
        assert_eq!(format_float64(123456.0), "123456");
        assert_eq!(format_float64(1_000_000.0), "1e+06");
        assert_eq!(format_float64(1234567.0), "1.234567e+06");
        assert_eq!(format_float64(0.0001), "0.0001");
        assert_eq!(format_float64(0.00001), "1e-05");
        assert_eq!(format_float64(-2.5), "-2.5");
        assert_eq!(format_float64(1e21), "1e+21");
    }
}
