//! REST storage: the verbs of each resource over its backend, with storage errors translated
//! into API errors once, per verb (apiserver `InterpretCreateError` and friends).
//!
//! Every resource's storage is a `tower::Service<StorageRequest>` wrapped by the same layers
//! (`server/resource_stack.rs`) with its [`Strategy`](porch_layers::Strategy):
//! - [`store`]: the resources of the embedded CR store (standalone mode), whose strategies the
//!   store applies itself;
//! - [`packagerevisions`], [`packagerevisionresources`], [`packages`]: the porch.kpt.dev
//!   resources, each a strategy and a storage service over the engine;
//! - [`list`]: their lists: the Repositories visited concurrently under the per-repository
//!   timeout, label selectors, `limit`/`continue` paging.

pub(crate) mod columns;
mod engine;
pub(crate) mod errors;
pub(crate) mod list;
pub(crate) mod packagerevisionresources;
pub(crate) mod packagerevisions;
pub(crate) mod packages;
pub(crate) mod store;
