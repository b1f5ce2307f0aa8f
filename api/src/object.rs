//! Helpers for (de)serialising and describing the object types.

use schemars::Schema;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

/// `skip_serializing_if` helper for Go's `omitempty` on numbers.
pub(crate) fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// `skip_serializing_if` helper for Go's `omitempty` on booleans.
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

/// Reads a string-typed optional value, treating `""` (Go's zero value) like an absent field.
pub(crate) fn empty_as_none<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    Ok(Option::<String>::deserialize(de)?.filter(|s| !s.is_empty()).map(T::from))
}

/// Schema transform adding `apiVersion` and `kind` in front of an object's properties (and
/// dropping the uninformative defaults of the others).
pub(crate) fn add_type_meta(schema: &mut Schema) {
    let Some(Value::Object(props)) = schema.get_mut("properties") else {
        return;
    };
    let mut with_type_meta = Map::new();
    with_type_meta.insert(
        "apiVersion".into(),
        json!({
            "description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
            "type": "string",
        }),
    );
    with_type_meta.insert(
        "kind".into(),
        json!({
            "description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
            "type": "string",
        }),
    );
    with_type_meta.extend(std::mem::take(props));
    // The derived `default`s of metadata/spec/status/items say nothing useful.
    for prop in with_type_meta.values_mut() {
        if let Value::Object(prop) = prop {
            prop.remove("default");
        }
    }
    *props = with_type_meta;
}
