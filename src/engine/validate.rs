//! Object-level validation of PackageRevision requests (porch-api.md §4.1 steps 1–2, §4.2):
//! the managed latest-revision label, package and workspace names, the repository, and the
//! resourceVersion of updates. Pure; only [`prepare_for_update`] mutates (its `new` argument).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use porch_api::labels::LATEST_REVISION_LABEL;
use porch_api::names::validate_directory_name;
use porch_api::porch::{PackageRevision, PackageRevisionSpec};
use porch_layers::FieldCause;
use porch_layers::object_meta::names::dns1123_label;

use super::EngineError;
use super::error::invalid_value;
use super::lifecycle;
use crate::engine::Result;

/// The field path of the managed label in causes.
pub(crate) const LATEST_LABEL_FIELD: &str = "metadata.labels[kpt.dev/latest-revision]";

/// The create-time checks of Porch's strategy `Validate` (§4.1 step 2), in Porch's order: the
/// latest label, `spec.packageName`, `spec.workspaceName`, `spec.lifecycle`. Empty when valid.
/// Used by the create strategy (→ 422).
pub(crate) fn validate_create(pr: &PackageRevision) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    causes.extend(latest_label_on_create(pr.metadata.labels.as_ref()));
    causes.extend(check_package_name(&pr.spec.package_name));
    causes.extend(check_workspace_name(&pr.spec.workspace_name));
    causes.extend(lifecycle::validate_create_lifecycle(pr.spec.lifecycle.as_ref()).err());
    causes
}

/// The update-time checks of Porch's strategy `ValidateUpdate` (§4.2): the latest label may not
/// change, then the lifecycle rules of [`lifecycle::update_transition`]. Empty when valid.
/// Used by the update strategy (→ 422); the engine calls `update_transition` for the decision.
pub(crate) fn validate_update(old: &PackageRevision, new: &PackageRevision) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    causes.extend(latest_label_on_update(old.metadata.labels.as_ref(), new.metadata.labels.as_ref()));
    if let Err(more) = lifecycle::update_transition(&old.spec, &new.spec) {
        causes.extend(more);
    }
    causes
}

/// Forbidden when a create request carries `kpt.dev/latest-revision` (any value).
pub(crate) fn latest_label_on_create(labels: Option<&BTreeMap<String, String>>) -> Option<FieldCause> {
    labels.is_some_and(|l| l.contains_key(LATEST_REVISION_LABEL)).then(|| {
        FieldCause::forbidden(LATEST_LABEL_FIELD, "label is managed by porch and cannot be set by users")
    })
}

/// Forbidden when an update adds, changes or removes `kpt.dev/latest-revision` (an absent label
/// equals an empty value, as in Porch).
pub(crate) fn latest_label_on_update(
    old: Option<&BTreeMap<String, String>>,
    new: Option<&BTreeMap<String, String>>,
) -> Option<FieldCause> {
    let value = |l: Option<&BTreeMap<String, String>>| {
        l.and_then(|l| l.get(LATEST_REVISION_LABEL)).map_or("", String::as_str).to_string()
    };
    (value(old) != value(new)).then(|| {
        FieldCause::forbidden(LATEST_LABEL_FIELD, "label is managed by porch and cannot be modified by users")
    })
}

/// `spec.packageName` must be a directory name (DNS-1123 label rules, `/` allowed, no `//`),
/// and — unlike Porch, whose git backend then fails — a path relative to the repository
/// directory: no leading or trailing `/`. The one check of the package path, so a dry run
/// refuses what the real create refuses.
pub(crate) fn check_package_name(package_name: &str) -> Option<FieldCause> {
    let mut problems: Vec<String> = validate_directory_name(package_name, true).err().into_iter().collect();
    if package_name.starts_with('/') || package_name.ends_with('/') {
        problems.push("must not start or end with '/'".to_string());
    }
    (!problems.is_empty()).then(|| invalid_value("spec.packageName", package_name, &problems.join(",")))
}

/// `spec.workspaceName` must be a DNS-1123 label (Porch's `ValidateK8SName`).
pub(crate) fn check_workspace_name(workspace: &str) -> Option<FieldCause> {
    let errs = dns1123_label(workspace);
    (!errs.is_empty()).then(|| invalid_value("spec.workspaceName", workspace, &errs.join(",")))
}

/// `spec.repository` must be set (§4.1 step 1): 400 "spec.repositoryName is required" (sic).
pub(crate) fn require_repository(spec: &PackageRevisionSpec) -> Result<()> {
    if spec.repository_name.is_empty() {
        return Err(EngineError::bad_request("spec.repositoryName is required"));
    }
    Ok(())
}

/// An update must carry `metadata.resourceVersion` (§4.2): 422 Required on
/// `metadata.resourceVersion` with Porch's text. Comparing it with the current one is the
/// cache's job (409).
pub(crate) fn require_resource_version(meta: &ObjectMeta) -> Result<()> {
    if meta.resource_version.as_deref().unwrap_or("").is_empty() {
        return Err(EngineError::invalid(FieldCause::required(
            "metadata.resourceVersion",
            "resourceVersion must be specified for an update",
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
