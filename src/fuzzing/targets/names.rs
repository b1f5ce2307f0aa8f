//! The `names` target: object names and package file paths, checked directly and used in URLs
//! and bodies.

use http::Method;
use porch_api::names;
use porch_layers::object_meta::names as dns1123;
use serde_json::{Value, json};

use super::super::harness::{Harness, NS};
use super::{collection, current, segment};
use crate::engine::{resources, validate};

/// Item paths that take a name.
const ITEMS: &[(&str, &str)] = &[
    ("porch.kpt.dev", "packagerevisions"),
    ("porch.kpt.dev", "packagerevisionresources"),
    ("porch.kpt.dev", "packages"),
    ("config.porch.kpt.dev", "repositories"),
    ("config.porch.kpt.dev", "packagerevs"),
    ("", "secrets"),
];

/// The input as text is parsed as a PackageRevision and a package name (one that parses and is a
/// DNS-1123 subdomain must compose back to itself), checked as a directory, DNS label and subdomain, package file
/// path, package and workspace name. Then it is used as the name in a get of every resource,
/// as the package and workspace of a dry-run PackageRevision create, and as a file path in a
/// dry-run PackageRevisionResources update.
///
/// # Panics
/// When a property above fails, or as [`super::http`].
pub fn names(harness: &Harness, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    pure(&text);

    let name = segment(data);
    for (group, resource) in ITEMS {
        harness.send(Method::GET, &format!("{}/{name}", collection(group, resource)), &[], Vec::new());
    }
    harness.send(Method::GET, &format!("/api/v1/namespaces/{name}"), &[], Vec::new());

    harness.ensure_draft();
    let create = json!({
        "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision", "metadata": {"namespace": NS},
        "spec": {"repository": harness.repository(), "packageName": text, "workspaceName": text},
    });
    harness.send_json(
        Method::POST,
        &format!("{}?dryRun=All", collection("porch.kpt.dev", "packagerevisions")),
        &create,
    );

    let draft = harness.draft();
    let path = format!("{}/{draft}", collection("porch.kpt.dev", "packagerevisionresources"));
    let mut resources = current(harness, &path);
    if let Some(files) = resources["spec"]["resources"].as_object_mut() {
        files.insert(text.to_string(), Value::from("kind: ConfigMap\n"));
    }
    harness.send_json(Method::PUT, &format!("{path}?dryRun=All"), &resources);
}

fn pure(text: &str) {
    // Parsing splits at dots and checks the parts (as Porch does), so `r..p` parses as `r.p`;
    // an object name that is a DNS-1123 subdomain must compose back to itself.
    let object_name = dns1123::is_dns1123_subdomain(text);
    if let Ok(key) = names::parse_package_revision_name(text)
        && object_name
    {
        assert_eq!(key.name(), text, "PackageRevision name {text:?} parses as {key:?}, which names another");
    }
    if let Ok(key) = names::parse_package_name(text)
        && object_name
    {
        assert_eq!(key.name(), text, "package name {text:?} parses as {key:?}, which names another");
    }
    let _ = names::workspace_of(text);
    let _ = names::validate_directory_name(text, true);
    let _ = names::validate_directory_name(text, false);
    assert_eq!(dns1123::is_dns1123_label(text), dns1123::dns1123_label(text).is_empty());
    assert_eq!(dns1123::is_dns1123_subdomain(text), dns1123::dns1123_subdomain(text).is_empty());
    let problem = resources::path_problem(text);
    assert_eq!(problem.is_some(), !resources::validate_paths([text]).is_empty());
    let _ = resources::resource_field(text);
    let _ = validate::check_package_name(text);
    let _ = validate::check_workspace_name(text);
}
