//! Dropping the `null`s a schema does not allow (apiextensions'
//! `PruneNonNullableNullsWithoutDefaults`, and Go's JSON decoding of built-in types).

use serde_json::{Map, Value};

use super::view::View;

/// Removes, in every object of `value`, the fields set to `null` whose schema (declared
/// property or `additionalProperties`) does not allow `null`. Fields without a schema and
/// `null` list items are kept (validation reports the latter).
///
/// Unlike the apiserver, a `null` is removed even where the schema has a `default`: the
/// defaults are applied afterwards by the resource strategies, which see the field as absent.
pub(super) fn drop_nulls(definitions: &Map<String, Value>, schemas: &[&Value], value: &mut Value) {
    match value {
        Value::Object(map) => {
            let view = View::of(definitions, schemas);
            map.retain(|key, child| {
                let field = view.field(key);
                if field.is_empty() {
                    return true;
                }
                if child.is_null() {
                    return View::of(definitions, &field).nullable;
                }
                drop_nulls(definitions, &field, child);
                true
            });
        }
        Value::Array(items) => {
            let view = View::of(definitions, schemas);
            if view.items.is_empty() {
                return;
            }
            for item in items {
                drop_nulls(definitions, &view.items, item);
            }
        }
        _ => {}
    }
}
