//! The validating walk: kube-openapi's `SchemaValidator` over one value, with its failures
//! turned into field causes as apiextensions-apiserver turns them (see the
//! [module docs](super) for the table of messages).
//!
//! Per schema node, in kube-openapi's order: type, `allOf`/`anyOf`/`oneOf`/`not`, string
//! lengths, format, number range and bounds, list items and sizes, `enum`, then object
//! fields (properties and additional properties in document order, then `required`). A `null`
//! is checked only against `type`/`nullable` and `enum`.

use serde_json::{Map, Number, Value};

use super::{format, ref_target};
use crate::status::{CauseReason, FieldCause, render_number};

/// The field apiextensions names when kube-openapi reports an error without a path (composite
/// and range errors): Go's nil `*field.Path` prints as `<nil>`.
const NIL: &str = "<nil>";

/// One validation run; collects causes in the order kube-openapi finds them.
pub(super) struct Check<'a> {
    definitions: &'a Map<String, Value>,
    causes: Vec<FieldCause>,
}

impl<'a> Check<'a> {
    pub(super) fn new(definitions: &'a Map<String, Value>) -> Self {
        Self { definitions, causes: Vec::new() }
    }

    /// Validates `value`, which sits at `path`, against `schema`.
    pub(super) fn run(mut self, schema: &Value, value: &Value, path: &str) -> Vec<FieldCause> {
        self.node(schema, value, path);
        self.causes
    }

    fn node(&mut self, schema: &Value, value: &Value, path: &str) {
        let Value::Object(s) = schema else {
            return;
        };
        if let Some(target) = s.get("$ref").and_then(Value::as_str).and_then(ref_target)
            && let Some(resolved) = self.definitions.get(target)
        {
            self.node(resolved, value, path);
        }
        let types = types_of(s);
        if value.is_null() {
            if !types.is_empty() && !nullable(s) {
                self.type_error(path, &types.join(","), "null");
            }
            self.enumeration(s, value, path);
            return;
        }
        self.types(s, &types, value, path);
        self.composites(s, value, path);
        match value {
            Value::String(text) => self.string(s, text, path),
            Value::Number(n) => self.number(s, &types, n, path),
            Value::Array(items) => self.array(s, items, path),
            _ => {}
        }
        self.enumeration(s, value, path);
        if let Value::Object(map) = value {
            self.object(s, map, path);
        }
    }

    /// kube-openapi's `typeValidator` (but an array is never a valid `string` with a format).
    fn types(&mut self, s: &Map<String, Value>, types: &[&str], value: &Value, path: &str) {
        let format = s.get("format").and_then(Value::as_str).filter(|f| !f.is_empty());
        if types.is_empty() && format.is_none() {
            return;
        }
        let actual = type_name(value);
        let has = |t: &str| types.contains(&t);
        let float_int = actual == "number" && is_integral(value) && has("integer");
        let int_float = actual == "integer" && has("number");
        let matches = has(actual) || float_int || int_float;
        if let Some(format) = format {
            if !value.is_string() && !value.is_array() {
                let data_format = data_format(value);
                if !matches && data_format != format {
                    self.type_error(path, format, data_format);
                }
                return;
            }
            if value.is_string() && !has("number") && !has("integer") {
                return;
            }
        }
        if !types.is_empty() && !matches {
            self.type_error(path, &types.join(","), actual);
        }
    }

    fn type_error(&mut self, path: &str, expected: &str, actual: &str) {
        let detail = format!("{path} in body must be of type {expected}: {actual:?}");
        self.causes.push(FieldCause::with_value(
            field_of(path),
            CauseReason::FieldValueTypeInvalid,
            &Value::from(actual),
            &detail,
        ));
    }

    /// An error kube-openapi reports without a field (`<nil>: Invalid value: "": <what>`).
    fn pathless(&mut self, what: String) {
        self.causes.push(FieldCause::with_value(
            NIL,
            CauseReason::FieldValueInvalid,
            &Value::from(""),
            &what,
        ));
    }

    fn sub(&self, schema: &Value, value: &Value, path: &str) -> Vec<FieldCause> {
        Check::new(self.definitions).run(schema, value, path)
    }

