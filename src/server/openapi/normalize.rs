//! Rewrites the JSON Schemas schemars produces into the OpenAPI 3.0 dialect kube-openapi emits:
//! `nullable` instead of `null` types, `allOf: [{$ref}]` where a ref carries siblings, no
//! `const`, and nested `$defs`/`definitions` hoisted out so that every ref points into
//! `#/components/schemas`.

use serde_json::{Map, Value, json};

/// Where component schemas live in an OpenAPI 3 document.
pub(super) const V3_REF_PREFIX: &str = "#/components/schemas/";

/// Keys whose value is a single subschema.
const SCHEMA_KEYS: &[&str] = &["items", "additionalItems", "not", "additionalProperties"];
/// Keys whose value is an array of subschemas.
const SCHEMA_LIST_KEYS: &[&str] = &["allOf", "anyOf", "oneOf", "items"];
/// Keys whose value maps names to subschemas.
const SCHEMA_MAP_KEYS: &[&str] = &["properties", "patternProperties"];

/// Normalises `schema` in place; definitions nested in it are moved to `hoisted`.
pub(super) fn normalize(schema: &mut Value, hoisted: &mut Vec<(String, Value)>) {
    let Value::Object(map) = schema else {
        return;
    };
    for key in ["$schema", "$id", "$comment", "examples", "title"] {
        map.remove(key);
    }
    if let Some(Value::String(description)) = map.get_mut("description") {
        *description = reflow(description);
    }
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(defs)) = map.remove(key) {
            for (name, mut def) in defs {
                normalize(&mut def, hoisted);
                hoisted.push((name, def));
            }
        }
    }
    for_each_subschema(map, |sub, key| match sub {
        // `additionalProperties: true` is valid OpenAPI 3.0; elsewhere an always-true schema
        // becomes the empty schema.
        Value::Bool(true) if key != "additionalProperties" => *sub = json!({}),
        _ => normalize(sub, hoisted),
    });
    drop_null_type(map);
    if let Some(value) = map.remove("const") {
        map.insert("enum".into(), Value::Array(vec![value]));
    }
    drop_null_enum_value(map);
    collapse_nullable_union(map, "anyOf");
    collapse_nullable_union(map, "oneOf");
    move_ref_into_all_of(map);
    if map.contains_key("allOf") && !map.contains_key("type") {
        map.remove("nullable");
    }
}

/// Joins the lines of a doc comment into paragraphs, as kube-openapi does with Go comments:
/// a line break becomes a space unless it separates paragraphs or starts an indented or list
/// line (kubectl explain re-wraps descriptions itself).
fn reflow(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = false;
    for line in text.trim().lines() {
        if line.trim().is_empty() {
            blank_run = true;
            continue;
        }
        if !out.is_empty() {
            let starts_block = line.starts_with([' ', '\t', '-', '*', '|'])
                || line
                    .split_once(". ")
                    .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            out.push_str(if blank_run {
                "\n\n"
            } else if starts_block {
                "\n"
            } else {
                " "
            });
        }
        blank_run = false;
        out.push_str(line);
    }
    out
}

/// Calls `f` on every direct subschema of `map`, with the key it sits under.
pub(super) fn for_each_subschema(map: &mut Map<String, Value>, mut f: impl FnMut(&mut Value, &str)) {
    for key in SCHEMA_KEYS {
        if let Some(sub) = map.get_mut(*key).filter(|v| !v.is_array()) {
            f(sub, key);
        }
    }
    for key in SCHEMA_LIST_KEYS {
        if let Some(Value::Array(subs)) = map.get_mut(*key) {
            subs.iter_mut().for_each(|s| f(s, key));
        }
    }
    for key in SCHEMA_MAP_KEYS {
        if let Some(Value::Object(subs)) = map.get_mut(*key) {
            subs.values_mut().for_each(|s| f(s, key));
        }
    }
}

/// `type: [T, "null"]` becomes `type: T, nullable: true`; a schema admitting only `null`
/// becomes `{type: "null"}`.
fn drop_null_type(map: &mut Map<String, Value>) {
    let only_null = match map.get("type") {
        Some(Value::Array(types)) => {
            if !types.iter().any(|t| t == "null") {
                return;
            }
            let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            match rest.len() {
                0 => true,
                1 => {
                    map.insert("type".into(), rest.into_iter().next().unwrap_or_default());
                    map.insert("nullable".into(), Value::Bool(true));
                    false
                }
                _ => {
                    map.insert("type".into(), Value::Array(rest));
                    map.insert("nullable".into(), Value::Bool(true));
                    false
                }
            }
        }
        _ => false,
    };
    if only_null {
        map.insert("type".into(), Value::from("null"));
    }
}

