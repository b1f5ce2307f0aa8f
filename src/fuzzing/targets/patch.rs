//! The `patch` target: PATCH of every resource in every patch type.

use http::{HeaderValue, Method, header};
use porch_layers::patch::strategic::StrategicSchema;
use porch_layers::patch::{self, PatchType};
use serde_json::json;

use super::super::harness::Harness;
use super::substitute;

/// What a patch is sent to (the first input byte picks one).
const TARGETS: &[&str] = &[
    "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories/@REPO@",
    "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories/@REPO@/status",
    "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions/@DRAFT@",
    "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions/@DRAFT@/approval",
    "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisionresources/@DRAFT@",
    "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packages/@REPO@.pkg",
    "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/packagerevs/@DRAFT@",
    "/api/v1/namespaces/default/secrets/creds",
    "/api/v1/namespaces/default",
    "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions/@REPO@.pkg.v1",
];

/// Patch content types (the second byte's low three bits pick one; apply with and without a
/// field manager, and strategic merge, applied to Secrets, Namespaces and the porch.kpt.dev
/// resources and refused with 415 on the custom resources).
const PATCH_TYPES: &[(&str, &str)] = &[
    ("application/merge-patch+json", ""),
    ("application/json-patch+json", ""),
    ("application/apply-patch+yaml", "fieldManager=fuzz"),
    ("application/apply-patch+yaml", ""),
    ("application/strategic-merge-patch+json", ""),
    ("application/apply-patch+yaml", "fieldManager=fuzz&force=true"),
    ("application/json", ""),
    ("application/merge-patch+json", "fieldValidation=Strict"),
];

/// Applies the body after the first two bytes directly (each patch type, to a fixed object) and
/// sends it as a PATCH to the object and with the type they pick; the second byte's top bit
/// says whether the patch is real (1) or a dry run (0). The harness replaces a draft a real
/// patch published or deleted.
///
/// # Panics
/// When a direct patch fails with a status outside 4xx, or as [`super::http`].
pub fn patch(harness: &Harness, data: &[u8]) {
    let [target, kind, body @ ..] = data else { return };
    let strategic = PatchType::Strategic(&StrategicSchema::OBJECT_META);
    for patch_type in [PatchType::Merge, PatchType::Json, PatchType::Apply, strategic] {
        let mut object =
            json!({"metadata": {"name": "x", "labels": {"a": "b"}}, "spec": {"list": [1, {"k": "v"}]}});
        if let Err(e) = patch::apply(patch_type, &mut object, body) {
            assert!((400..500).contains(&e.code()), "{patch_type:?} patch failed with {}: {e}", e.code());
        }
    }
    let Some(path) = substitute(harness, TARGETS[usize::from(*target) % TARGETS.len()].as_bytes()) else {
        return;
    };
    let path = String::from_utf8(path).expect("the targets are text");
    let (content_type, query) = PATCH_TYPES[usize::from(kind & 0x7) % PATCH_TYPES.len()];
    let dry_run = if kind & 0x80 == 0 { "dryRun=All" } else { "" };
    let query: Vec<&str> = [query, dry_run].into_iter().filter(|q| !q.is_empty()).collect();
    let uri = if query.is_empty() { path } else { format!("{path}?{}", query.join("&")) };
    let Some(body) = substitute(harness, body) else { return };
    let headers = [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))];
    harness.send(Method::PATCH, &uri, &headers, body);
}
