//! Decoding request bodies into objects, and the checks kube-apiserver makes before storage:
//! kind and apiVersion, namespace and name against the URL, unknown fields.

use super::super::protobuf;
use super::super::request::{ApiRequest, FieldValidation};
use super::super::resources::ResourceDef;
use super::super::state::AppState;
use porch_layers::ApiError;
use serde_json::Value;

/// Decodes a JSON, YAML or (for the core kinds kubectl sends that way) protobuf object body;
/// `kind` is the kind the URL expects.
pub(super) fn object(body: &[u8], content_type: &str, kind: &str) -> Result<Value, ApiError> {
    let media = content_type.split(';').next().unwrap_or("").trim();
    let value: Value = match media {
        protobuf::PROTOBUF => protobuf::decode(body, kind)?,
        "application/yaml" | "application/x-yaml" | "text/yaml" => {
            let text =
                std::str::from_utf8(body).map_err(|_| ApiError::bad_request("the body is not UTF-8"))?;
            serde_saphyr::from_str(text)
                .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?
        }
        "" | "application/json" | "*/*" => serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding the request body as JSON: {e}")))?,
        other => {
            return Err(ApiError::unsupported_media_type(format!(
                "the body of the request was in an unknown format ({other}) - accepted media types include: \
                 application/json, application/yaml"
            )));
        }
    };
    if !value.is_object() {
        return Err(ApiError::bad_request("the request body must be a JSON or YAML object"));
    }
    Ok(value)
}

fn set_if_missing(obj: &mut Value, key: &str, want: &str, what: &str) -> Result<(), ApiError> {
    match obj.get(key).and_then(Value::as_str) {
        None | Some("") => {
            obj[key] = Value::from(want);
            Ok(())
        }
        Some(have) if have == want => Ok(()),
        Some(have) => Err(ApiError::bad_request(format!(
            "the {what} in the data ({have}) does not match the expected {what} ({want})"
        ))),
    }
}

/// Checks `apiVersion`/`kind` (filled in when absent) and the namespace against the URL (filled in
/// when absent), and the name against the URL for item requests.
pub(super) fn check_identity(obj: &mut Value, def: &ResourceDef, api: &ApiRequest) -> Result<(), ApiError> {
    set_if_missing(obj, "apiVersion", &def.api_version(), "API version")?;
    set_if_missing(obj, "kind", def.kind, "kind")?;
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = serde_json::json!({});
    }
    let meta = &mut obj["metadata"];
    if def.namespaced {
        let url_ns = api.path.namespace.as_deref().unwrap_or("");
        match meta.get("namespace").and_then(Value::as_str) {
            None | Some("") => meta["namespace"] = Value::from(url_ns),
            Some(ns) if ns == url_ns => {}
            Some(_) => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
        }
    } else if let Some(map) = meta.as_object_mut() {
        map.remove("namespace");
    }
    if let Some(url_name) = api.path.name.as_deref() {
        match meta.get("name").and_then(Value::as_str) {
            None | Some("") => meta["name"] = Value::from(url_name),
            Some(name) if name == url_name => {}
            Some(name) => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({name}) does not match the name on the URL ({url_name})"
                )));
            }
        }
    }
    Ok(())
}

/// The checks of every request object before storage: [`check_identity`], then
/// [`unknown_fields`] as the request's `fieldValidation` says. Returns the warnings.
pub(super) fn check(
    state: &AppState,
    def: &ResourceDef,
    api: &ApiRequest,
    obj: &mut Value,
) -> Result<Vec<String>, ApiError> {
    check_identity(obj, def, api)?;
    unknown_fields(state, def, obj, api.query.field_validation)
}

/// Server-side field validation: unknown fields are dropped; `Strict` rejects them with a 400
/// naming each, `Warn` returns them as warnings.
pub(super) fn unknown_fields(
    state: &AppState,
    def: &ResourceDef,
    obj: &mut Value,
    validation: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    let unknown = state.openapi.prune_unknown_fields(def, obj);
    let warnings: Vec<String> =
        unknown.iter().map(|f| format!("unknown field \"{}\"", f.trim_start_matches('.'))).collect();
    match validation {
        FieldValidation::Strict if !warnings.is_empty() => {
            Err(ApiError::bad_request(format!("strict decoding error: {}", warnings.join(", "))))
        }
        FieldValidation::Warn => Ok(warnings),
        _ => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::resources;
    use http::Method;
    use serde_json::json;

    fn req(method: Method, path: &str) -> ApiRequest {
        ApiRequest::parse(&method, path, None).unwrap().unwrap()
    }

    #[test]
    fn identity_is_filled_in_from_the_url() {
        let def = resources::find("config.porch.kpt.dev", "v1alpha1", "repositories").unwrap();
        let api = req(Method::POST, "/apis/config.porch.kpt.dev/v1alpha1/namespaces/ns/repositories");
        let mut obj = json!({"metadata": {"name": "r"}});
        check_identity(&mut obj, def, &api).unwrap();
        assert_eq!(obj["apiVersion"], "config.porch.kpt.dev/v1alpha1");
        assert_eq!(obj["kind"], "Repository");
        assert_eq!(obj["metadata"]["namespace"], "ns");
    }

    #[test]
    fn mismatches_are_bad_requests() {
        let def = resources::find("config.porch.kpt.dev", "v1alpha1", "repositories").unwrap();
        let api = req(Method::PUT, "/apis/config.porch.kpt.dev/v1alpha1/namespaces/ns/repositories/r");
        for bad in [
            json!({"kind": "Secret", "metadata": {"name": "r"}}),
            json!({"metadata": {"name": "other"}}),
            json!({"metadata": {"name": "r", "namespace": "elsewhere"}}),
        ] {
            let mut obj = bad;
            assert_eq!(check_identity(&mut obj, def, &api).unwrap_err().code(), 400);
        }
    }

    #[test]
    fn yaml_and_json_bodies_decode() {
        assert_eq!(
            object(b"metadata:\n  name: x\n", "application/yaml", "Secret").unwrap()["metadata"]["name"],
            "x"
        );
        assert_eq!(object(br#"{"a":1}"#, "application/json", "Secret").unwrap()["a"], 1);
        assert_eq!(object(b"[1]", "application/json", "Secret").unwrap_err().code(), 400);
        assert_eq!(object(b"x", "application/cbor", "Secret").unwrap_err().code(), 415);
    }
}
