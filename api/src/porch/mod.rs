//! Group `porch.kpt.dev`, version `v1alpha1`: the aggregated resources.

mod common;
mod package;
mod package_revision;
mod render;
mod resources;
mod task;
mod upstream;

pub use common::{
    Condition, ConditionStatus, PackageMetadata, PackageRevisionLifecycle, PackageRevisionRef,
    ParentReference, ReadinessGate, SecretRef,
};
pub use package::{PorchPackage, PorchPackageList, PorchPackageSpec, PorchPackageStatus};
pub use package_revision::{
    PackageRevision, PackageRevisionList, PackageRevisionSpec, PackageRevisionStatus,
};
pub use render::{
    FieldRef, FileRef, FunctionResult, FunctionResultList, RenderStatus, ResourceIdentifier, ResultItem,
};
pub use resources::{
    PackageRevisionResources, PackageRevisionResourcesList, PackageRevisionResourcesSpec,
    PackageRevisionResourcesStatus,
};
pub use task::{
    InitTaskSpec, MergeStrategy, PackageCloneTaskSpec, PackageEditTaskSpec, PackageUpgradeTaskSpec, Task,
    TaskType,
};
pub use upstream::{GitLock, GitPackage, Locator, OciPackage, RepositoryType, UpstreamPackage};
