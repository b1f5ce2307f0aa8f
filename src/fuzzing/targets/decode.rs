//! The `decode` target: request bodies in every media type, on every resource that takes one.

use http::{HeaderValue, Method, header};

use super::super::harness::Harness;
use super::{substitute, with_resource_version};

/// Content types a body is sent with (the first input byte picks one).
const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
    "application/json; charset=utf-8",
    "application/x-yaml",
    "text/yaml",
    "",
    "application/cbor",
];

/// Where a body is sent (the second input byte picks one). Creates and updates are dry runs,
/// so the fixtures stay as they are; deletes name objects that do not exist or, for the
/// collection, a label nothing carries.
const TARGETS: &[(Method, &str)] = &[
    (Method::POST, "/api/v1/namespaces/default/secrets?dryRun=All"),
    (Method::POST, "/api/v1/namespaces?dryRun=All"),
    (Method::POST, "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories?dryRun=All"),
    (Method::POST, "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/packagerevs?dryRun=All"),
    (Method::POST, "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions?dryRun=All"),
    (Method::PUT, "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions/@DRAFT@?dryRun=All"),
    (
        Method::PUT,
        "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisionresources/@DRAFT@?dryRun=All",
    ),
    (Method::PUT, "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories/@REPO@?dryRun=All"),
    (
        Method::PUT,
        "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories/@REPO@/status?dryRun=All",
    ),
    (
        Method::PUT,
        "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions/@DRAFT@/approval?dryRun=All",
    ),
    (Method::PUT, "/api/v1/namespaces/default/secrets/creds?dryRun=All"),
    (Method::PUT, "/api/v1/namespaces/default?dryRun=All"),
    (Method::DELETE, "/api/v1/namespaces/default/secrets/absent"),
    (Method::DELETE, "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions/absent.pkg.ws"),
    (
        Method::DELETE,
        "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories?labelSelector=fuzz%3Dnothing",
    ),
];

/// `fieldValidation` values (the third input byte picks one).
const FIELD_VALIDATION: &[&str] =
    &["", "&fieldValidation=Strict", "&fieldValidation=Warn", "&fieldValidation=Ignore"];

/// Sends the body after the first three bytes with the content type, to the target and with the
/// field validation they pick. `@RV@` in the body becomes the target object's resourceVersion.
///
/// # Panics
/// As [`super::http`].
pub fn decode(harness: &Harness, data: &[u8]) {
    let [content_type, target, validation, body @ ..] = data else { return };
    let content_type = CONTENT_TYPES[usize::from(*content_type) % CONTENT_TYPES.len()];
    let (method, path) = &TARGETS[usize::from(*target) % TARGETS.len()];
    let validation = FIELD_VALIDATION[usize::from(*validation) % FIELD_VALIDATION.len()];
    let Some(path) = substitute(harness, path.as_bytes()) else { return };
    let path = String::from_utf8(path).expect("the targets are text");
    let path = if path.contains('?') { format!("{path}{validation}") } else { path };
    let Some(body) = substitute(harness, body) else { return };
    let body = with_resource_version(harness, &path, body);
    let mut headers = Vec::new();
    if !content_type.is_empty() {
        headers.push((header::CONTENT_TYPE, HeaderValue::from_static(content_type)));
    }
    harness.send(method.clone(), &path, &headers, body);
}
