//! What a set of schemas, merged through `$ref` and `allOf`/`anyOf`/`oneOf`, says about the
//! fields of an object or the items of a list: the shared view of pruning and `null` dropping.

use serde_json::{Map, Value};

use super::ref_target;

/// How deep refs and composites are followed before giving up (a guard against recursive
/// schemas; [`Schema::new`](super::Schema::new) refuses loops of refs already).
const MAX_DEPTH: usize = 64;

/// The merged view of some schemas at one place of a value.
#[derive(Default)]
pub(super) struct View<'a> {
    /// Every `properties` map.
    pub(super) properties: Vec<&'a Map<String, Value>>,
    /// The first `additionalProperties` that is not `false`.
    pub(super) additional: Option<&'a Value>,
    /// Some part keeps unknown fields (`x-kubernetes-preserve-unknown-fields: true`).
    pub(super) preserve_unknown: bool,
    /// Some part declares `properties` or forbids additional ones: unknown keys are pruned.
    pub(super) closed: bool,
    /// Every `items` schema.
    pub(super) items: Vec<&'a Value>,
    /// Some part allows `null` (`nullable: true` or a `null` type).
    pub(super) nullable: bool,
}

impl<'a> View<'a> {
    /// The merged view of `schemas`.
    pub(super) fn of(definitions: &'a Map<String, Value>, schemas: &[&'a Value]) -> Self {
        let mut view = View::default();
        for schema in schemas {
            view.collect(definitions, schema, 0);
        }
        view
    }

    fn collect(&mut self, definitions: &'a Map<String, Value>, schema: &'a Value, depth: usize) {
        let Value::Object(map) = schema else {
            return;
        };
        if depth > MAX_DEPTH {
            self.preserve_unknown = true;
            return;
        }
        if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(ref_target) {
            match definitions.get(target) {
                Some(resolved) => self.collect(definitions, resolved, depth + 1),
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
        if map.get("nullable") == Some(&Value::Bool(true))
            || map.get("type").and_then(Value::as_array).is_some_and(|t| t.iter().any(|t| t == "null"))
        {
            self.nullable = true;
        }
        if let Some(items) = map.get("items").filter(|i| i.is_object()) {
            self.items.push(items);
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(parts)) = map.get(key) {
                parts.iter().for_each(|p| self.collect(definitions, p, depth + 1));
            }
        }
    }

    /// The schemas of the field `key`: its declared property schemas, else the
    /// `additionalProperties` schema, else none.
    pub(super) fn field(&self, key: &str) -> Vec<&'a Value> {
        let declared: Vec<&'a Value> = self.properties.iter().filter_map(|p| p.get(key)).collect();
        if !declared.is_empty() {
            return declared;
        }
        self.additional.filter(|a| a.is_object()).into_iter().collect()
    }

    /// The schemas `key` declares as a property (not via `additionalProperties`).
    pub(super) fn property(&self, key: &str) -> Vec<&'a Value> {
        self.properties.iter().filter_map(|p| p.get(key)).collect()
    }
}
