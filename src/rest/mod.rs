//! REST storage: the verbs of each resource over its backend, with storage errors translated
//! into API errors once, per verb (apiserver `InterpretCreateError` and friends).
//!
//! - [`store`]: the resources of the embedded CR store (standalone mode);
//! - [`packagerevisions`], [`packagerevisionresources`], [`packages`]: the porch.kpt.dev
//!   resources, each a [`Strategy`](porch_layers::Strategy) and a storage service over the
//!   engine, wrapped by the layers in `server/stack.rs`.

pub(crate) mod columns;
mod engine;
pub(crate) mod packagerevisionresources;
pub(crate) mod packagerevisions;
pub(crate) mod packages;
pub(crate) mod store;
