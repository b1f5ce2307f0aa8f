//! The load-time check of a schema: only keywords the walker implements, every `$ref`
//! resolvable, no loop of refs that would never reach a value.

use serde_json::{Map, Value};

use super::{SchemaError, ref_target};

/// Keywords whose meaning the walker does not implement.
const UNSUPPORTED: [&str; 8] = [
    "pattern",
    "patternProperties",
    "dependencies",
    "dependentSchemas",
    "additionalItems",
    "const",
    "if",
    "unevaluatedProperties",
];

/// Checks `root` and every definition.
pub(super) fn check(root: &Value, definitions: &Map<String, Value>) -> Result<(), SchemaError> {
    walk(root, definitions, "#")?;
    for (name, schema) in definitions {
        walk(schema, definitions, &format!("{name}#"))?;
    }
    for name in definitions.keys() {
        no_ref_loop(name, definitions)?;
    }
    Ok(())
}

fn walk(schema: &Value, definitions: &Map<String, Value>, at: &str) -> Result<(), SchemaError> {
    let Value::Object(map) = schema else {
        return Ok(());
    };
    if let Some(keyword) = UNSUPPORTED.iter().find(|k| map.contains_key(**k)) {
        return Err(SchemaError::UnsupportedKeyword { keyword: keyword.to_string(), at: at.to_string() });
    }
    if let Some(reference) = map.get("$ref").and_then(Value::as_str)
        && !ref_target(reference).is_some_and(|t| definitions.contains_key(t))
    {
        return Err(SchemaError::UnresolvedRef { reference: reference.to_string(), at: at.to_string() });
    }
    for key in ["additionalProperties", "not"] {
        if let Some(sub) = map.get(key) {
            walk(sub, definitions, &format!("{at}/{key}"))?;
        }
    }
    match map.get("items") {
        Some(Value::Array(_)) => {
            return Err(SchemaError::UnsupportedKeyword {
                keyword: "items (a list of schemas)".into(),
                at: at.to_string(),
            });
        }
        Some(items) => walk(items, definitions, &format!("{at}/items"))?,
        None => {}
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(parts)) = map.get(key) {
            for (i, part) in parts.iter().enumerate() {
                walk(part, definitions, &format!("{at}/{key}/{i}"))?;
            }
        }
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        for (name, sub) in props {
            walk(sub, definitions, &format!("{at}/properties/{name}"))?;
        }
    }
    Ok(())
}

/// Follows the refs reachable from `start` without descending into a value (through `$ref`
/// and the composites); reaching `start` again is a loop.
fn no_ref_loop(start: &str, definitions: &Map<String, Value>) -> Result<(), SchemaError> {
    let mut stack: Vec<&Value> = definitions.get(start).into_iter().collect();
    let mut seen: Vec<&str> = Vec::new();
    while let Some(schema) = stack.pop() {
        let Value::Object(map) = schema else { continue };
        if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(ref_target) {
            if target == start {
                return Err(SchemaError::RefCycle { name: start.to_string() });
            }
            if !seen.contains(&target) {
                seen.push(target);
                stack.extend(definitions.get(target));
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(parts)) = map.get(key) {
                stack.extend(parts.iter());
            }
        }
        stack.extend(map.get("not"));
    }
    Ok(())
}