    fn composites(&mut self, s: &Map<String, Value>, value: &Value, path: &str) {
        let parts = |key: &str| s.get(key).and_then(Value::as_array).filter(|p| !p.is_empty());
        if let Some(any) = parts("anyOf") {
            let results: Vec<Vec<FieldCause>> = any.iter().map(|p| self.sub(p, value, path)).collect();
            if !results.iter().any(Vec::is_empty) {
                self.pathless(format!("{path:?} must validate at least one schema (anyOf)"));
                self.causes.extend(results.into_iter().min_by_key(Vec::len).unwrap_or_default());
            }
        }
        if let Some(one) = parts("oneOf") {
            let results: Vec<Vec<FieldCause>> = one.iter().map(|p| self.sub(p, value, path)).collect();
            let valid = results.iter().filter(|r| r.is_empty()).count();
            if valid != 1 {
                let found = if valid == 0 {
                    "Found none valid".to_string()
                } else {
                    format!("Found {valid} valid alternatives")
                };
                self.pathless(format!("{path:?} must validate one and only one schema (oneOf). {found}"));
                if valid == 0 {
                    self.causes.extend(results.into_iter().min_by_key(Vec::len).unwrap_or_default());
                }
            }
        }
        if let Some(all) = parts("allOf") {
            let mut valid = 0;
            for part in all {
                let causes = self.sub(part, value, path);
                valid += usize::from(causes.is_empty());
                self.causes.extend(causes);
            }
            if valid != all.len() {
                let none = if valid == 0 { ". None validated" } else { "" };
                self.pathless(format!("{path:?} must validate all the schemas (allOf){none}"));
            }
        }
        if let Some(not) = s.get("not")
            && self.sub(not, value, path).is_empty()
        {
            self.pathless(format!("{path:?} must not validate the schema (not)"));
        }
    }

    /// `maxLength`/`minLength` (in characters, as kube-openapi counts), then `format`.
    fn string(&mut self, s: &Map<String, Value>, text: &str, path: &str) {
        let chars = text.chars().count() as u64;
        if let Some(max) = count(s, "maxLength")
            && chars > max
        {
            self.causes.push(FieldCause::new(
                field_of(path),
                CauseReason::FieldValueTooLong,
                format!("must have at most {max} bytes"),
            ));
        } else if let Some(min) = count(s, "minLength")
            && chars < min
        {
            let detail = format!("{path} in body should be at least {min} chars long");
            self.causes.push(FieldCause::invalid_value(field_of(path), text, &detail));
        }
        if let Some(format) = s.get("format").and_then(Value::as_str)
            && format::check(format, text) == Some(false)
        {
            let detail = format!("{path} in body must be of type {format}: {text:?}");
            self.causes.push(FieldCause::with_value(
                field_of(path),
                CauseReason::FieldValueTypeInvalid,
                &Value::from(text),
                &detail,
            ));
        }
    }

    /// The integer range of the format (`int32`, else `int64`), then `multipleOf`, `minimum`,
    /// `maximum`.
    fn number(&mut self, s: &Map<String, Value>, types: &[&str], n: &Number, path: &str) {
        if types == ["integer"] {
            let format = s.get("format").and_then(Value::as_str).filter(|f| matches!(*f, "int32" | "int64"));
            let fits = if format == Some("int32") {
                fits_int(n, i32::MIN.into(), i32::MAX.into())
            } else {
                fits_int(n, i64::MIN.into(), i64::MAX.into())
            };
            if !fits {
                let with =
                    format.map_or_else(|| "(default format)".to_string(), |f| format!("with format {f}"));
                self.pathless(format!("Checked value must be of type integer {with} in {path}"));
            }
        }
        let Some(data) = n.as_f64() else { return };
        let value = Value::Number(n.clone());
        let invalid = |detail: String| {
            FieldCause::with_value(field_of(path), CauseReason::FieldValueInvalid, &value, &detail)
        };
        if let Some(factor) = s.get("multipleOf").and_then(Value::as_f64).filter(|f| *f > 0.0) {
            let ratio = if factor < 1.0 { 1.0 / factor * data } else { data / factor };
            if ratio.fract() != 0.0 {
                let factor = render_number(&s["multipleOf"].as_number().cloned().unwrap_or(Number::from(0)));
                self.causes.push(invalid(format!("{path} in body should be a multiple of {factor}")));
            }
        }
        for (key, exclusive_key, lower) in
            [("minimum", "exclusiveMinimum", true), ("maximum", "exclusiveMaximum", false)]
        {
            let Some(bound) = s.get(key).and_then(Value::as_number) else { continue };
            let Some(limit) = bound.as_f64() else { continue };
            let exclusive = s.get(exclusive_key) == Some(&Value::Bool(true));
            let fails = match (lower, exclusive) {
                (true, false) => data < limit,
                (true, true) => data <= limit,
                (false, false) => data > limit,
                (false, true) => data >= limit,
            };
            if fails {
                let relation = match (lower, exclusive) {
                    (true, false) => "greater than or equal to",
                    (true, true) => "greater than",
                    (false, false) => "less than or equal to",
                    (false, true) => "less than",
                };
                let bound = render_number(bound);
                self.causes.push(invalid(format!("{path} in body should be {relation} {bound}")));
            }
        }
    }

    /// `items` (each at `path[i]`), then `minItems`, `maxItems`, `uniqueItems`.
    fn array(&mut self, s: &Map<String, Value>, items: &[Value], path: &str) {
        if let Some(item_schema) = s.get("items").filter(|i| i.is_object()) {
            for (i, item) in items.iter().enumerate() {
                self.node(item_schema, item, &format!("{path}[{i}]"));
            }
        }
        let len = items.len() as u64;
        if let Some(min) = count(s, "minItems")
            && len < min
        {
            let detail = format!("{path} in body should have at least {min} items");
            self.causes.push(FieldCause::with_value(
                field_of(path),
                CauseReason::FieldValueInvalid,
                &Value::from(len),
                &detail,
            ));
        }
        if let Some(max) = count(s, "maxItems")
            && len > max
        {
            self.too_many(path, len, max);
        }
        if s.get("uniqueItems") == Some(&Value::Bool(true))
            && items.iter().enumerate().any(|(i, a)| items[..i].iter().any(|b| json_eq(a, b)))
        {
            let detail = format!("{path} in body shouldn't contain duplicates");
            self.causes.push(FieldCause::invalid_value(field_of(path), "", &detail));
        }
    }

