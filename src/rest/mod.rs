//! REST storage: the verbs of each resource over its backend, with storage errors translated
//! into API errors once, per verb (apiserver `InterpretCreateError` and friends).
//!
//! - [`store`]: the resources of the embedded CR store (standalone mode);
//! - [`packagerevisions`], [`packagerevisionresources`], [`packages`]: the porch.kpt.dev
//!   resources, each a [`Strategy`](porch_layers::Strategy) and a storage service over the
//!   engine, wrapped by the layers in `server/stack.rs`;
//! - [`list`]: their lists: the Repositories visited concurrently under the per-repository
//!   timeout, label selectors, `limit`/`continue` paging.

pub(crate) mod columns;
mod engine;
pub(crate) mod list;
pub(crate) mod packagerevisionresources;
pub(crate) mod packagerevisions;
pub(crate) mod packages;
pub(crate) mod store;
