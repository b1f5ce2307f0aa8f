//! Server-side field validation: walks an object against its kind's schema and drops the fields
//! the schema does not declare, as the apiserver's structural pruning does.

use super::normalize::ref_target;
use serde_json::{Map, Value};

/// How deep refs are followed before giving up (a guard against recursive schemas).
const MAX_DEPTH: usize = 64;

/// What a set of (merged) schemas says about an object or array value.
#[derive(Default)]
struct View<'a> {
    properties: Vec<&'a Map<String, Value>>,
    additional: Option<&'a Value>,
    preserve_unknown: bool,
    /// Some part declares `properties` or forbids additional ones: unknown keys are pruned.
    closed: bool,
    items: Vec<&'a Value>,
}

impl<'a> View<'a> {
    fn of(components: &'a Map<String, Value>, schemas: &[&'a Value]) -> Self {
        let mut view = View::default();
        for schema in schemas {
            view.collect(components, schema, 0);
        }
        view
    }

    fn collect(&mut self, components: &'a Map<String, Value>, schema: &'a Value, depth: usize) {
        let Value::Object(map) = schema else {
            return;
        };
        if depth > MAX_DEPTH {
            self.preserve_unknown = true;
            return;
        }
        if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(ref_target) {
            match components.get(target) {
                Some(resolved) => self.collect(components, resolved, depth + 1),
                None => self.preserve_unknown = true,
            }
        }
        if let Some(Value::Object(props)) = map.get("properties") {
            self.properties.push(props);
            self.closed = true;
        }
        if let Some(additional) = map.get("additionalProperties") {
            if additional == &Value::Bool(false) {
                self.closed = true;
            } else if self.additional.is_none() {
                self.additional = Some(additional);
            }
        }
        if map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
            self.preserve_unknown = true;
        }
        if let Some(items) = map.get("items").filter(|i| i.is_object()) {
            self.items.push(items);
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(parts)) = map.get(key) {
                parts.iter().for_each(|p| self.collect(components, p, depth + 1));
            }
        }
    }

    fn property(&self, key: &str) -> Vec<&'a Value> {
        self.properties.iter().filter_map(|p| p.get(key)).collect()
    }
}

/// Removes from `value` every field `schemas` (merged) do not declare, appending the removed
/// fields' paths (below `path`) to `out` in document order.
pub(super) fn prune(
    components: &Map<String, Value>,
    schemas: &[&Value],
    value: &mut Value,
    path: &mut String,
    out: &mut Vec<String>,
) {
    match value {
        Value::Object(map) => {
            let view = View::of(components, schemas);
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let len = path.len();
                path.push('.');
                path.push_str(&key);
                let declared = view.property(&key);
                if !declared.is_empty() {
                    if let Some(child) = map.get_mut(&key) {
                        prune(components, &declared, child, path, out);
                    }
                } else {
                    match view.additional {
                        Some(Value::Bool(true)) => {}
                        Some(additional) => {
                            if let Some(child) = map.get_mut(&key) {
                                prune(components, &[additional], child, path, out);
                            }
                        }
                        None if view.preserve_unknown || !view.closed => {}
                        None => {
                            map.shift_remove(&key);
                            out.push(path.clone());
                        }
                    }
                }
                path.truncate(len);
            }
        }
        Value::Array(elements) => {
            let view = View::of(components, schemas);
            if view.items.is_empty() {
                return;
            }
            for (i, element) in elements.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                prune(components, &view.items, element, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(components: Value, root: Value, mut object: Value) -> (Vec<String>, Value) {
        let Value::Object(components) = components else { unreachable!() };
        let mut out = Vec::new();
        prune(&components, &[&root], &mut object, &mut String::new(), &mut out);
        (out, object)
    }

    #[test]
    fn unknown_fields_are_removed_through_refs_all_of_and_items_in_document_order() {
        let components = json!({
            "A": {"properties": {"x": {"type": "string"}}},
        });
        let root = json!({"properties": {
            "a": {"allOf": [{"$ref": "#/components/schemas/A"}]},
            "list": {"type": "array", "items": {"$ref": "#/components/schemas/A"}},
            "map": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/A"}},
            "free": {"type": "object"},
            "kept": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {}},
        }});
        let object = json!({
            "first": 1,
            "a": {"x": "1", "y": 2},
            "list": [{"x": "1"}, {"z": 3}],
            "map": {"k": {"x": "1", "w": 4}},
            "free": {"anything": 1},
            "kept": {"anything": 1},
            "last": 1,
        });
        let (unknown, pruned) = run(components, root, object);
        assert_eq!(unknown, vec![".first", ".a.y", ".list[1].z", ".map.k.w", ".last"]);
        assert_eq!(
            pruned,
            json!({"a": {"x": "1"}, "list": [{"x": "1"}, {}], "map": {"k": {"x": "1"}},
                   "free": {"anything": 1}, "kept": {"anything": 1}})
        );
    }
}
