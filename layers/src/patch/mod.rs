//! PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic merge patch
//! ([`strategic`]) and server-side apply.
//!
//! Strategic merge patch is accepted only for a resource whose strategy describes its merge
//! lists ([`Strategy::strategic_merge`](crate::Strategy::strategic_merge)); elsewhere it is
//! refused with 415, as kube-apiserver does for custom resources, so kubectl falls back to a
//! JSON merge patch for client-side apply.

pub mod strategic;

use crate::ApiError;
use serde_json::Value;
use strategic::StrategicSchema;

/// The PATCH flavours this server understands, from the request Content-Type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// `application/merge-patch+json`.
    Merge,
    /// `application/json-patch+json`.
    Json,
    /// `application/apply-patch+yaml`: server-side apply.
    Apply,
    /// `application/strategic-merge-patch+json`, with the resource's merge lists.
    Strategic(&'static StrategicSchema),
}

const ACCEPTED: &str =
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";
const ACCEPTED_WITH_STRATEGIC: &str = "application/json-patch+json, application/merge-patch+json, \
    application/strategic-merge-patch+json, application/apply-patch+yaml";

impl PatchType {
    /// Picks the patch type from a Content-Type. A strategic merge patch is accepted when the
    /// resource has a `strategic` schema; it and any other type are 415 otherwise.
    pub fn from_content_type(
        content_type: &str,
        strategic: Option<&'static StrategicSchema>,
    ) -> Result<Self, ApiError> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        match (media, strategic) {
            ("application/merge-patch+json", _) => Ok(Self::Merge),
            ("application/json-patch+json", _) => Ok(Self::Json),
            ("application/apply-patch+yaml", _) => Ok(Self::Apply),
            ("application/strategic-merge-patch+json", Some(schema)) => Ok(Self::Strategic(schema)),
            _ => {
                let accepted = if strategic.is_some() { ACCEPTED_WITH_STRATEGIC } else { ACCEPTED };
                Err(ApiError::unsupported_media_type(format!(
                    "the body of the request was in an unknown format - accepted media types include: {accepted}"
                )))
            }
        }
    }
}

fn patch_error(message: String) -> ApiError {
    ApiError::new(422, "Invalid", message)
}

/// Applies a merge, JSON, strategic merge or apply patch `body` to `target`.
pub fn apply(patch_type: PatchType, target: &mut Value, body: &[u8]) -> Result<(), ApiError> {
    match patch_type {
        PatchType::Strategic(schema) => {
            let patch: Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding strategic merge patch: {e}")))?;
            strategic::apply(target, &patch, schema).map_err(|e| match e.code() {
                400 => ApiError::bad_request(e.to_string()),
                code => ApiError::new(code, "Invalid", e.to_string()),
            })
        }
        PatchType::Merge => {
            let patch: Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding merge patch: {e}")))?;
            if !patch.is_object() {
                return Err(ApiError::bad_request("a merge patch must be a JSON object"));
            }
            json_patch::merge(target, &patch);
            Ok(())
        }
        PatchType::Json => {
            let patch: json_patch::Patch = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding json patch: {e}")))?;
            let patch = absent_is_null(target, patch);
            json_patch::patch(target, &patch).map_err(|e| patch_error(format!("the json patch failed: {e}")))
        }
        PatchType::Apply => {
            let applied = decode_apply(body)?;
            server_side_apply(target, &applied);
            Ok(())
        }
    }
}

/// As kube-apiserver's JSON patch does, a `test` for `null` passes on a path that is absent
/// (kube-rs's finalizer helper sends `test /metadata/finalizers null` before adding the first).
/// Such tests are dropped before the patch runs; any other test still applies.
fn absent_is_null(target: &Value, patch: json_patch::Patch) -> json_patch::Patch {
    let ops = patch
        .0
        .into_iter()
        .filter(|op| match op {
            json_patch::PatchOperation::Test(test) => {
                !(test.value.is_null() && target.pointer(test.path.as_str()).is_none_or(Value::is_null))
            }
            _ => true,
        })
        .collect();
    json_patch::Patch(ops)
}

/// Parses an apply configuration (YAML, of which JSON is a subset).
pub fn decode_apply(body: &[u8]) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| ApiError::bad_request("the apply body is not UTF-8"))?;
    let value: Value = serde_saphyr::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML apply configuration: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request("an apply configuration must be an object"));
    }
    Ok(value)
}

