//! Repository: a git repository (or OCI registry) of packages registered with Porch.

// `KubeSchema` copies each struct, visibility included, into a private scope.
#![allow(unreachable_pub)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use kube::KubeSchema;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::object::{empty_as_none, is_false, is_zero};
use crate::porch::{RepositoryType, SecretRef};

/// Default of `spec.content`.
pub const DEFAULT_CONTENT: &str = "Package";

/// Default of `spec.git.branch`.
pub const DEFAULT_BRANCH: &str = "main";

/// Condition type reporting whether the repository is ready.
pub const CONDITION_READY: &str = "Ready";
/// Reason of a `Ready=True` condition.
pub const REASON_READY: &str = "Ready";
/// Reason of a `Ready=False` condition caused by an error.
pub const REASON_ERROR: &str = "Error";
/// Reason of a `Ready=False` condition while the repository is being synchronised.
pub const REASON_RECONCILING: &str = "Reconciling";

/// The desired state of a Repository.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[kube(
    group = "config.porch.kpt.dev",
    version = "v1alpha1",
    kind = "Repository",
    plural = "repositories",
    singular = "repository",
    shortname = "repo",
    namespaced,
    status = "RepositoryStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = "Repository defines a Porch repository",
    printcolumn(name = "Type", type_ = "string", json_path = ".spec.type"),
    printcolumn(name = "Content", type_ = "string", json_path = ".spec.content"),
    printcolumn(name = "Sync schedule", type_ = "string", json_path = ".spec.sync.schedule"),
    printcolumn(name = "Deployment", type_ = "boolean", json_path = ".spec.deployment"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type=='Ready')].status"),
    printcolumn(name = "Address", type_ = "string", json_path = ".spec['git','oci']['repo','registry']"),
    printcolumn(name = "Branch", type_ = "string", json_path = ".spec.git.branch"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    validation = Rule::new("self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')")
        .message("metadata.name must conform to the RFC1123 DNS label standard"),
    validation = Rule::new("size(self.metadata.name) <= 63").message("metadata.name must be no more than 63 characters"),
)]
#[serde(rename_all = "camelCase")]
pub struct RepositorySpec {
    /// User-friendly description of the repository.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The repository is a deployment repository; final packages in this repository are
    /// deployment ready.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deployment: bool,
    /// Type of the repository: `git` or `oci`.
    #[serde(
        rename = "type",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "empty_as_none"
    )]
    #[schemars(schema_with = "repository_type_schema")]
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.type is immutable"))]
    pub type_: Option<RepositoryType>,
    /// Deprecated; do not specify it in new manifests. Its only valid value is `Package`, which
    /// is also the default.
    #[serde(default = "default_content", skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self == '' || self == 'Package'")
        .message("The 'content' field is deprecated, its only valid value is 'Package'"))]
    pub content: Option<String>,
    /// When to synchronise the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<RepositorySync>,
    /// Git repository details. Required if `type` is `git`; ignored otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitRepository>,
    /// OCI registry details. Required if `type` is `oci`; ignored otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<OciRepository>,
}

/// `Option<RepositoryType>` as a CRD wants it: nullable, without `null` among the enum values.
fn repository_type_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "enum": RepositoryType::KNOWN, "nullable": true })
}

fn default_content() -> Option<String> {
    Some(DEFAULT_CONTENT.to_string())
}

fn default_branch() -> String {
    DEFAULT_BRANCH.to_string()
}

/// When a repository is synchronised.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct RepositorySync {
    /// Cron schedule of periodic synchronisation, e.g. `*/10 * * * *` for every 10 minutes.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub schedule: String,
    /// Time at which to synchronise once, outside the periodic schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_once_at: Option<Time>,
}

/// A git repository holding packages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitRepository {
    /// Address of the git repository, e.g. `https://github.com/GoogleCloudPlatform/blueprints.git`.
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.git.repo is immutable"))]
    pub repo: String,
    /// Branch holding the packages; published packages are committed to it. Defaults to `main`.
    #[serde(default = "default_branch", skip_serializing_if = "String::is_empty")]
    #[schemars(length(min = 1))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.git.branch is immutable"))]
    pub branch: String,
    /// Whether Porch creates the branch when it does not exist.
    #[serde(default, skip_serializing_if = "is_false")]
    pub create_branch: bool,
    /// Directory of the repository holding the packages; a subdirectory containing a Kptfile is
    /// a package. Defaults to the root directory.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.git.directory is immutable"))]
    pub directory: String,
    /// Secret holding the credentials for the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
    /// Author of the commits Porch makes (instead of the requesting user).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author: String,
    /// Email of the author of the commits Porch makes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
}

/// An OCI registry holding packages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct OciRepository {
    /// Address of the OCI registry.
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.oci.registry is immutable"))]
    pub registry: String,
    /// Secret holding the credentials for the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
}

/// The observed state of a Repository.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct RepositoryStatus {
    /// The reconciliation state of the repository; condition type `Ready`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// When the last full synchronisation finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_full_sync_time: Option<Time>,
    /// The `metadata.generation` the status was computed for.
    #[serde(skip_serializing_if = "is_zero")]
    pub observed_generation: i64,
    /// The `spec.sync.runOnceAt` that was last acted upon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_run_once_at: Option<Time>,
    /// Number of package revisions found in the repository.
    #[serde(skip_serializing_if = "is_zero")]
    pub package_count: i32,
    /// Commit at the head of the configured branch.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub git_commit_hash: String,
    /// When the next full synchronisation is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_full_sync_time: Option<Time>,
}

impl RepositoryStatus {
    /// The `Ready` condition, if the status has one.
    pub fn ready(&self) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == CONDITION_READY)
    }
}

impl RepositorySpec {
    /// The branch of a git repository (`main` when unset).
    pub fn branch(&self) -> &str {
        match &self.git {
            Some(git) if !git.branch.is_empty() => &git.branch,
            _ => DEFAULT_BRANCH,
        }
    }
}
