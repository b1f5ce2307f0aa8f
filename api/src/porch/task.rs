//! Tasks: how a package revision was created.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::PackageRevisionRef;
use super::upstream::UpstreamPackage;
use crate::object::empty_as_none;

string_enum! {
    /// Type of a task.
    pub enum TaskType {
        /// Create a new package.
        Init = "init",
        /// Clone an upstream package.
        Clone = "clone",
        /// Copy ("edit") a published revision of the same package.
        Edit = "edit",
        /// Upgrade a package to a new upstream revision.
        Upgrade = "upgrade",
        /// Re-render the package (recorded in git commit annotations).
        Render = "render",
        /// Push a draft (used internally).
        Push = "push",
        /// No type (`""`).
        Unspecified = "",
    }
    default = Unspecified;
}

impl TaskType {
    /// Whether requests may create a revision with this task type (init, clone, edit, upgrade).
    pub fn is_creation(&self) -> bool {
        matches!(self, Self::Init | Self::Clone | Self::Edit | Self::Upgrade)
    }
}

string_enum! {
    /// How upstream changes are merged into the local package.
    pub enum MergeStrategy {
        /// Structural comparison of original and updated resources, merged into the local package
        /// (the default).
        ResourceMerge = "resource-merge",
        /// Fail if the local package was modified since it was fetched.
        FastForward = "fast-forward",
        /// Drop local changes and replace the package with the upstream version.
        ForceDeleteReplace = "force-delete-replace",
        /// Copy all upstream changes into the local package.
        CopyMerge = "copy-merge",
    }
}

/// An operation performed on a package revision. Revisions created by Porch carry exactly one
/// creation task (init, clone, edit or upgrade); revisions found in git may have none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct Task {
    /// Type of the task: `init`, `clone`, `edit`, `upgrade` (also `render`, `push`).
    #[serde(rename = "type")]
    pub type_: TaskType,
    /// Parameters of an `init` task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<InitTaskSpec>,
    /// Parameters of a `clone` task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clone: Option<PackageCloneTaskSpec>,
    /// Parameters of an `edit` task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit: Option<PackageEditTaskSpec>,
    /// Parameters of an `upgrade` task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<PackageUpgradeTaskSpec>,
}

/// Parameters of a package initialisation task.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct InitTaskSpec {
    /// Directory path of a subpackage to initialise. If unspecified, the main package is
    /// initialised.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subpackage: String,
    /// Short description of the package.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Keywords describing the package.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Link to a page with information about the package.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub site: String,
}

/// Parameters of a clone task.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct PackageCloneTaskSpec {
    /// The upstream package to clone.
    #[serde(rename = "upstreamRef")]
    pub upstream: UpstreamPackage,
    /// Strategy for later updates; defaults to `resource-merge`.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "empty_as_none")]
    pub strategy: Option<MergeStrategy>,
}

/// Parameters of an edit ("copy") task.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct PackageEditTaskSpec {
    /// The published revision of the same package to copy.
    #[serde(rename = "sourceRef", skip_serializing_if = "Option::is_none")]
    pub source: Option<PackageRevisionRef>,
}

/// Parameters of an upgrade task.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct PackageUpgradeTaskSpec {
    /// The original upstream revision: the common ancestor of the local revision and the new
    /// upstream revision.
    #[serde(rename = "oldUpstreamRef")]
    pub old_upstream: PackageRevisionRef,
    /// The upstream revision to upgrade to.
    #[serde(rename = "newUpstreamRef")]
    pub new_upstream: PackageRevisionRef,
    /// The local revision holding the local changes on top of the old upstream.
    pub local_package_revision_ref: PackageRevisionRef,
    /// How to merge; defaults to `resource-merge`.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "empty_as_none")]
    pub strategy: Option<MergeStrategy>,
}
