//! PackageRevision: one revision of a package in a repository.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, PackageMetadata, PackageRevisionLifecycle, ParentReference, ReadinessGate};
use super::task::Task;
use super::upstream::Locator;
use crate::object::{empty_as_none, is_false, is_zero};

aggregated_object! {
    /// A revision of a package: its identity, lifecycle and creation task. The content is in
    /// the PackageRevisionResources of the same name.
    pub struct PackageRevision;
    /// A list of PackageRevisions.
    pub struct PackageRevisionList;
    info = crate::gvk::PACKAGE_REVISION,
    spec = PackageRevisionSpec,
    status = PackageRevisionStatus,
}

impl PackageRevision {
    /// The lifecycle, `Draft` when unset.
    pub fn lifecycle(&self) -> PackageRevisionLifecycle {
        self.spec.lifecycle.clone().unwrap_or(PackageRevisionLifecycle::Draft)
    }

    /// Whether the revision is `Published` or `DeletionProposed`.
    pub fn is_published(&self) -> bool {
        self.lifecycle().is_published()
    }
}

/// The desired state of a PackageRevision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct PackageRevisionSpec {
    /// Path of the package in the repository (may contain `/`), relative to the repository
    /// directory.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub package_name: String,
    /// Name of the Repository object containing this package.
    #[serde(rename = "repository", skip_serializing_if = "String::is_empty")]
    pub repository_name: String,
    /// Short name, unique within the package, of the changes made in this revision.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub workspace_name: String,
    /// Revision number: 0 for drafts and proposals (omitted), N >= 1 once published, -1 for the
    /// placeholder revision tracking the repository branch.
    #[serde(skip_serializing_if = "is_zero")]
    pub revision: i32,
    /// Reference to a parent package (deprecated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentReference>,
    /// Lifecycle stage: `Draft`, `Proposed`, `Published` or `DeletionProposed`; `Draft` when unset.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "empty_as_none")]
    pub lifecycle: Option<PackageRevisionLifecycle>,
    /// The operations that made this revision; a single creation task (init, clone, edit or
    /// upgrade) for revisions made by Porch, empty for revisions found in git.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
    /// Conditions that must be `True` before the revision may be published (the Kptfile
    /// `info.readinessGates`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readiness_gates: Vec<ReadinessGate>,
    /// Labels and annotations of the package (the Kptfile `metadata`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_metadata: Option<PackageMetadata>,
}

/// The observed state of a PackageRevision.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct PackageRevisionStatus {
    /// Where the package was fetched from (the Kptfile `upstreamLock`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_lock: Option<Locator>,
    /// Where this revision lives: repository, directory, ref and commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_lock: Option<Locator>,
    /// Identity of the user who approved the revision.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub published_by: String,
    /// When the revision was approved; `null` when not published.
    #[serde(rename = "publishTimestamp")]
    pub published_at: Option<Time>,
    /// Whether this is a deployment package (in a deployment repository).
    #[serde(skip_serializing_if = "is_false")]
    pub deployment: bool,
    /// Conditions of the package (the Kptfile `status.conditions`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
