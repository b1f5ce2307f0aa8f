//! PackageRev: the internal shadow object of each PackageRevision. Only its metadata matters:
//! labels, annotations, finalizers and owner references of the PackageRevision live here.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The desired state of a PackageRev (empty).
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
pub struct PackageRevSpec {}

/// The observed state of a PackageRev (empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PackageRevStatus {}
