//! The repository cache: per Repository an in-memory index of every package revision, kept in
//! step with git, with every change published as an event carrying a resourceVersion from the
//! server-wide counter.
//!
//! - [`RepositoryCache::open`] fetches and discovers everything (ADDED for each revision);
//!   [`RepositoryCache::refresh`] fetches, diffs the ref set and re-discovers only changed refs.
//! - `snapshot`: [`RepositoryCache::save_index`] keeps the index beside the mirror at shutdown,
//!   and the next start's first open begins from it and re-discovers only what changed since.
//! - Reads ([`RepositoryCache::get`], [`list`](RepositoryCache::list),
//!   [`packages`](RepositoryCache::packages)) never touch git nor wait for a fetch or a write.
//! - Writes ([`RepositoryCache::create_draft`], [`approve`](RepositoryCache::approve), …) run
//!   under a per-package lock, enforce workspace uniqueness (§3.2) and revision numbering
//!   (§3.3), and update the index in place from the git backend's [`WriteOutcome`].
//! - `latest` (§3.5) compares the full package path (Porch's bare-name comparison is a bug) and
//!   is recomputed on every change; a move emits MODIFIED for the old and the new latest.
//! - Every change is recorded through a [`ChangeLog`] (the revision's PackageRev), which gives
//!   it its resourceVersion; events go out on a broadcast channel
//!   ([`RepositoryCache::subscribe`]) and to the server's event pump ([`CacheMessage`]).
//!
//! - `registry`: the open caches, one per Repository, opened and synced with it.
//!
//! [`WriteOutcome`]: crate::git::WriteOutcome

pub mod credentials;
mod error;
mod index;
mod locks;
pub(crate) mod metrics;
mod record;
mod refresh;
pub(crate) mod registry;
mod repository;
mod revision;
mod snapshot;
pub mod watch;
mod writes;

pub use error::{CacheError, ErrorKind, Result};
pub use record::{CacheMessage, ChangeLog, RevisionChange};
pub use repository::{CacheOptions, CacheStats, RepositoryCache, RepositorySpec};
pub use revision::{CacheEvent, CachedPackage, CachedRevision, EventType, Memo, RevisionKey};
pub(crate) use revision::{latest_candidate, lifecycle_rank};
