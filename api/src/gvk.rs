//! Groups, versions, kinds and resource names of every type in this crate.

/// Group of the aggregated resources (PackageRevision, PackageRevisionResources, PorchPackage).
pub const PORCH_GROUP: &str = "porch.kpt.dev";
/// Version of the aggregated resources.
pub const PORCH_VERSION: &str = "v1alpha1";
/// `apiVersion` of the aggregated resources.
pub const PORCH_API_VERSION: &str = "porch.kpt.dev/v1alpha1";

/// Group of the CRDs (Repository, PackageRev).
pub const CONFIG_GROUP: &str = "config.porch.kpt.dev";
/// Version of the CRDs.
pub const CONFIG_VERSION: &str = "v1alpha1";
/// `apiVersion` of the CRDs.
pub const CONFIG_API_VERSION: &str = "config.porch.kpt.dev/v1alpha1";

/// Naming facts of one resource, as served in discovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResourceInfo {
    /// API group.
    pub group: &'static str,
    /// API version.
    pub version: &'static str,
    /// `group/version`.
    pub api_version: &'static str,
    /// Kind of a single object.
    pub kind: &'static str,
    /// Kind of a list of objects.
    pub list_kind: &'static str,
    /// Resource name in URLs.
    pub plural: &'static str,
    /// Singular resource name (discovery, kubectl).
    pub singular: &'static str,
    /// Short names (kubectl).
    pub short_names: &'static [&'static str],
    /// Whether objects live in a namespace.
    pub namespaced: bool,
}

/// `packagerevisions.porch.kpt.dev`.
pub const PACKAGE_REVISION: ResourceInfo = ResourceInfo {
    group: PORCH_GROUP,
    version: PORCH_VERSION,
    api_version: PORCH_API_VERSION,
    kind: "PackageRevision",
    list_kind: "PackageRevisionList",
    plural: "packagerevisions",
    singular: "packagerevision",
    short_names: &[],
    namespaced: true,
};

/// `packagerevisionresources.porch.kpt.dev` (singular equals plural).
pub const PACKAGE_REVISION_RESOURCES: ResourceInfo = ResourceInfo {
    group: PORCH_GROUP,
    version: PORCH_VERSION,
    api_version: PORCH_API_VERSION,
    kind: "PackageRevisionResources",
    list_kind: "PackageRevisionResourcesList",
    plural: "packagerevisionresources",
    singular: "packagerevisionresources",
    short_names: &[],
    namespaced: true,
};

/// `packages.porch.kpt.dev` (kind PorchPackage).
pub const PORCH_PACKAGE: ResourceInfo = ResourceInfo {
    group: PORCH_GROUP,
    version: PORCH_VERSION,
    api_version: PORCH_API_VERSION,
    kind: "PorchPackage",
    list_kind: "PorchPackageList",
    plural: "packages",
    singular: "package",
    short_names: &[],
    namespaced: true,
};

/// `repositories.config.porch.kpt.dev`.
pub const REPOSITORY: ResourceInfo = ResourceInfo {
    group: CONFIG_GROUP,
    version: CONFIG_VERSION,
    api_version: CONFIG_API_VERSION,
    kind: "Repository",
    list_kind: "RepositoryList",
    plural: "repositories",
    singular: "repository",
    short_names: &["repo"],
    namespaced: true,
};

/// `packagerevs.config.porch.kpt.dev`, the internal shadow of each PackageRevision.
pub const PACKAGE_REV: ResourceInfo = ResourceInfo {
    group: CONFIG_GROUP,
    version: CONFIG_VERSION,
    api_version: CONFIG_API_VERSION,
    kind: "PackageRev",
    list_kind: "PackageRevList",
    plural: "packagerevs",
    singular: "packagerev",
    short_names: &[],
    namespaced: true,
};

/// `functionconfigs.config.porch.kpt.dev`: how a function image is run.
pub const FUNCTION_CONFIG: ResourceInfo = ResourceInfo {
    group: CONFIG_GROUP,
    version: CONFIG_VERSION,
    api_version: CONFIG_API_VERSION,
    kind: "FunctionConfig",
    list_kind: "FunctionConfigList",
    plural: "functionconfigs",
    singular: "functionconfig",
    short_names: &[],
    namespaced: true,
};

/// The resources of `porch.kpt.dev/v1alpha1`, in discovery order.
pub const PORCH_RESOURCES: [ResourceInfo; 3] = [PACKAGE_REVISION, PACKAGE_REVISION_RESOURCES, PORCH_PACKAGE];

/// The resources of `config.porch.kpt.dev/v1alpha1` defined here.
pub const CONFIG_RESOURCES: [ResourceInfo; 3] = [REPOSITORY, PACKAGE_REV, FUNCTION_CONFIG];

/// `apiVersion` of kpt's FunctionResultList (the render result).
pub const FUNCTION_RESULT_LIST_API_VERSION: &str = "kpt.dev/v1";
/// Kind of kpt's render result.
pub const FUNCTION_RESULT_LIST_KIND: &str = "FunctionResultList";
