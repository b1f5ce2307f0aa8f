//! Secret (core `v1`): `type` default, `stringData` folding, data key/value checks, type-specific keys,
//! immutability (kube-apiserver `pkg/registry/core/secret` and `ValidateSecret`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use porch_layers::json_pointer;
use porch_layers::object_meta::names;
use porch_layers::patch::strategic::StrategicSchema;
use porch_layers::{Column, FieldCause, RequestContext, Strategy};
use serde_json::{Map, Value};

use super::{invalid_value, stored_kind_identity};
use crate::crdstore::StoredKind;

/// kube-apiserver's `MaxSecretSize`.
const MAX_SECRET_SIZE: usize = 1024 * 1024;

const KEY_FMT: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. \
    'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/// Keys each built-in secret type requires (at least one of the group must be present).
const REQUIRED_KEYS: [(&str, &[&str]); 3] = [
    ("kubernetes.io/basic-auth", &["username", "password"]),
    ("kubernetes.io/ssh-auth", &["ssh-privatekey"]),
    ("kubernetes.io/tls", &["tls.crt", "tls.key"]),
];

/// Secret: `NAME TYPE DATA AGE`.
const COLUMNS: &[Column] = &[
    Column {
        description: "The type of the secret",
        ..Column::new("Type", "string", |o| json_pointer::at(o, "/type").cloned().unwrap_or(Value::Null))
    },
    Column {
        description: "The number of items in the secret",
        ..Column::new("Data", "integer", |o| {
            Value::from(o.get("data").and_then(Value::as_object).map_or(0, |m| m.len()))
        })
    },
    Column::AGE,
];

/// The Secret strategy.
#[derive(Debug)]
pub(crate) struct SecretStrategy;

/// Defaults `type` to `Opaque` and moves string `stringData` entries into `data` (base64-encoded).
fn normalize(obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else { return };
    if map.get("type").and_then(Value::as_str).is_none_or(str::is_empty) {
        map.insert("type".into(), Value::String("Opaque".into()));
    }
    let Some(Value::Object(mut string_data)) = map.remove("stringData") else { return };
    let data = map.entry("data").or_insert_with(|| Value::Object(Map::new()));
    if data.is_null() {
        *data = Value::Object(Map::new());
    }
    if let Some(data) = data.as_object_mut() {
        string_data.retain(|k, v| match v.as_str() {
            Some(s) => {
                data.insert(k.clone(), Value::String(STANDARD.encode(s)));
                false
            }
            None => true,
        });
    }
    if !string_data.is_empty() {
        map.insert("stringData".into(), Value::Object(string_data));
    }
}

fn is_config_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= 253 && k.bytes().all(|c| c.is_ascii_alphanumeric() || b"-._".contains(&c))
}

impl Strategy for SecretStrategy {
    stored_kind_identity!(StoredKind::Secret, names::dns1123_subdomain_name);

    /// `type` default and `stringData` folding (a Secret has no `status` to drop).
    fn prepare_for_create(&self, _ctx: &RequestContext, obj: &mut Value) {
        normalize(obj);
    }

    /// As on create; nothing is taken from `old`.
    fn prepare_for_update(&self, _ctx: &RequestContext, new: &mut Value, _old: &Value) {
        normalize(new);
    }

