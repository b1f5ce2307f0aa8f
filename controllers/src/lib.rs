//! kube-runtime controllers of porch-rs: Repository sync and PackageRev garbage collection.
//!
//! The crate depends on `porch-api`, kube and the small [`RepositoryBackend`] trait the server
//! implements (open, refresh and close a repository, list its revisions); it is driven by a
//! `kube::Client` — in standalone mode one built on the server's own service, in a cluster one
//! from the cluster configuration. Objects are read as [`Stored`] ones, so that one that no
//! longer decodes is reported and skipped instead of failing a list, a watch or a controller.

mod backend;
mod conditions;
pub mod gc;
pub mod repository;
pub mod schedule;
mod stored;

pub use backend::{RepositoryBackend, RevisionRef, SyncError, SyncSummary};
pub use conditions::{ReadyReason, ready_condition};
pub use stored::{Stored, Undecodable};
