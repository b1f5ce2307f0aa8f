//! The catalog's loadable modules a builtin offers besides `krmfn` and `re` (qri-io/starlib
//! v0.5.0 and go-starlark's libraries): `json` (`encode`, `decode`, `indent`), `yaml`
//! (`loads`, `dumps`), `base64` (`encode`, `decode`) and `math`.
//!
//! Differences from the catalog: `yaml.loads` reads YAML 1.2 as kpt does (the catalog's
//! go-yaml v2 reads `yes`/`no` as booleans); `json.decode` reads integers beyond 64 bits as
//! floats; `base64.decode` replaces bytes that are not UTF-8 (starlark-rust strings are text).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Number, Value as Json};
use starlark::environment::{Globals, GlobalsBuilder};
use starlark::starlark_module;
use starlark::values::dict::DictRef;
use starlark::values::float::StarlarkFloat;
use starlark::values::structs::StructRef;
use starlark::values::{Heap, UnpackValue, Value, ValueLike};

use super::{convert, order};

/// An error a module function reports (its message as the script sees it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ModuleError(String);

/// A module function's error.
pub(super) fn error(message: impl Into<String>) -> starlark::Error {
    starlark::Error::new_native(ModuleError(message.into()))
}

/// `encoding/json.star`.
pub(super) fn json() -> Globals {
    GlobalsBuilder::new().with_namespace("json", json_members).build()
}

/// `encoding/yaml.star`.
pub(super) fn yaml() -> Globals {
    GlobalsBuilder::new().with_namespace("yaml", yaml_members).build()
}

/// `encoding/base64.star`.
pub(super) fn base64() -> Globals {
    GlobalsBuilder::new().with_namespace("base64", base64_members).build()
}

/// `math.star`.
pub(super) fn math() -> Globals {
    GlobalsBuilder::new()
        .with_namespace("math", |b| {
            math_members(b);
            b.set("e", std::f64::consts::E);
            b.set("pi", std::f64::consts::PI);
        })
        .build()
}

/// A value as go-starlark's `json.encode` sees it: dict keys must be strings and are sorted,
/// iterables are arrays, structs objects of their fields.
fn encodable<'v>(value: Value<'v>, heap: Heap<'v>, depth: usize) -> starlark::Result<Json> {
    if depth > 200 {
        return Err(error("cycle in JSON structure"));
    }
    let json = match value.get_type() {
        "NoneType" => Json::Null,
        "bool" => Json::Bool(value.unpack_bool().unwrap_or_default()),
        "int" => Json::Number(value.to_str().parse::<Number>().map_err(|e| error(e.to_string()))?),
        "float" => {
            let f = value.downcast_ref::<StarlarkFloat>().map_or(f64::NAN, |f| f.0);
            Json::Number(
                Number::from_f64(f)
                    .ok_or_else(|| error(format!("cannot encode non-finite float {}", value.to_str())))?,
            )
        }
        "string" => Json::String(value.unpack_str().unwrap_or_default().to_string()),
        _ => {
            if let Some(dict) = DictRef::from_value(value) {
                let mut entries = Vec::new();
                for (k, v) in dict.iter() {
                    let Some(k) = k.unpack_str() else {
                        return Err(error(format!("dict has {} key, want string", k.get_type())));
                    };
                    entries.push((k.to_string(), encodable(v, heap, depth + 1)?));
                }
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Json::Object(entries.into_iter().collect())
            } else if let Some(fields) = StructRef::from_value(value) {
                let mut entries = Vec::new();
                for (k, v) in fields.iter() {
                    entries.push((k.as_str().to_string(), encodable(v, heap, depth + 1)?));
                }
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Json::Object(entries.into_iter().collect())
            } else if let Ok(items) = value.iterate(heap) {
                Json::Array(items.map(|i| encodable(i, heap, depth + 1)).collect::<Result<_, _>>()?)
            } else {
                return Err(error(format!("cannot encode {} as JSON", value.get_type())));
            }
        }
    };
    Ok(json)
}

/// JSON text as starlark values: integers as ints, other numbers as floats.
fn decoded<'v>(heap: Heap<'v>, json: &Json) -> starlark::Result<Value<'v>> {
    let mut invalid = None;
    check_numbers(json, &mut invalid);
    if let Some(number) = invalid {
        return Err(error(format!("invalid number: {number}")));
    }
    Ok(convert::to_starlark(heap, json))
}

