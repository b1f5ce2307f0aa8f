//! PackageRevisionResources: the files of a package revision.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::render::RenderStatus;
use crate::object::is_zero;

aggregated_object! {
    /// The content of a package revision: every file of the package as a string. Same name and
    /// UID as its PackageRevision.
    pub struct PackageRevisionResources;
    /// A list of PackageRevisionResources.
    pub struct PackageRevisionResourcesList;
    info = crate::gvk::PACKAGE_REVISION_RESOURCES,
    spec = PackageRevisionResourcesSpec,
    status = PackageRevisionResourcesStatus,
}

/// The files of a package revision, with the revision's identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct PackageRevisionResourcesSpec {
    /// Path of the package in the repository.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub package_name: String,
    /// Workspace of the package revision.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub workspace_name: String,
    /// Revision number of the package revision (see PackageRevision `spec.revision`).
    #[serde(skip_serializing_if = "is_zero")]
    pub revision: i32,
    /// Name of the Repository object containing this package.
    #[serde(rename = "repository", skip_serializing_if = "String::is_empty")]
    pub repository_name: String,
    /// Content of every file of the package, by path relative to the package root
    /// (e.g. `Kptfile`, `sub/deployment.yaml`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: BTreeMap<String, String>,
}

/// The outcome of the last render, returned by updates only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct PackageRevisionResourcesStatus {
    /// Result of rendering the package resources.
    pub render_status: RenderStatus,
}
