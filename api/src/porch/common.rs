//! Small types shared by the porch.kpt.dev objects.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Lifecycle stage of a package revision.
    pub enum PackageRevisionLifecycle {
        /// Being edited; content can change.
        Draft = "Draft",
        /// Proposed for publication; waiting for approval.
        Proposed = "Proposed",
        /// Published (approved); content is immutable.
        Published = "Published",
        /// Published, and proposed for deletion.
        DeletionProposed = "DeletionProposed",
    }
}

impl PackageRevisionLifecycle {
    /// Whether the revision is published: `Published` or `DeletionProposed`.
    pub fn is_published(&self) -> bool {
        matches!(self, Self::Published | Self::DeletionProposed)
    }
}

string_enum! {
    /// Status of a condition.
    pub enum ConditionStatus {
        /// The condition holds.
        True = "True",
        /// The condition does not hold.
        False = "False",
        /// Not known whether the condition holds.
        Unknown = "Unknown",
    }
    default = Unknown;
}

/// A condition of a package revision, mirrored from the Kptfile `status.conditions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct Condition {
    /// Type of the condition, e.g. `Rendered`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Status of the condition: `True`, `False` or `Unknown`.
    pub status: ConditionStatus,
    /// Machine-readable reason for the condition's last transition.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Human-readable details.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// A condition that must be `True` before the package revision may be published (mirror of the
/// Kptfile `info.readinessGates`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct ReadinessGate {
    /// Type of the condition that must be `True`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub condition_type: String,
}

/// Labels and annotations of the package (the Kptfile `metadata`, not the object's own).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct PackageMetadata {
    /// Labels of the Kptfile.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations of the Kptfile.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A reference to a parent package (deprecated; only used to build package context paths).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct ParentReference {
    /// Name of the parent PackageRevision.
    pub name: String,
}

/// A reference to a PackageRevision by object name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct PackageRevisionRef {
    /// Name of the referenced PackageRevision.
    pub name: String,
}

/// A reference to a Secret in the namespace of the referring object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    /// Name of the secret. The secret is expected to be located in the same namespace as the
    /// resource containing the reference.
    pub name: String,
}