    fn too_many(&mut self, path: &str, len: u64, max: u64) {
        let detail = format!("must have at most {max} items");
        self.causes.push(FieldCause::with_value(
            field_of(path),
            CauseReason::FieldValueTooMany,
            &Value::from(len),
            &detail,
        ));
    }

    /// kube-openapi's `basicCommonValidator`: the value must equal one of `enum`.
    fn enumeration(&mut self, s: &Map<String, Value>, value: &Value, path: &str) {
        let Some(Value::Array(allowed)) = s.get("enum") else { return };
        if allowed.is_empty() || allowed.iter().any(|a| json_eq(a, value)) {
            return;
        }
        let list: Vec<String> = allowed
            .iter()
            .map(|a| match a {
                Value::String(s) => format!("{s:?}"),
                other => format!("{:?}", other.to_string()),
            })
            .collect();
        let detail = format!("supported values: {}", list.join(", "));
        self.causes.push(FieldCause::with_value(
            field_of(path),
            CauseReason::FieldValueNotSupported,
            value,
            &detail,
        ));
    }

    /// Property counts, then each field (declared, else `additionalProperties`), then
    /// `required`.
    fn object(&mut self, s: &Map<String, Value>, map: &Map<String, Value>, path: &str) {
        let len = map.len() as u64;
        if let Some(min) = count(s, "minProperties")
            && len < min
        {
            let detail = format!("{path} in body should have at least {min} properties");
            self.causes.push(FieldCause::with_value(
                field_of(path),
                CauseReason::FieldValueInvalid,
                &Value::from(len),
                &detail,
            ));
        }
        if let Some(max) = count(s, "maxProperties")
            && len > max
        {
            self.too_many(path, len, max);
        }
        let properties = s.get("properties").and_then(Value::as_object);
        let additional = s.get("additionalProperties");
        for (key, child) in map {
            if let Some(declared) = properties.and_then(|p| p.get(key)) {
                self.node(declared, child, &join(path, key));
                continue;
            }
            match additional {
                Some(Value::Bool(false)) => {
                    let detail = format!("{path}.{key} in body is a forbidden property");
                    self.causes.push(FieldCause::invalid_value(field_of(path), key, &detail));
                }
                Some(schema @ Value::Object(_)) => self.node(schema, child, &join(path, key)),
                _ => {}
            }
        }
        if let Some(Value::Array(required)) = s.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(name) {
                    self.causes.push(FieldCause::required(join(path, name), ""));
                }
            }
        }
    }
}

/// The schema's types: `type` (a string or a list without `null`), or `integer,string` for
/// `x-kubernetes-int-or-string`.
fn types_of(s: &Map<String, Value>) -> Vec<&str> {
    if s.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        return vec!["integer", "string"];
    }
    match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
        _ => Vec::new(),
    }
}

/// `nullable: true`, or `null` among the types.
fn nullable(s: &Map<String, Value>) -> bool {
    s.get("nullable") == Some(&Value::Bool(true))
        || s.get("type").and_then(Value::as_array).is_some_and(|t| t.iter().any(|t| t == "null"))
}

/// The JSON type of a value as kube-openapi names it (integers apart from other numbers).
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The format kube-openapi infers for a decoded value: `int64` for integers, `double` for
/// other numbers, none otherwise.
fn data_format(value: &Value) -> &'static str {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => "int64",
        Value::Number(_) => "double",
        _ => "",
    }
}

/// A float that is a whole number a JSON integer can hold exactly.
fn is_integral(value: &Value) -> bool {
    value.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0)
}

/// Whether `n` is a whole number in `[min, max]`.
fn fits_int(n: &Number, min: i128, max: i128) -> bool {
    let whole = if let Some(i) = n.as_i64() {
        i128::from(i)
    } else if let Some(u) = n.as_u64() {
        i128::from(u)
    } else {
        match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e38 => f as i128,
            _ => return false,
        }
    };
    (min..=max).contains(&whole)
}

/// A non-negative integer keyword (`maxLength`, `minItems`, …).
fn count(s: &Map<String, Value>, key: &str) -> Option<u64> {
    s.get(key).and_then(|v| v.as_u64().or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)))
}

/// JSON equality with numbers compared by value (`5` equals `5.0`), as Go's `enum` check
/// converts before comparing.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// `path.key`, or `key` at the root.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// The field of a cause at `path` (`<nil>` at the root, as apiextensions prints it).
fn field_of(path: &str) -> &str {
    if path.is_empty() { NIL } else { path }
}
