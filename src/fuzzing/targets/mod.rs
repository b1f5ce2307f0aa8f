//! The entry points, one file each, and what they share: placeholders in inputs, URL encoding,
//! and the list endpoints.

mod continue_tokens;
mod decode;
mod kptfile;
mod names;
mod patch;
mod raw_request;
mod selectors;

pub use continue_tokens::continue_tokens;
pub use decode::decode;
pub use kptfile::kptfile;
pub use names::names;
pub use patch::patch;
pub use raw_request::http;
pub use selectors::selectors;

use http::Method;
use serde_json::Value;

use super::harness::{Harness, NS};

/// Every list endpoint: each stored kind in a namespace and across namespaces, and each
/// engine-backed resource.
const LISTS: &[&str] = &[
    "/api/v1/namespaces",
    "/api/v1/namespaces/default/secrets",
    "/api/v1/secrets",
    "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories",
    "/apis/config.porch.kpt.dev/v1alpha1/repositories",
    "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/packagerevs",
    "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions",
    "/apis/porch.kpt.dev/v1alpha1/packagerevisions",
    "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisionresources",
    "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packages",
];

/// Inputs name the fixtures with placeholders, so a corpus file works against any harness:
/// `@REMOTE@` and `@EMPTY@` (the `file://` URLs of the remotes), `@REPO@` (the Ready
/// Repository) and `@DRAFT@` (the draft PackageRevision). `None` for an input that names a
/// `file:` URL of its own: the server would clone (and could push to) any local repository.
fn substitute(harness: &Harness, data: &[u8]) -> Option<Vec<u8>> {
    let lower = data.to_ascii_lowercase();
    if lower.windows(5).any(|w| w == b"file:") || lower.windows(7).any(|w| w == b"file%3a") {
        return None;
    }
    let mentions = |p: &[u8]| data.windows(p.len()).any(|w| w == p);
    if mentions(b"@REPO@") || mentions(b"@DRAFT@") {
        harness.ensure_draft();
    }
    let mut out = data.to_vec();
    for (placeholder, value) in [
        (&b"@REMOTE@"[..], harness.remote_url().to_string()),
        (b"@EMPTY@", harness.empty_url().to_string()),
        (b"@REPO@", harness.repository()),
        (b"@DRAFT@", harness.draft()),
    ] {
        out = replace(&out, placeholder, value.as_bytes());
    }
    Some(out)
}

fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// `@RV@` in `body` replaced by the current `metadata.resourceVersion` of the object at `path`
/// (its query dropped), so an update can pass the optimistic-lock check and reach validation.
fn with_resource_version(harness: &Harness, path: &str, body: Vec<u8>) -> Vec<u8> {
    if !body.windows(4).any(|w| w == b"@RV@") {
        return body;
    }
    let path = path.split('?').next().unwrap_or(path);
    let current = harness.send(Method::GET, path, &[], Vec::new());
    let rv = current
        .json()
        .and_then(|v| v["metadata"]["resourceVersion"].as_str().map(str::to_string))
        .unwrap_or_else(|| "0".to_string());
    replace(&body, b"@RV@", rv.as_bytes())
}

/// `text` as one URL path segment: every byte but the unreserved ones percent-encoded.
fn segment(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text {
        if b.is_ascii_alphanumeric() || b"-._~".contains(b) {
            out.push(char::from(*b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `text` as a query value.
fn query_value(text: &[u8]) -> String {
    form_urlencoded::byte_serialize(text).collect()
}

/// The current object at `path` (it must exist: the harness made it).
fn current(harness: &Harness, path: &str) -> Value {
    let got = harness.send(Method::GET, path, &[], Vec::new());
    got.json().unwrap_or_else(|| panic!("GET {path} answered {} without JSON", got.status))
}

/// Path of the fixture namespace's collection of `resource` in `group` (`""` for core).
fn collection(group: &str, resource: &str) -> String {
    match group {
        "" => format!("/api/v1/namespaces/{NS}/{resource}"),
        g => format!("/apis/{g}/v1alpha1/namespaces/{NS}/{resource}"),
    }
}
