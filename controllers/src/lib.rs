//! kube-runtime controllers of porch-rs: Repository sync and PackageRev garbage collection.
//!
//! The reconcilers arrive with the controllers issue; this crate already holds the pieces they
//! share with the server, so both write Repository status the same way.

mod conditions;

pub use conditions::{ReadyReason, ready_condition};
