//! Generic Kubernetes API-server machinery for porch-rs: `Status` errors, selectors, PATCH
//! handling and managed fields.
//!
//! Nothing here knows Porch types; the server composes these pieces around its REST storage.

pub mod managed_fields;
pub mod patch;
pub mod selector;
pub mod status;

pub use selector::{FieldSelector, LabelSelector, SelectorError};
pub use status::{ApiError, CauseReason, FieldCause};