    fn validate(&self, _ctx: &RequestContext, obj: &Value) -> Vec<FieldCause> {
        let mut causes = Vec::new();
        if let Some(Value::Object(sd)) = obj.get("stringData") {
            for k in sd.keys() {
                causes.push(FieldCause::invalid(format!("stringData[{k}]"), "must be a string"));
            }
        }
        let empty = Map::new();
        let data = match obj.get("data") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(d)) => d,
            Some(_) => {
                causes.push(FieldCause::invalid("data", "must be an object"));
                &empty
            }
        };
        let mut size = 0;
        for (k, v) in data {
            let field = format!("data[{k}]");
            if !is_config_key(k) {
                causes.push(invalid_value(&field, k, KEY_FMT));
            }
            match v.as_str().map(|s| STANDARD.decode(s)) {
                Some(Ok(bytes)) => size += bytes.len() + k.len(),
                Some(Err(e)) => causes.push(FieldCause::invalid(field, format!("illegal base64 data: {e}"))),
                None => causes.push(FieldCause::invalid(field, "must be a base64-encoded string")),
            }
        }
        if size > MAX_SECRET_SIZE {
            causes.push(FieldCause::invalid(
                "data",
                format!("Too long: must have at most {MAX_SECRET_SIZE} bytes"),
            ));
        }
        let ty = obj.get("type").and_then(Value::as_str).unwrap_or("Opaque");
        if let Some((_, keys)) = REQUIRED_KEYS.iter().find(|(t, _)| *t == ty) {
            let basic_auth = ty == "kubernetes.io/basic-auth";
            let present = |k: &&str| data.contains_key(*k);
            let ok = if basic_auth { keys.iter().any(present) } else { keys.iter().all(present) };
            if !ok {
                for k in keys.iter().filter(|k| basic_auth || !present(k)) {
                    causes.push(FieldCause::required(format!("data[{k}]"), ""));
                }
            }
        }
        causes
    }

    fn validate_update(&self, ctx: &RequestContext, new: &Value, old: &Value) -> Vec<FieldCause> {
        let mut causes = self.validate(ctx, new);
        if new.get("type") != old.get("type") {
            causes.push(FieldCause::invalid("type", "field is immutable"));
        }
        if old.get("immutable") == Some(&Value::Bool(true)) {
            if new.get("immutable") != Some(&Value::Bool(true)) {
                causes.push(FieldCause::forbidden("immutable", "field is immutable when `immutable` is set"));
            }
            if new.get("data") != old.get("data") {
                causes.push(FieldCause::forbidden("data", "field is immutable when `immutable` is set"));
            }
        }
        causes
    }

    fn columns(&self) -> &[Column] {
        COLUMNS
    }

    /// kube-apiserver applies strategic merge patches to Secrets (`kubectl patch`'s default);
    /// a Secret's own fields (`data`, `stringData`, `type`, `immutable`) hold no lists, so
    /// only `ObjectMeta`'s merge.
    fn strategic_merge(&self) -> Option<&'static StrategicSchema> {
        Some(&StrategicSchema::OBJECT_META)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use porch_layers::Verb;

    fn create() -> RequestContext {
        RequestContext::new(Verb::Create)
    }

    fn fields(causes: Vec<FieldCause>) -> Vec<String> {
        causes.into_iter().map(|c| c.field).collect()
    }

    #[test]
    fn string_data_is_folded_into_data_and_type_defaults() {
        let mut s = json!({"metadata": {"name": "s"}, "data": {"a": "eA=="}, "stringData": {"b": "hello"}});
        SecretStrategy.prepare_for_create(&create(), &mut s);
        assert_eq!(s["type"], "Opaque");
        assert_eq!(s["data"], json!({"a": "eA==", "b": "aGVsbG8="}));
        assert!(s.get("stringData").is_none());
        assert!(SecretStrategy.validate(&create(), &s).is_empty());
    }

    #[test]
    fn data_must_be_base64_with_valid_keys() {
        let s = json!({"type": "Opaque", "data": {"ok": "eA==", "bad": "%%%", "a b": "eA==", "n": 1}});
        assert_eq!(fields(SecretStrategy.validate(&create(), &s)), ["data[bad]", "data[a b]", "data[n]"]);
        let mut s = json!({"stringData": {"x": 5}});
        SecretStrategy.prepare_for_create(&create(), &mut s);
        assert_eq!(fields(SecretStrategy.validate(&create(), &s)), ["stringData[x]"]);
    }

    #[test]
    fn basic_auth_needs_username_or_password() {
        let s = json!({"type": "kubernetes.io/basic-auth", "data": {"other": "eA=="}});
        assert_eq!(fields(SecretStrategy.validate(&create(), &s)), ["data[username]", "data[password]"]);
        let s = json!({"type": "kubernetes.io/basic-auth", "data": {"password": ""}});
        assert!(SecretStrategy.validate(&create(), &s).is_empty());
        let s = json!({"type": "kubernetes.io/tls", "data": {"tls.crt": ""}});
        assert_eq!(fields(SecretStrategy.validate(&create(), &s)), ["data[tls.key]"]);
    }

    #[test]
    fn type_and_immutable_data_cannot_change() {
        let old = json!({"type": "Opaque", "immutable": true, "data": {"a": "eA=="}});
        let new = json!({"type": "kubernetes.io/basic-auth", "data": {"username": "eA=="}});
        assert_eq!(
            fields(SecretStrategy.validate_update(&RequestContext::new(Verb::Update), &new, &old)),
            ["type", "immutable", "data"]
        );
        assert!(SecretStrategy.validate_update(&RequestContext::new(Verb::Update), &old, &old).is_empty());
    }
}
