//! The engine's pure building blocks: everything about creating, updating, approving and
//! deleting package revisions that can be decided without git, the cache or HTTP
//! (porch-api.md §3–§4, §7.5, §9).
//!
//! - [`lifecycle`]: the lifecycle transition rules of the main resource, the `approval`
//!   subresource and delete, returning a [`Transition`] to perform or Porch's field causes;
//! - [`validate`]: create/update validation of a PackageRevision (managed label, names,
//!   repository, resourceVersion);
//! - [`tasks`]: choosing the creation task (§4.1 step 4) and the file set each task produces;
//! - [`kptfile`]: reading and editing a Kptfile (package metadata, readiness gates, conditions,
//!   upstream) with stable key order;
//! - [`resources`]: validation of PackageRevisionResources file paths;
//! - [`heal`]: the comments of a resource's previous version restored on a PackageRevisionResources
//!   update where a client dropped them;
//! - [`render`]: kpt's render: the Kptfile pipelines of a package and its subpackages run
//!   through the function runtimes (builtins first), with kpt's results and failure contract.
//!
//! Every function of those modules is synchronous and deterministic; the ones that change
//! something take `&mut` and say so. The orchestration over them is async and does I/O:
//! [`service`] (the `Engine`: caches, git, PackageRev metadata), [`sync`] (the Repository
//! controller's backend) and [`trylock`] (per-object locks). Errors are [`EngineError`] values; `rest/errors.rs` maps each
//! variant to its API status.

mod error;
pub(crate) mod filter;
pub(crate) mod heal;
pub(crate) mod kptfile;
pub(crate) mod lifecycle;
pub(crate) mod objects;
pub(crate) mod render;
pub(crate) mod resources;
pub(crate) mod segments;
pub(crate) mod service;
pub(crate) mod sync;
pub(crate) mod tasks;
pub(crate) mod trylock;
pub(crate) mod validate;

/// The PackageRev metadata store lives in [`crate::metadata`]; re-exported so that the engine's
/// call sites keep their `engine::metadata` paths.
pub(crate) use crate::metadata;
pub(crate) use error::{EngineError, Result};

/// The files of a package: path relative to the package root → content.
pub(crate) type Files = std::collections::BTreeMap<String, Vec<u8>>;
