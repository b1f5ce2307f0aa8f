//! Decoding request bodies into objects, and the checks kube-apiserver makes before storage:
//! kind and apiVersion (required for custom resources), namespace and name against the URL,
//! unknown fields. Type-checking against the kind's schema is storage's (the embedded store, or
//! the layers' Validation for the engine's kinds), so that every write path gets it.

use super::super::protobuf;
use super::super::request::{ApiRequest, FieldValidation};
use super::super::resources::{Backend, ResourceDef};
use super::super::state::AppState;
use porch_layers::ApiError;
use porch_layers::object_meta;
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

/// kube-apiserver's answer to a custom resource without `kind` (the unstructured decoder's
/// `runtime.NewMissingKindErr`, from the typer's words).
const MISSING_KIND: &str = "Object 'Kind' is missing in 'object has no kind field '";
/// kube-apiserver's answer to a custom resource without `apiVersion`.
const MISSING_API_VERSION: &str = "Object 'apiVersion' is missing in 'object has no apiVersion field'";

/// Whether `def` is a custom resource (served from a CRD), which kube-apiserver decodes without
/// defaulting `apiVersion`/`kind` from the URL, unlike built-in and aggregated kinds.
fn is_custom_resource(def: &ResourceDef) -> bool {
    matches!(def.backend, Backend::Store(_)) && !def.group.is_empty()
}

/// A custom resource must name its `kind` and `apiVersion` (400 otherwise, in kube-apiserver's
/// words); other kinds get both from the URL when absent.
fn require_type_meta(obj: &Value, def: &ResourceDef) -> Result<(), ApiError> {
    if !is_custom_resource(def) {
        return Ok(());
    }
    let missing = |key: &str| obj.get(key).and_then(Value::as_str).is_none_or(str::is_empty);
    if missing("kind") {
        return Err(ApiError::bad_request(MISSING_KIND));
    }
    if missing("apiVersion") {
        return Err(ApiError::bad_request(MISSING_API_VERSION));
    }
    Ok(())
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

/// Checks `apiVersion`/`kind` (required for custom resources, else filled in when absent), that
/// `metadata` is an object (422 otherwise, as any ill-typed field), and the namespace against
/// the URL (filled in when absent), and the name against the URL for item requests.
pub(super) fn check_identity(obj: &mut Value, def: &ResourceDef, api: &ApiRequest) -> Result<(), ApiError> {
    require_type_meta(obj, def)?;
    set_if_missing(obj, "apiVersion", &def.api_version(), "API version")?;
    set_if_missing(obj, "kind", def.kind, "kind")?;
    match obj.get("metadata") {
        None | Some(Value::Null) => obj["metadata"] = serde_json::json!({}),
        Some(Value::Object(_)) => {}
        Some(_) => {
            let causes = object_meta::check_types(obj);
            return Err(ApiError::invalid(def.group, def.kind, "", &causes));
        }
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
        let mut obj = json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
                             "metadata": {"name": "r"}});
        check_identity(&mut obj, def, &api).unwrap();
        assert_eq!(obj["metadata"]["namespace"], "ns");
        let def = resources::find("", "v1", "secrets").unwrap();
        let api = req(Method::POST, "/api/v1/namespaces/ns/secrets");
        let mut obj = json!({"metadata": {"name": "s"}});
        check_identity(&mut obj, def, &api).unwrap();
        assert_eq!((&obj["apiVersion"], &obj["kind"]), (&json!("v1"), &json!("Secret")));
        let def = resources::find("porch.kpt.dev", "v1alpha1", "packagerevisions").unwrap();
        let api = req(Method::POST, "/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions");
        let mut obj = json!({"spec": {}});
        check_identity(&mut obj, def, &api).unwrap();
        assert_eq!(obj["kind"], "PackageRevision");
    }

    #[test]
    fn custom_resources_must_name_their_kind_and_api_version() {
        let def = resources::find("config.porch.kpt.dev", "v1alpha1", "repositories").unwrap();
        let api = req(Method::POST, "/apis/config.porch.kpt.dev/v1alpha1/namespaces/ns/repositories");
        let e = check_identity(&mut json!({"metadata": {"name": "r"}}), def, &api).unwrap_err();
        assert_eq!((e.code(), e.message()), (400, "Object 'Kind' is missing in 'object has no kind field '"));
        let e = check_identity(&mut json!({"kind": "Repository"}), def, &api).unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            (400, "Object 'apiVersion' is missing in 'object has no apiVersion field'")
        );
        let def = resources::find("config.porch.kpt.dev", "v1alpha1", "packagerevs").unwrap();
        let api = req(Method::PUT, "/apis/config.porch.kpt.dev/v1alpha1/namespaces/ns/packagerevs/p");
        assert_eq!(check_identity(&mut json!({"apiVersion": ""}), def, &api).unwrap_err().code(), 400);
    }

    #[test]
    fn metadata_that_is_not_an_object_is_invalid() {
        let def = resources::find("", "v1", "secrets").unwrap();
        let api = req(Method::POST, "/api/v1/namespaces/ns/secrets");
        let e = check_identity(&mut json!({"metadata": "x"}), def, &api).unwrap_err();
        assert_eq!(e.code(), 422);
        assert_eq!(
            e.message(),
            "Secret \"\" is invalid: metadata: Invalid value: \"string\": metadata in body must be of type object: \"string\""
        );
        let mut obj = json!({"metadata": null});
        check_identity(&mut obj, def, &api).unwrap();
        assert!(obj["metadata"].is_object());
    }

    #[test]
    fn mismatches_are_bad_requests() {
        let def = resources::find("config.porch.kpt.dev", "v1alpha1", "repositories").unwrap();
        let api = req(Method::PUT, "/apis/config.porch.kpt.dev/v1alpha1/namespaces/ns/repositories/r");
        let typed = |meta: serde_json::Value| json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository", "metadata": meta});
        for bad in [
            json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Secret", "metadata": {"name": "r"}}),
            typed(json!({"name": "other"})),
            typed(json!({"name": "r", "namespace": "elsewhere"})),
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
