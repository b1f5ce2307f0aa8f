//! Wire types of the Porch API, with everything needed to name and describe them:
//!
//! - [`porch`]: group `porch.kpt.dev/v1alpha1`, the aggregated resources (PackageRevision,
//!   PackageRevisionResources, PorchPackage);
//! - [`config`]: group `config.porch.kpt.dev/v1alpha1`, the CRDs (Repository, PackageRev,
//!   FunctionConfig);
//! - [`names`]: object-name formation, parsing and validation (over the DNS-1123 rules of
//!   `porch_layers::object_meta::names`, the server's one implementation of them);
//! - [`uid`]: deterministic PackageRevision UIDs;
//! - [`labels`], [`gvk`]: well-known keys and resource naming constants;
//! - [`crd_yaml_files`]: the CRD manifests.
//!
//! Every type derives `schemars::JsonSchema`; doc comments become OpenAPI descriptions. No I/O.

#[macro_use]
mod macros;
mod object;

pub mod config;
mod crds;
pub mod gvk;
pub mod labels;
pub mod names;
pub mod plain_numbers;
pub mod porch;
pub mod uid;

pub use crate::{
    config::{FunctionConfig, PackageRev, Repository, RepositorySpec, RepositoryStatus},
    crds::crd_yaml_files,
    names::{
        NameError, PackageRevisionKey, package_name, package_revision_name, parse_package_revision_name,
    },
    porch::{
        PackageRevision, PackageRevisionList, PackageRevisionResources, PackageRevisionResourcesList,
        PorchPackage, PorchPackageList,
    },
    uid::package_revision_uid,
};
