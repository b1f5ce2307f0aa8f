//! The embedded CR store of standalone mode: Repository, PackageRev, Secret and Namespace with
//! Kubernetes semantics (resourceVersion, generation, status subresource, finalizers, namespace
//! lifecycle, selectors, paging, watch with resumption and bookmarks).
//!
//! # Design
//! - Reads (get, list, watch) are served from memory: one sorted index per kind, loaded at open,
//!   each object kept as its JSON (`object`), decoded only where a reader needs the object
//!   (lists without selectors are written from the JSON as it is).
//! - Writes go to one writer thread that drains every queued request into a single redb transaction
//!   (group commit, `Durability::Immediate`), then updates memory and wakes watchers. A request is
//!   answered only once durable; readers never wait for an fsync.
//! - One server-wide resourceVersion counter, persisted with each write, numbers every change; the last
//!   [`StoreOptions::event_window`] changes are kept for watches to resume from.
//! - Per-kind rules live in `strategy/` (one file per kind); the verbs' common semantics in `ops/`.
//!
//! Errors are neutral [`StoreError`]s; the HTTP front translates them into `Status` responses.
//!
//! ```no_run
//! # async fn demo() -> Result<(), porch_server::crdstore::StoreError> {
//! use porch_server::crdstore::{Store, StoreOptions, StoredKind, WriteOptions};
//! let store = Store::open(std::path::Path::new("/tmp/porch-data"), StoreOptions::default())?;
//! let secret = serde_json::json!({"metadata": {"name": "s", "namespace": "default"}, "stringData": {"k": "v"}});
//! let stored = store.create(StoredKind::Secret, secret, &WriteOptions::default()).await?;
//! assert_eq!(stored["data"]["k"], "dg==");
//! # Ok(()) }
//! ```

mod error;
mod filter;
mod kind;
mod list;
mod meta;
mod ops;
mod options;
mod persist;
pub(crate) mod rest;
mod state;
mod store;
mod strategy;
mod txn;
mod watch;
mod writer;

pub use error::{Result, StoreError};
pub use kind::StoredKind;
pub use options::{
    DeleteOptions, ListOptions, ListPage, SharedListPage, StoreOptions, WatchEvent, WatchEventType,
    WatchOptions, WriteOptions,
};
pub use porch_layers::{CauseReason, FieldCause};
pub use store::Store;
pub use watch::WatchStream;

#[cfg(test)]
mod tests;
