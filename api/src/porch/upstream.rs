//! Upstream package references and resolved locators.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{PackageRevisionRef, SecretRef};
use crate::object::empty_as_none;

string_enum! {
    /// Type of a repository or upstream.
    pub enum RepositoryType {
        /// A git repository.
        Git = "git",
        /// An OCI registry.
        Oci = "oci",
    }
}

/// An upstream package: either directly in a git or OCI repository, or a PackageRevision of a
/// registered repository (`upstreamRef`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct UpstreamPackage {
    /// Type of the repository (`git` or `oci`). If empty, `upstreamRef` is used.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none", deserialize_with = "empty_as_none")]
    pub type_: Option<RepositoryType>,
    /// Git upstream package. Required if `type` is `git`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<GitPackage>,
    /// OCI upstream package. Required if `type` is `oci`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oci: Option<OciPackage>,
    /// A PackageRevision of a registered repository, instead of an external package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_ref: Option<PackageRevisionRef>,
}

/// A package in a git repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct GitPackage {
    /// Address of the git repository, e.g. `https://github.com/GoogleCloudPlatform/blueprints.git`.
    pub repo: String,
    /// Git ref holding the package: a branch, tag or commit SHA.
    #[serde(rename = "ref")]
    pub ref_: String,
    /// Directory of the package within the repository.
    pub directory: String,
    /// Secret with the credentials for the repository (optional).
    pub secret_ref: SecretRef,
}

/// A package in an OCI registry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct OciPackage {
    /// Address of the OCI image.
    pub image: String,
}

/// A resolved location of a package (kpt's `UpstreamLock`): where it was fetched from, or where
/// a revision lives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct Locator {
    /// Type of the origin, `git`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none", deserialize_with = "empty_as_none")]
    pub type_: Option<RepositoryType>,
    /// Resolved location in git.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<GitLock>,
}

/// A resolved location in a git repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct GitLock {
    /// The git repository, e.g. `https://github.com/kubernetes/examples.git`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub repo: String,
    /// Directory of the package within the repository, e.g. `staging/cockroachdb`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub directory: String,
    /// The branch, tag or commit that was fetched, e.g. `main` or `pkg/v1`.
    #[serde(rename = "ref", skip_serializing_if = "String::is_empty")]
    pub ref_: String,
    /// SHA-1 of the commit.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub commit: String,
}
