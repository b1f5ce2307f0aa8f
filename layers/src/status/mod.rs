//! Kubernetes `Status` errors.
//!
//! Every failure the API server reports is an [`ApiError`]: an HTTP code, a machine-readable
//! `reason`, a human message and optional `details` (the resource, the name and, for invalid
//! objects, one [`FieldCause`] per offending field). [`ApiError::to_status`] renders it as a
//! `meta/v1 Status` with `kind: Status` and `apiVersion: v1`, the only shape kubectl and client-go
//! read messages from (apimachinery `api/errors/errors.go`).

mod cause;
mod error;

pub(crate) use cause::render_number;
pub use cause::{CauseReason, FieldCause, render_value};
pub use error::{ApiError, OPTIMISTIC_LOCK_MESSAGE, status_json};
