//! PorchPackage (`packages`): a package across its revisions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::object::is_zero;

aggregated_object! {
    /// A package of a repository, across all its revisions.
    pub struct PorchPackage;
    /// A list of PorchPackages.
    pub struct PorchPackageList;
    info = crate::gvk::PORCH_PACKAGE,
    spec = PorchPackageSpec,
    status = PorchPackageStatus,
}

/// Identity of a package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct PorchPackageSpec {
    /// Path of the package in the repository.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub package_name: String,
    /// Name of the Repository object containing this package.
    #[serde(rename = "repository", skip_serializing_if = "String::is_empty")]
    pub repository_name: String,
}

/// Observed state of a package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct PorchPackageStatus {
    /// Revision number of the latest published revision (placeholder revisions excluded).
    #[serde(skip_serializing_if = "is_zero")]
    pub latest_revision: i32,
}
