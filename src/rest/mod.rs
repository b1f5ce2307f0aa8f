//! REST storage: the verbs of each resource over its backend. Storage fails with a typed
//! [`errors::RestError`] (engine errors as they are); [`errors`] holds the one mapping
//! of each to its API error (apiserver `InterpretCreateError` and friends), which the
//! `ErrorTranslation` layer applies, and logs, once per request.
//!
//! Every resource's storage is a `tower::Service<StorageRequest>` wrapped by the same layers
//! (`server/resource_stack.rs`) with its [`Strategy`](porch_layers::Strategy):
//! - [`packagerevisions`], [`packagerevisionresources`], [`packages`]: the porch.kpt.dev
//!   resources, each a strategy and a storage service over the engine;
//! - [`errors`]: what storage fails with, and the API error each failure means;
//! - [`list`]: their lists: the Repositories visited concurrently under the per-repository
//!   timeout, label selectors, `limit`/`continue` paging;
//! - [`metrics`]: every call into the engine timed by operation and outcome, in its span.

pub(crate) mod columns;
mod engine;
pub(crate) mod errors;
pub(crate) mod list;
pub(crate) mod metrics;
pub(crate) mod packagerevisionresources;
pub(crate) mod packagerevisions;
pub(crate) mod packages;