/// The first number that is neither a 64-bit integer nor a finite float.
fn check_numbers(json: &Json, invalid: &mut Option<String>) {
    match json {
        Json::Number(n) if n.as_i64().is_none() && n.as_u64().is_none() && n.as_f64().is_none() => {
            invalid.get_or_insert_with(|| n.to_string());
        }
        Json::Array(items) => items.iter().for_each(|i| check_numbers(i, invalid)),
        Json::Object(map) => map.values().for_each(|v| check_numbers(v, invalid)),
        _ => {}
    }
}

#[starlark_module]
fn json_members(builder: &mut GlobalsBuilder) {
    fn encode<'v>(#[starlark(require = pos)] x: Value<'v>, heap: Heap<'v>) -> starlark::Result<String> {
        let json =
            encodable(x, heap, 0).map_err(|e| error(format!("json.encode: {}", e.without_diagnostic())))?;
        serde_json::to_string(&json).map_err(|e| error(format!("json.encode: {e}")))
    }

    fn decode<'v>(
        #[starlark(require = pos)] x: &str,
        default: Option<Value<'v>>,
        heap: Heap<'v>,
    ) -> starlark::Result<Value<'v>> {
        let parsed = serde_json::from_str::<Json>(x)
            .map_err(|e| error(format!("json.decode: {e}")))
            .and_then(|json| decoded(heap, &json));
        match (parsed, default) {
            (Ok(value), _) => Ok(value),
            (Err(_), Some(default)) => Ok(default),
            (Err(e), None) => Err(e),
        }
    }

    fn indent(
        #[starlark(require = pos)] x: &str,
        #[starlark(require = named, default = "")] prefix: &str,
        #[starlark(require = named, default = "\t")] indent: &str,
    ) -> starlark::Result<String> {
        let json = serde_json::from_str::<Json>(x).map_err(|e| error(format!("json.indent: {e}")))?;
        let mut out = String::new();
        pretty(&json, &format!("\n{prefix}"), indent, &mut out);
        Ok(out)
    }
}

/// JSON as Go's `json.Indent` writes it: one element per line, each line after the first
/// starting with `newline` (a line break and the prefix) and `indent` per level; empty arrays
/// and objects stay `[]` and `{}`.
fn pretty(json: &Json, newline: &str, indent: &str, out: &mut String) {
    let (items, open, close): (Vec<(Option<&String>, &Json)>, char, char) = match json {
        Json::Array(items) => (items.iter().map(|i| (None, i)).collect(), '[', ']'),
        Json::Object(map) => (map.iter().map(|(k, v)| (Some(k), v)).collect(), '{', '}'),
        scalar => {
            out.push_str(&scalar.to_string());
            return;
        }
    };
    out.push(open);
    if !items.is_empty() {
        let inner = format!("{newline}{indent}");
        for (i, (key, value)) in items.iter().enumerate() {
            out.push_str(if i == 0 { "" } else { "," });
            out.push_str(&inner);
            if let Some(key) = key {
                out.push_str(&Json::String((*key).clone()).to_string());
                out.push_str(": ");
            }
            pretty(value, &inner, indent, out);
        }
        out.push_str(newline);
    }
    out.push(close);
}

/// The deepest YAML `yaml.loads` reads (the parser recurses once per level).
const MAX_YAML_NESTING: usize = 1000;

/// A bound on how deep YAML text nests: per line, its indentation plus its indicators
/// (`-`, `:`, `?`, `[`, `{`), plus the flow brackets still open from lines before.
fn yaml_nesting(text: &str) -> usize {
    let mut open = 0_usize;
    let mut deepest = 0;
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let indicators = line.bytes().filter(|b| matches!(b, b'-' | b':' | b'?' | b'[' | b'{')).count();
        deepest = deepest.max(open + indent + indicators);
        for b in line.bytes() {
            match b {
                b'[' | b'{' => open += 1,
                b']' | b'}' => open = open.saturating_sub(1),
                _ => {}
            }
        }
    }
    deepest
}

#[starlark_module]
fn yaml_members(builder: &mut GlobalsBuilder) {
    fn loads<'v>(source: &str, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        if yaml_nesting(source) > MAX_YAML_NESTING {
            return Err(error(format!("yaml: the document nests more than {MAX_YAML_NESTING} levels deep")));
        }
        let stream = porch_krm::parse(source).map_err(|e| error(e.to_string()))?;
        let json = match stream.documents.first() {
            Some(doc) => doc.to_json().map_err(|e| error(e.to_string()))?,
            None => Json::Null,
        };
        Ok(convert::to_starlark(heap, &json))
    }

    fn dumps<'v>(source: Value<'v>) -> starlark::Result<String> {
        let mut json = convert::unmarshal(source, 0).map_err(error)?;
        order::arrange(&mut json, None);
        Ok(porch_krm::Document::new(porch_krm::Node::from_json(&json)).to_text())
    }
}

