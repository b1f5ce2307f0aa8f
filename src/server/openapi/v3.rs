//! OpenAPI 3.0 documents, one per group-version, and the `/openapi/v3` index pointing at them.

use super::normalize::V3_REF_PREFIX;
use super::paths::{Operation, Param, PathItem, tag};
use super::schemas::GvSchemas;
use serde_json::{Map, Value, json};

/// The index key of a group-version: `apis/<group>/<version>`, or `api/<version>` for core.
pub(super) fn index_key(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("{V3_REF_PREFIX}{name}") })
}

fn param(p: &Param) -> Value {
    let mut out = json!({
        "name": p.name,
        "in": p.location,
        "description": p.description,
        "schema": {"type": p.ty, "uniqueItems": true},
    });
    if p.location == "path" {
        out["required"] = Value::Bool(true);
    }
    out
}

fn operation(op: &Operation, tag: &str) -> Value {
    let mut out = Map::new();
    out.insert("tags".into(), json!([tag]));
    out.insert("description".into(), Value::from(op.description.as_str()));
    out.insert("operationId".into(), Value::from(op.operation_id.as_str()));
    if !op.params.is_empty() {
        out.insert("parameters".into(), op.params.iter().map(|p| param(p)).collect());
    }
    if let Some(body) = &op.body {
        let content: Map<String, Value> = body
            .content_types
            .iter()
            .map(|ct| (ct.to_string(), json!({"schema": schema_ref(&body.schema)})))
            .collect();
        let mut request = json!({ "content": content });
        if body.required {
            request["required"] = Value::Bool(true);
        }
        out.insert("requestBody".into(), request);
    }
    let mut responses = Map::new();
    for (code, schema) in &op.responses {
        let content: Map<String, Value> =
            op.produces.iter().map(|ct| (ct.to_string(), json!({"schema": schema_ref(schema)}))).collect();
        let description = if *code == "201" {
            "Created"
        } else if *code == "202" {
            "Accepted"
        } else {
            "OK"
        };
        responses.insert(code.to_string(), json!({"description": description, "content": content}));
    }
    responses.insert("401".into(), json!({"description": "Unauthorized"}));
    out.insert("responses".into(), Value::Object(responses));
    out.insert("x-kubernetes-action".into(), Value::from(op.action));
    let (group, version, kind) = op.gvk;
    out.insert(
        "x-kubernetes-group-version-kind".into(),
        json!({"group": group, "version": version, "kind": kind}),
    );
    Value::Object(out)
}

/// The OpenAPI 3.0 document of one group-version.
pub(super) fn document(group: &str, version: &str, schemas: &GvSchemas, paths: &[PathItem]) -> Value {
    let tag = tag(group, version);
    let mut rendered = Map::new();
    for item in paths {
        let mut entry = Map::new();
        for op in &item.operations {
            entry.insert(op.method.into(), operation(op, &tag));
        }
        entry.insert("parameters".into(), item.params.iter().map(|p| param(p)).collect());
        rendered.insert(item.path.clone(), Value::Object(entry));
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Porch", "version": "0.1"},
        "paths": rendered,
        "components": {"schemas": schemas.components},
    })
}

/// A stable hex digest of `bytes` (two FNV-1a 64 passes), for the index's `?hash=` cache key.
pub(super) fn hash_hex(bytes: &[u8]) -> String {
    let fnv = |offset: u64| {
        bytes.iter().fold(offset, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
    };
    format!("{:016X}{:016X}", fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142))
}

/// The `/openapi/v3` index: `{paths: {<key>: {serverRelativeURL}}}`.
pub(super) fn index<'a>(docs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Value {
    let paths: Map<String, Value> = docs
        .into_iter()
        .map(|(key, doc)| {
            let url = format!("/openapi/v3/{key}?hash={}", hash_hex(doc));
            (key.to_string(), json!({ "serverRelativeURL": url }))
        })
        .collect();
    json!({ "paths": paths })
}
