//! What the controllers need from the server: the small trait the server implements over its
//! repository caches. The controllers never see the caches, git or the engine.

use futures::future::BoxFuture;
use porch_api::Repository;

/// Why a sync failed: the server's typed error, kept whole. Its text with its causes
/// (`outer: inner: innermost`) is what the `Ready` condition shows.
pub type SyncError = Box<dyn std::error::Error + Send + Sync>;

/// An error followed by each of its causes, `outer: inner: innermost`.
pub(crate) fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let chain = std::iter::successors(Some(err), |e| (*e).source());
    chain.map(ToString::to_string).collect::<Vec<_>>().join(": ")
}

/// The outcome of one sync of a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSummary {
    /// Package revisions found (`status.packageCount`).
    pub package_count: i32,
    /// Commit at the head of the branch (`status.gitCommitHash`).
    pub git_commit_hash: String,
    /// Something the user should know about this sync, shown in the `Ready` condition after
    /// "Repository Ready: " (e.g. that the local mirror was damaged and cloned again); empty
    /// for nothing.
    pub notice: String,
}

/// A package revision a repository holds, as its PackageRev shadow object needs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RevisionRef {
    /// Object name of the PackageRevision.
    pub name: String,
    /// Its (deterministic) uid.
    pub uid: String,
}

/// The repositories of the server: open, refresh, close, and what they hold.
pub trait RepositoryBackend: Send + Sync + 'static {
    /// Whether `namespace/name` is open (after a restart nothing is).
    fn is_open(&self, namespace: &str, name: &str) -> bool;

    /// Opens the repository (fetch and index everything) or, when open, refreshes it (fetch and
    /// re-index what changed). The error, with its causes, is the text to show in the `Ready`
    /// condition.
    fn sync(&self, repo: &Repository) -> BoxFuture<'static, Result<SyncSummary, SyncError>>;

    /// Closes the repository: its revisions go away (DELETED for each) and its local mirror is
    /// removed.
    fn close(&self, namespace: &str, name: &str) -> BoxFuture<'static, ()>;

    /// Every open repository, as `(namespace, name)`.
    fn open_repositories(&self) -> Vec<(String, String)>;

    /// The revisions the open repository holds (empty when it is not open).
    fn revisions(&self, namespace: &str, name: &str) -> Vec<RevisionRef>;
}