/// Removes `null` from `enum` (marking the schema nullable), unless it is the only value.
fn drop_null_enum_value(map: &mut Map<String, Value>) {
    let Some(Value::Array(values)) = map.get_mut("enum") else {
        return;
    };
    if !values.iter().any(Value::is_null) {
        return;
    }
    if values.iter().all(Value::is_null) {
        map.remove("enum");
        map.insert("type".into(), Value::from("null"));
        return;
    }
    values.retain(|v| !v.is_null());
    map.insert("nullable".into(), Value::Bool(true));
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// `anyOf: [X, {type: null}]` (how schemars writes `Option<X>`) becomes X merged into the
/// parent, marked nullable. Unions of several non-null variants are kept.
fn collapse_nullable_union(map: &mut Map<String, Value>, key: &str) {
    let Some(Value::Array(variants)) = map.get(key) else {
        return;
    };
    if !variants.iter().any(is_null_schema) {
        return;
    }
    let mut rest: Vec<Value> = variants.iter().filter(|v| !is_null_schema(v)).cloned().collect();
    map.insert("nullable".into(), Value::Bool(true));
    if rest.len() != 1 {
        map.insert(key.into(), Value::Array(rest));
        return;
    }
    map.remove(key);
    let Value::Object(only) = rest.remove(0) else {
        return;
    };
    for (k, v) in only {
        match (k.as_str(), map.get_mut(&k)) {
            ("allOf", Some(Value::Array(existing))) => {
                if let Value::Array(more) = v {
                    existing.extend(more);
                }
            }
            (_, Some(_)) => {}
            (_, None) => {
                map.insert(k, v);
            }
        }
    }
}

/// OpenAPI 3.0 ignores the siblings of `$ref`; kube-openapi wraps such refs as
/// `allOf: [{$ref}]` so that descriptions and defaults survive.
fn move_ref_into_all_of(map: &mut Map<String, Value>) {
    if map.len() < 2 || !map.contains_key("$ref") {
        return;
    }
    let Some(reference) = map.remove("$ref") else {
        return;
    };
    let wrapped = json!({ "$ref": reference });
    match map.get_mut("allOf") {
        Some(Value::Array(all)) => all.insert(0, wrapped),
        _ => {
            map.insert("allOf".into(), Value::Array(vec![wrapped]));
        }
    }
}

/// The component name a local ref points to (`#/components/schemas/X`, `#/$defs/X`,
/// `#/definitions/X`).
pub(super) fn ref_target(reference: &str) -> Option<&str> {
    ["#/components/schemas/", "#/$defs/", "#/definitions/"].iter().find_map(|p| reference.strip_prefix(p))
}

/// Rewrites every `$ref` under `value` with `f` (applied to the whole string).
pub(super) fn rewrite_refs(value: &mut Value, f: &dyn Fn(&str) -> String) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(s) if k == "$ref" => *s = f(s),
                    _ => rewrite_refs(v, f),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(mut v: Value) -> Value {
        let mut hoisted = Vec::new();
        normalize(&mut v, &mut hoisted);
        v
    }

    #[test]
    fn an_optional_ref_with_a_description_becomes_all_of() {
        let v = normalized(json!({
            "description": "d",
            "anyOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}]
        }));
        assert_eq!(v, json!({"description": "d", "allOf": [{"$ref": "#/components/schemas/X"}]}));
    }

    #[test]
    fn null_types_and_enum_values_become_nullable() {
        let v = normalized(json!({"type": ["string", "null"], "enum": ["a", null]}));
        assert_eq!(v, json!({"type": "string", "nullable": true, "enum": ["a"]}));
    }

    #[test]
    fn doc_comment_lines_are_joined_into_paragraphs() {
        assert_eq!(
            reflow("one\ntwo\n\nthree:\n- a\n- b\n  indented"),
            "one two\n\nthree:\n- a\n- b\n  indented"
        );
    }

    #[test]
    fn nested_definitions_are_hoisted() {
        let mut v = json!({"$defs": {"A": {"const": 1}}, "properties": {"a": {"$ref": "#/$defs/A"}}});
        let mut hoisted = Vec::new();
        normalize(&mut v, &mut hoisted);
        assert_eq!(hoisted, vec![("A".to_string(), json!({"enum": [1]}))]);
        assert!(v.get("$defs").is_none());
    }
}
