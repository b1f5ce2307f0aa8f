//! Decoding the Kubernetes protobuf wire format for the core kinds kubectl sends that way.
//!
//! kubectl's typed clients (`create secret`, `create namespace`, `delete`) send
//! `application/vnd.kubernetes.protobuf` bodies: the 4-byte magic `k8s\0`, then a
//! `runtime.Unknown` envelope whose `raw` bytes are the object's message. Only the messages of the
//! kinds this server stores in standalone mode (Secret, Namespace) and `DeleteOptions` are
//! understood; each is turned into the JSON the rest of the server works with.

mod messages;

use messages::{DeleteOptions, Namespace, ObjectMeta, Secret, Unknown};
use porch_layers::ApiError;
use prost::Message;
use serde_json::{Map, Value, json};

/// The protobuf content type.
pub(crate) const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";

const MAGIC: &[u8] = b"k8s\0";

fn bad(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("failed to decode protobuf {what}: {e}"))
}

/// Decodes a protobuf body into JSON. `expected_kind` is the kind the URL expects (`DeleteOptions`
/// for a DELETE body).
pub(crate) fn decode(body: &[u8], expected_kind: &str) -> Result<Value, ApiError> {
    let envelope = body.strip_prefix(MAGIC).ok_or_else(|| bad("envelope", "missing the k8s magic prefix"))?;
    let unknown = Unknown::decode(envelope).map_err(|e| bad("envelope", e))?;
    let type_meta = unknown.type_meta.unwrap_or_default();
    let kind = type_meta.kind.as_deref().unwrap_or(expected_kind);
    let raw = unknown.raw.unwrap_or_default();
    let mut value = match kind {
        "Secret" => secret(Secret::decode(raw.as_slice()).map_err(|e| bad("Secret", e))?),
        "Namespace" => namespace(Namespace::decode(raw.as_slice()).map_err(|e| bad("Namespace", e))?),
        "DeleteOptions" => {
            delete_options(DeleteOptions::decode(raw.as_slice()).map_err(|e| bad("DeleteOptions", e))?)
        }
        other => {
            return Err(ApiError::unsupported_media_type(format!(
                "protobuf is not supported for kind {other:?}; send application/json"
            )));
        }
    };
    if let Some(api_version) = type_meta.api_version.filter(|v| !v.is_empty()) {
        value["apiVersion"] = json!(api_version);
    }
    value["kind"] = json!(kind);
    Ok(value)
}

fn insert<T: Into<Value>>(map: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        map.insert(key.to_string(), v.into());
    }
}

fn string_map(m: std::collections::BTreeMap<String, String>) -> Option<Value> {
    (!m.is_empty()).then(|| Value::Object(m.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
}

fn metadata(meta: Option<ObjectMeta>) -> Value {
    let meta = meta.unwrap_or_default();
    let mut m = Map::new();
    insert(&mut m, "name", meta.name);
    insert(&mut m, "generateName", meta.generate_name);
    insert(&mut m, "namespace", meta.namespace);
    insert(&mut m, "uid", meta.uid);
    insert(&mut m, "resourceVersion", meta.resource_version);
    insert(&mut m, "labels", string_map(meta.labels));
    insert(&mut m, "annotations", string_map(meta.annotations));
    if !meta.finalizers.is_empty() {
        m.insert("finalizers".into(), json!(meta.finalizers));
    }
    Value::Object(m)
}

fn secret(s: Secret) -> Value {
    use base64::Engine as _;
    let mut out = Map::new();
    out.insert("metadata".into(), metadata(s.metadata));
    if !s.data.is_empty() {
        let data: Map<String, Value> = s
            .data
            .into_iter()
            .map(|(k, v)| (k, Value::String(base64::engine::general_purpose::STANDARD.encode(v))))
            .collect();
        out.insert("data".into(), Value::Object(data));
    }
    insert(&mut out, "stringData", string_map(s.string_data));
    insert(&mut out, "type", s.type_);
    insert(&mut out, "immutable", s.immutable);
    Value::Object(out)
}

fn namespace(n: Namespace) -> Value {
    let mut out = Map::new();
    out.insert("metadata".into(), metadata(n.metadata));
    if let Some(spec) = n.spec.filter(|s| !s.finalizers.is_empty()) {
        out.insert("spec".into(), json!({"finalizers": spec.finalizers}));
    }
    Value::Object(out)
}

fn delete_options(d: DeleteOptions) -> Value {
    let mut out = Map::new();
    insert(&mut out, "gracePeriodSeconds", d.grace_period_seconds);
    insert(&mut out, "propagationPolicy", d.propagation_policy);
    if let Some(p) = d.preconditions {
        let mut pre = Map::new();
        insert(&mut pre, "uid", p.uid);
        insert(&mut pre, "resourceVersion", p.resource_version);
        out.insert("preconditions".into(), Value::Object(pre));
    }
    if !d.dry_run.is_empty() {
        out.insert("dryRun".into(), json!(d.dry_run));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::messages::{NamespaceSpec, Preconditions, TypeMeta};
    use super::*;

    fn envelope(kind: &str, raw: Vec<u8>) -> Vec<u8> {
        let unknown = Unknown {
            type_meta: Some(TypeMeta { api_version: Some("v1".into()), kind: Some(kind.into()) }),
            raw: Some(raw),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        let mut out = MAGIC.to_vec();
        out.extend(unknown.encode_to_vec());
        out
    }

    #[test]
    fn secrets_decode_with_base64_data() {
        let s = Secret {
            metadata: Some(ObjectMeta {
                name: Some("x".into()),
                namespace: Some("default".into()),
                ..Default::default()
            }),
            data: [("username".to_string(), b"u".to_vec())].into(),
            type_: Some("kubernetes.io/basic-auth".into()),
            ..Default::default()
        };
        let v = decode(&envelope("Secret", s.encode_to_vec()), "Secret").unwrap();
        assert_eq!(v["kind"], "Secret");
        assert_eq!(v["apiVersion"], "v1");
        assert_eq!(v["metadata"]["name"], "x");
        assert_eq!(v["data"]["username"], "dQ==");
        assert_eq!(v["type"], "kubernetes.io/basic-auth");
    }

    #[test]
    fn namespaces_and_delete_options_decode() {
        let n = Namespace {
            metadata: Some(ObjectMeta { name: Some("team".into()), ..Default::default() }),
            spec: Some(NamespaceSpec { finalizers: vec!["kubernetes".into()] }),
        };
        let v = decode(&envelope("Namespace", n.encode_to_vec()), "Namespace").unwrap();
        assert_eq!(v["metadata"]["name"], "team");
        let d = DeleteOptions {
            propagation_policy: Some("Background".into()),
            preconditions: Some(Preconditions { uid: Some("u".into()), resource_version: None }),
            dry_run: vec!["All".into()],
            ..Default::default()
        };
        let v = decode(&envelope("DeleteOptions", d.encode_to_vec()), "DeleteOptions").unwrap();
        assert_eq!(v["propagationPolicy"], "Background");
        assert_eq!(v["preconditions"]["uid"], "u");
        assert_eq!(v["dryRun"], json!(["All"]));
    }

    #[test]
    fn garbage_is_a_bad_request() {
        assert_eq!(decode(b"nope", "Secret").unwrap_err().code(), 400);
        assert_eq!(decode(&envelope("ConfigMap", vec![]), "ConfigMap").unwrap_err().code(), 415);
    }
}
