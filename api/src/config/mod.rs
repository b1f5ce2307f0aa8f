//! Group `config.porch.kpt.dev`, version `v1alpha1`: the custom resources (Repository, PackageRev,
//! FunctionConfig).

mod function_config;
mod package_rev;
mod repository;
mod shadow;

pub use function_config::{
    AT_LEAST_ONE_EXECUTOR, BinaryExecutorConfig, ContainerOverrides, DEFAULT_POD_TIME_TO_LIVE,
    FunctionConfig, FunctionConfigSpec, FunctionConfigStatus, GoExecutorConfig, PodExecutorConfig,
    TemplateOverrides,
};
pub use package_rev::{PackageRev, PackageRevSpec, PackageRevStatus, RevisionState};
pub use repository::{
    CONDITION_READY, DEFAULT_BRANCH, DEFAULT_CONTENT, GitRepository, OciRepository, REASON_ERROR,
    REASON_READY, REASON_RECONCILING, Repository, RepositorySpec, RepositoryStatus, RepositorySync,
};
pub use shadow::{OWNER_REFERENCES_ANNOTATION, UserMeta, set_shadow_meta, user_finalizers, user_labels};