/// Merges an apply configuration into the live object: maps merge key by key, every other value
/// (lists included) replaces the live one. This is the single-manager subset of server-side
/// apply: fields the configuration does not mention are kept.
pub fn server_side_apply(live: &mut Value, applied: &Value) {
    match (live, applied) {
        (Value::Object(live), Value::Object(applied)) => {
            for (key, value) in applied {
                match live.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        server_side_apply(existing, value)
                    }
                    _ => {
                        live.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (live, applied) => *live = applied.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategic_merge_patch_is_415_without_a_schema() {
        let e = PatchType::from_content_type("application/strategic-merge-patch+json", None).unwrap_err();
        assert_eq!(e.code(), 415);
        assert!(!e.to_string().contains("strategic"), "{e}");
        assert_eq!(
            PatchType::from_content_type("application/merge-patch+json; charset=utf-8", None).unwrap(),
            PatchType::Merge
        );
    }

    static SCHEMA: StrategicSchema = StrategicSchema::OBJECT_META;

    #[test]
    fn strategic_merge_patch_is_accepted_with_a_schema_and_then_listed_as_accepted() {
        let smp = "application/strategic-merge-patch+json; charset=utf-8";
        assert_eq!(PatchType::from_content_type(smp, Some(&SCHEMA)).unwrap(), PatchType::Strategic(&SCHEMA));
        let e = PatchType::from_content_type("text/plain", Some(&SCHEMA)).unwrap_err();
        assert_eq!(e.code(), 415);
        assert!(e.to_string().contains("application/strategic-merge-patch+json"), "{e}");
    }

    #[test]
    fn strategic_merge_patch_applies_and_malformed_ones_are_4xx() {
        let smp = PatchType::Strategic(&SCHEMA);
        let mut o = json!({"metadata": {"finalizers": ["a"], "labels": {"x": "1"}}});
        apply(smp, &mut o, br#"{"metadata": {"finalizers": ["b"], "labels": {"x": null}}}"#).unwrap();
        assert_eq!(o, json!({"metadata": {"finalizers": ["b", "a"], "labels": {}}}));
        assert_eq!(apply(smp, &mut o, b"{not json").unwrap_err().code(), 400);
        assert_eq!(apply(smp, &mut o, b"[]").unwrap_err().code(), 400);
        let e = apply(smp, &mut o, br#"{"metadata": {"finalizers": [["a"]]}}"#).unwrap_err();
        assert_eq!((e.code(), e.reason()), (422, "Invalid"));
    }

    #[test]
    fn merge_patch_removes_nulls_and_merges_maps() {
        let mut o = json!({"spec": {"a": 1, "b": 2}});
        apply(PatchType::Merge, &mut o, br#"{"spec": {"a": null, "c": 3}}"#).unwrap();
        assert_eq!(o, json!({"spec": {"b": 2, "c": 3}}));
    }

    #[test]
    fn json_patch_applies_and_failed_tests_are_422() {
        let mut o = json!({"spec": {"description": "x"}});
        apply(PatchType::Json, &mut o, br#"[{"op":"replace","path":"/spec/description","value":"y"}]"#)
            .unwrap();
        assert_eq!(o["spec"]["description"], "y");
        let e = apply(PatchType::Json, &mut o, br#"[{"op":"test","path":"/spec/description","value":"z"}]"#)
            .unwrap_err();
        assert_eq!(e.code(), 422);
        let e = apply(PatchType::Json, &mut o, b"{not json").unwrap_err();
        assert_eq!(e.code(), 400);
    }

    #[test]
    fn a_test_for_null_passes_on_an_absent_path_as_in_kube_apiserver() {
        let mut o = json!({"metadata": {"name": "r"}});
        let patch = br#"[{"op":"test","path":"/metadata/finalizers","value":null},
                         {"op":"add","path":"/metadata/finalizers","value":["f"]}]"#;
        apply(PatchType::Json, &mut o, patch).unwrap();
        assert_eq!(o["metadata"]["finalizers"], json!(["f"]));
        // Present now: the same test fails.
        assert_eq!(apply(PatchType::Json, &mut o, patch).unwrap_err().code(), 422);
    }

    #[test]
    fn apply_merges_maps_and_replaces_lists() {
        let mut o = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1, 2], "keep": true}});
        apply(PatchType::Apply, &mut o, b"metadata:\n  labels:\n    b: '2'\nspec:\n  list: [3]\n").unwrap();
        assert_eq!(
            o,
            json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"list": [3], "keep": true}})
        );
    }
}
