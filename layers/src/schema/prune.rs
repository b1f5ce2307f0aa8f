//! Structural pruning: removes the fields a schema does not declare, as the apiserver does
//! before validation (server-side field validation reports what was removed).

use serde_json::{Map, Value};

use super::view::View;

/// Removes from `value` every field `root` (with `$ref`s into `definitions`) does not declare,
/// and returns the removed fields' paths (`.spec.foo`, `.spec.tasks[0].bogus`) in document
/// order. Objects under `x-kubernetes-preserve-unknown-fields`, `additionalProperties: true`
/// or a schema without `properties` keep every field.
///
/// **Mutates:** `value`.
pub fn prune_unknown(definitions: &Map<String, Value>, root: &Value, value: &mut Value) -> Vec<String> {
    let mut out = Vec::new();
    prune(definitions, &[root], value, &mut String::new(), &mut out);
    out
}

fn prune(
    definitions: &Map<String, Value>,
    schemas: &[&Value],
    value: &mut Value,
    path: &mut String,
    out: &mut Vec<String>,
) {
    match value {
        Value::Object(map) => {
            let view = View::of(definitions, schemas);
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let len = path.len();
                path.push('.');
                path.push_str(&key);
                let declared = view.property(&key);
                if !declared.is_empty() {
                    if let Some(child) = map.get_mut(&key) {
                        prune(definitions, &declared, child, path, out);
                    }
                } else {
                    match view.additional {
                        Some(Value::Bool(true)) => {}
                        Some(additional) => {
                            if let Some(child) = map.get_mut(&key) {
                                prune(definitions, &[additional], child, path, out);
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
            let view = View::of(definitions, schemas);
            if view.items.is_empty() {
                return;
            }
            for (i, element) in elements.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                prune(definitions, &view.items, element, path, out);
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

    #[test]
    fn unknown_fields_are_removed_through_refs_all_of_and_items_in_document_order() {
        let Value::Object(definitions) = json!({
            "A": {"properties": {"x": {"type": "string"}}},
        }) else {
            unreachable!()
        };
        let root = json!({"properties": {
            "a": {"allOf": [{"$ref": "#/components/schemas/A"}]},
            "list": {"type": "array", "items": {"$ref": "#/components/schemas/A"}},
            "map": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/A"}},
            "free": {"type": "object"},
            "kept": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {}},
        }});
        let mut object = json!({
            "first": 1,
            "a": {"x": "1", "y": 2},
            "list": [{"x": "1"}, {"z": 3}],
            "map": {"k": {"x": "1", "w": 4}},
            "free": {"anything": 1},
            "kept": {"anything": 1},
            "last": 1,
        });
        let unknown = prune_unknown(&definitions, &root, &mut object);
        assert_eq!(unknown, vec![".first", ".a.y", ".list[1].z", ".map.k.w", ".last"]);
        assert_eq!(
            object,
            json!({"a": {"x": "1"}, "list": [{"x": "1"}, {}], "map": {"k": {"x": "1"}},
                   "free": {"anything": 1}, "kept": {"anything": 1}})
        );
    }
}
