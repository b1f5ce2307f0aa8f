//! Schemas of built-in Kubernetes types, from k8s-openapi's `schemars` implementations.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// The root schema of `T` (a `$ref`) and every definition it needs, with `required` removed
/// everywhere: Go's JSON decoding of a built-in type checks types, never presence.
pub(super) fn generate<T: schemars::JsonSchema>() -> (Value, Map<String, Value>) {
    let mut generator = SchemaSettings::openapi3()
        .with(|s| {
            s.meta_schema = None;
        })
        .into_generator();
    let mut root: Value = generator.subschema_for::<T>().into();
    let mut definitions: Map<String, Value> = generator.take_definitions(false).into_iter().collect();
    drop_required(&mut root);
    definitions.values_mut().for_each(drop_required);
    (root, definitions)
}

fn drop_required(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    map.remove("required");
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(drop_required);
    }
    for key in ["additionalProperties", "items", "not"] {
        if let Some(sub) = map.get_mut(key) {
            drop_required(sub);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(parts)) = map.get_mut(key) {
            parts.iter_mut().for_each(drop_required);
        }
    }
}
