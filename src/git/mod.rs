//! The git backend: one bare local mirror per Repository, discovery of package revisions in
//! Porch's git layout, and writes that are byte-compatible with Porch's (porch-api.md §7).
//!
//! - [`GitRepository`] is the async handle of one mirror: [`GitRepository::fetch`], the
//!   [`RefSet`], discovery ([`DiscoveredRevision`]), package files, and the writes. It runs all
//!   libgit2 work off the async runtime with one writer per repository; reads never wait for it.
//! - Incremental indexing: keep the last [`RefSet`], fetch, [`RefSet::diff`], then
//!   [`GitRepository::discover_refs`] for the added and changed refs; removed refs drop their
//!   revisions, and a changed `deletionProposed/…` branch only flips a lifecycle
//!   ([`RefSet::is_deletion_proposed`]). Each write returns a [`WriteOutcome`] with the refs it
//!   moved and the revisions it produced, so a cache updates in place without re-reading.
//! - Remotes: `file://` and plain paths, `git://`, `http://` and `https://` (smart protocol;
//!   libgit2 over the system OpenSSL). `https://` servers are trusted by the system CA store, plus
//!   the PEM CA certificates of [`RepoConfig::ca_bundle`] for that repository (Porch: Secret
//!   `<namespace>-ca-bundle`, key `ca.crt`); see `tls.rs`. [`Credentials`] (basic or bearer) are
//!   values passed in by the caller; they never appear in logs, errors or `Debug` output, and
//!   they are sent only to the origin (scheme, host, port) of the repository URL, never on to
//!   a server a redirect points at (`credentials.rs`, `origin.rs`).
//! - Process-wide libgit2 settings (object cache bound, network timeouts): [`init_libgit2`],
//!   applied with defaults by the first [`GitRepository::open`].
//! - Below the writes: `transport/` moves objects and refs between a mirror and its remote
//!   (fetch and push, local or over the network), `refdb/` reads and writes a repository's refs
//!   and `packed-refs` directly where libgit2 would cost O(refs), and `mirror.rs` opens and
//!   configures the mirror.

mod annotation;
mod commit;
mod config;
mod credentials;
mod discover;
mod drafts;
mod error;
mod history;
mod integrity;
mod kptfile;
mod libgit2;
pub(crate) mod metrics;
mod mirror;
pub(crate) mod oid_serde;
mod origin;
mod publish;
mod refdb;
mod refs;
mod repo;
mod tls;
mod transport;
mod tree;
mod writer;

pub use annotation::{Annotation, TRAILER_PREFIX, annotate};
pub use commit::{CREATE_BRANCH_MESSAGE, CREATE_BRANCH_README, PORCH_EMAIL, PORCH_NAME};
pub use config::RepoConfig;
pub use credentials::Credentials;
pub use discover::DiscoveredRevision;
pub use drafts::{Published, Stage};
pub use error::{GitError, LibgitError, Result};
pub use git2::Oid;
pub use history::Authored;
pub use kptfile::{KPTFILE, KptfileInfo};
pub use libgit2::{Libgit2Options, init_libgit2};
pub use refs::{
    DELETION_PROPOSED, DRAFTS, HEADS, PROPOSED, PorchRef, RefDiff, RefSet, TAGS, deletion_proposed_branch,
    draft_branch, parse_revision, proposed_branch, version_tag,
};
pub use repo::{GitRepository, WeakGitRepository};
pub use transport::wait_for_pushes;
pub use writer::{DraftContent, FetchOutcome, WriteOutcome};
