//! PackageRev: the internal shadow object of each PackageRevision. Its metadata holds the
//! labels, annotations, finalizers and owner references of the PackageRevision; its spec the
//! revision as the server last indexed it ([`RevisionState`]), so that every change of the
//! revision is a write of its PackageRev and the PackageRevision's resourceVersion is the
//! PackageRev's (in both modes, whatever serves PackageRevs).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The spec of a PackageRev: the state of its revision, written by the server.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "config.porch.kpt.dev",
    version = "v1alpha1",
    kind = "PackageRev",
    plural = "packagerevs",
    singular = "packagerev",
    namespaced,
    status = "PackageRevStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = "PackageRev holds the Kubernetes metadata (labels, annotations, finalizers, owner references) of a PackageRevision"
)]
pub struct PackageRevSpec {
    /// The revision as last indexed (absent on a PackageRev made before its revision was, and
    /// once the revision is gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RevisionState>,
}

/// What identifies one state of a package revision: everything else the API shows of it
/// follows from these (the commit fixes the tree, the tasks and the Kptfile).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionState {
    /// The git ref holding the revision (`refs/heads/drafts/pkg/ws`, `refs/tags/pkg/v1`).
    #[serde(rename = "ref")]
    pub ref_: String,
    /// The commit of the ref the revision was read from.
    pub commit: String,
    /// The lifecycle (`Draft`, `Proposed`, `Published`, `DeletionProposed`).
    pub lifecycle: String,
    /// The revision number (0 for drafts, -1 for the branch placeholder).
    pub revision: i32,
    /// Whether it is the latest published revision of its package.
    #[serde(default)]
    pub latest: bool,
}

/// The observed state of a PackageRev (empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PackageRevStatus {}