/// One of starlib's base64 encodings (`standard` when empty).
fn engine(encoding: &str) -> starlark::Result<&'static base64::engine::GeneralPurpose> {
    match encoding {
        "" | "standard" => Ok(&STANDARD),
        "standard_raw" => Ok(&STANDARD_NO_PAD),
        "url" => Ok(&URL_SAFE),
        "url_raw" => Ok(&URL_SAFE_NO_PAD),
        other => Err(error(format!("unsupported encoding format: {other}"))),
    }
}

#[starlark_module]
fn base64_members(builder: &mut GlobalsBuilder) {
    fn encode(data: &str, #[starlark(default = "")] encoding: &str) -> starlark::Result<String> {
        Ok(engine(encoding)?.encode(data))
    }

    fn decode(data: &str, #[starlark(default = "")] encoding: &str) -> starlark::Result<String> {
        let bytes = engine(encoding)?.decode(data).map_err(|e| error(e.to_string()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// An int or float argument as a float.
fn float(x: Value) -> starlark::Result<f64> {
    if let Some(f) = x.downcast_ref::<StarlarkFloat>() {
        return Ok(f.0);
    }
    if x.get_type() == "int" {
        return match i64::unpack_value(x).ok().flatten() {
            #[allow(clippy::cast_precision_loss)] // as go-starlark's Int.Float
            Some(i) => Ok(i as f64),
            None => x.to_str().parse().map_err(|_| error("int too large")),
        };
    }
    Err(error(format!("got {}, want float or int", x.get_type())))
}

/// `ceil`/`floor` of a float, as an int.
fn to_int(heap: Heap<'_>, f: f64) -> starlark::Result<Value<'_>> {
    if !f.is_finite() || f.abs() >= 9.2e18 {
        return Err(error(format!("cannot convert float {f} to integer")));
    }
    #[allow(clippy::cast_possible_truncation)] // range checked above, value integral
    Ok(heap.alloc(f as i64))
}

#[starlark_module]
fn math_members(builder: &mut GlobalsBuilder) {
    fn ceil<'v>(#[starlark(require = pos)] x: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        if x.get_type() == "int" { Ok(x) } else { to_int(heap, float(x)?.ceil()) }
    }

    fn floor<'v>(#[starlark(require = pos)] x: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        if x.get_type() == "int" { Ok(x) } else { to_int(heap, float(x)?.floor()) }
    }

    fn round(#[starlark(require = pos)] x: Value) -> starlark::Result<f64> {
        Ok(float(x)?.round())
    }

    fn fabs(#[starlark(require = pos)] x: Value) -> starlark::Result<f64> {
        Ok(float(x)?.abs())
    }

    fn sqrt(#[starlark(require = pos)] x: Value) -> starlark::Result<f64> {
        Ok(float(x)?.sqrt())
    }

    fn exp(#[starlark(require = pos)] x: Value) -> starlark::Result<f64> {
        Ok(float(x)?.exp())
    }

    fn pow(
        #[starlark(require = pos)] x: Value,
        #[starlark(require = pos)] y: Value,
    ) -> starlark::Result<f64> {
        Ok(float(x)?.powf(float(y)?))
    }

    fn log(
        #[starlark(require = pos)] x: Value,
        #[starlark(require = pos)] base: Option<Value>,
    ) -> starlark::Result<f64> {
        let base = base.map(float).transpose()?.unwrap_or(std::f64::consts::E);
        if base == 1.0 {
            return Err(error("division by zero"));
        }
        Ok(float(x)?.ln() / base.ln())
    }

    fn sin(#[starlark(require = pos)] x: Value) -> starlark::Result<f64> {
        Ok(float(x)?.sin())
    }

    fn cos(#[starlark(require = pos)] x: Value) -> starlark::Result<f64> {
        Ok(float(x)?.cos())
    }

    fn tan(#[starlark(require = pos)] x: Value) -> starlark::Result<f64> {
        Ok(float(x)?.tan())
    }

    fn hypot(
        #[starlark(require = pos)] x: Value,
        #[starlark(require = pos)] y: Value,
    ) -> starlark::Result<f64> {
        Ok(float(x)?.hypot(float(y)?))
    }
}
