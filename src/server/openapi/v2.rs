//! The Swagger 2.0 document (`/openapi/v2`), served as JSON to the kube-aggregator, and the
//! answer to kubectl's protobuf request for it.

use super::normalize::{V3_REF_PREFIX, for_each_subschema, rewrite_refs};
use super::paths::{Operation, Param, PathItem, tag};
use super::schemas::GvSchemas;
use serde_json::{Map, Value, json};

/// Where definitions live in a Swagger 2.0 document.
const V2_REF_PREFIX: &str = "#/definitions/";

/// The media type kubectl asks for (`...spec.v2@v1.0+protobuf`); any form of it selects protobuf.
const PROTOBUF_ACCEPT: &str = "application/com.github.proto-openapi.spec.v2";

/// The Content-Type of the protobuf answer, in the form Go's `mime` package parses.
pub(super) const PROTOBUF_CONTENT_TYPE: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// Whether `accept` prefers the protobuf document to JSON (first acceptable range wins).
pub(super) fn wants_protobuf(accept: &str) -> bool {
    for range in accept.split(',') {
        let media = range.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if media.starts_with(PROTOBUF_ACCEPT) {
            return true;
        }
        if matches!(media.as_str(), "application/json" | "application/*" | "*/*") {
            return false;
        }
    }
    false
}

/// Converts an OpenAPI 3.0 schema to Swagger 2.0: refs into `#/definitions`, a lone
/// `allOf: [{$ref}]` back to `$ref` with siblings (as kube-openapi writes v2), no `nullable`,
/// and no `anyOf`/`oneOf` (which Swagger 2.0 lacks).
pub(super) fn convert_schema(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    for_each_subschema(map, |sub, _| convert_schema(sub));
    map.remove("nullable");
    map.remove("anyOf");
    map.remove("oneOf");
    let lone_ref = match map.get("allOf") {
        Some(Value::Array(all)) if all.len() == 1 => {
            all[0].as_object().filter(|o| o.len() == 1).and_then(|o| o.get("$ref")).cloned()
        }
        _ => None,
    };
    if let Some(reference) = lone_ref {
        map.remove("allOf");
        map.insert("$ref".into(), reference);
    }
}

fn to_v2_ref(reference: &str) -> String {
    match reference.strip_prefix(V3_REF_PREFIX) {
        Some(name) => format!("{V2_REF_PREFIX}{name}"),
        None => reference.to_string(),
    }
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("{V2_REF_PREFIX}{name}") })
}

fn param(p: &Param) -> Value {
    let mut out = json!({
        "name": p.name,
        "in": p.location,
        "description": p.description,
        "type": p.ty,
        "uniqueItems": true,
    });
    if p.location == "path" {
        out["required"] = Value::Bool(true);
    }
    out
}

fn operation(op: &Operation, tag: &str) -> Value {
    let mut params: Vec<Value> = Vec::new();
    let mut consumes: &[&str] = &["*/*"];
    if let Some(body) = &op.body {
        consumes = body.content_types;
        params.push(json!({"name": "body", "in": "body", "required": body.required, "schema": schema_ref(&body.schema)}));
    }
    params.extend(op.params.iter().map(|p| param(p)));
    let mut responses = Map::new();
    for (code, schema) in &op.responses {
        let description = if *code == "201" {
            "Created"
        } else if *code == "202" {
            "Accepted"
        } else {
            "OK"
        };
        responses.insert(code.to_string(), json!({"description": description, "schema": schema_ref(schema)}));
    }
    responses.insert("401".into(), json!({"description": "Unauthorized"}));
    let (group, version, kind) = op.gvk;
    let mut out = json!({
        "description": op.description,
        "consumes": consumes,
        "produces": op.produces,
        "schemes": ["https"],
        "tags": [tag],
        "operationId": op.operation_id,
        "responses": responses,
        "x-kubernetes-action": op.action,
        "x-kubernetes-group-version-kind": {"group": group, "kind": kind, "version": version},
    });
    if !params.is_empty() {
        out["parameters"] = Value::Array(params);
    }
    out
}

/// The Swagger 2.0 document of every served group-version.
pub(super) fn document<'a>(
    gvs: impl IntoIterator<Item = (&'a str, &'a str, &'a GvSchemas, &'a [PathItem])>,
) -> Value {
    let mut definitions: Vec<(String, Value)> = Vec::new();
    let mut paths = Map::new();
    for (group, version, schemas, items) in gvs {
        for (name, schema) in &schemas.components {
            if definitions.iter().any(|(n, _)| n == name) {
                continue;
            }
            let mut schema = schema.clone();
            convert_schema(&mut schema);
            rewrite_refs(&mut schema, &to_v2_ref);
            definitions.push((name.clone(), schema));
        }
        let tag = tag(group, version);
        for item in items {
            let mut entry = Map::new();
            for op in &item.operations {
                entry.insert(op.method.into(), operation(op, &tag));
            }
            entry.insert("parameters".into(), item.params.iter().map(|p| param(p)).collect());
            paths.insert(item.path.clone(), Value::Object(entry));
        }
    }
    definitions.sort_by(|a, b| a.0.cmp(&b.0));
    json!({
        "swagger": "2.0",
        "info": {"title": "Porch", "version": "0.1"},
        "paths": paths,
        "definitions": definitions.into_iter().collect::<Map<String, Value>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_and_aggregator_accept_headers_are_told_apart() {
        assert!(wants_protobuf("application/com.github.proto-openapi.spec.v2@v1.0+protobuf"));
        assert!(wants_protobuf(
            "application/com.github.proto-openapi.spec.v2.v1.0+protobuf, application/json"
        ));
        assert!(!wants_protobuf("application/json"));
        assert!(!wants_protobuf(
            "application/json, application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
        ));
        assert!(!wants_protobuf(""));
    }

    #[test]
    fn a_described_ref_becomes_a_v2_ref_with_siblings() {
        let mut s =
            json!({"properties": {"m": {"allOf": [{"$ref": "#/components/schemas/A"}], "description": "d"}}});
        convert_schema(&mut s);
        rewrite_refs(&mut s, &to_v2_ref);
        assert_eq!(s, json!({"properties": {"m": {"$ref": "#/definitions/A", "description": "d"}}}));
    }
}
