//! Git transfer metrics, through the `metrics` facade (rendered on `/metrics`), and their spans.
//! `repository` is the Repository's `namespace/name` ([`RepoConfig::repository`]; empty for the
//! upstream of a clone that is no Repository):
//!
//! - `porch_git_fetch_duration_seconds{repository, outcome}`: one fetch of a mirror from its
//!   remote (every branch and tag), `outcome` `success` or `failure`;
//! - `porch_git_push_duration_seconds{repository, outcome}`: one push (the ref updates of one
//!   write, sent at once), `outcome` `success`, `conflict` (a ref moved on the remote meanwhile;
//!   the write is retried after a fetch) or `failure`;
//! - `porch_git_fetch_bytes_total{repository}`: bytes received by fetches, as libgit2 counts
//!   them on the network transports (`git://`, `http://`, `https://`). A `file://` remote adds
//!   nothing: its objects are linked or copied on disk, not transferred;
//! - `porch_git_push_bytes_total{repository}`: bytes of pack data sent by pushes, likewise.
//!
//! Each transfer runs in a span, `git_fetch` or `git_push`, with the field `repository`.
//!
//! [`RepoConfig::repository`]: super::RepoConfig::repository

use std::time::Instant;

/// The histogram of fetches.
pub(crate) const FETCH_DURATION: &str = "porch_git_fetch_duration_seconds";
/// The histogram of pushes.
pub(crate) const PUSH_DURATION: &str = "porch_git_push_duration_seconds";
/// The counter of bytes fetched.
pub(crate) const FETCH_BYTES: &str = "porch_git_fetch_bytes_total";
/// The counter of bytes pushed.
pub(crate) const PUSH_BYTES: &str = "porch_git_push_bytes_total";

/// One fetch or push being timed, inside its span (entered on this thread until it is done).
pub(crate) struct Transfer {
    push: bool,
    repository: String,
    started: Instant,
    _span: tracing::span::EnteredSpan,
}

impl Transfer {
    /// Starts timing a fetch of `repository`'s remote.
    pub(crate) fn fetch(repository: &str) -> Self {
        let span = tracing::info_span!("git_fetch", repository).entered();
        Self { push: false, repository: repository.to_string(), started: Instant::now(), _span: span }
    }

    /// Starts timing a push to `repository`'s remote.
    pub(crate) fn push(repository: &str) -> Self {
        let span = tracing::info_span!("git_push", repository).entered();
        Self { push: true, repository: repository.to_string(), started: Instant::now(), _span: span }
    }

    /// Records the transfer's duration, outcome and, when it succeeded, its bytes; returns what
    /// it moved.
    pub(crate) fn done<T>(self, result: super::Result<(T, u64)>) -> super::Result<T> {
        let elapsed = self.started.elapsed().as_secs_f64();
        let outcome = match &result {
            Ok(_) => "success",
            Err(e) if self.push && e.is_conflict() => "conflict",
            Err(_) => "failure",
        };
        let (duration, bytes) =
            if self.push { (PUSH_DURATION, PUSH_BYTES) } else { (FETCH_DURATION, FETCH_BYTES) };
        let repository = self.repository;
        metrics::histogram!(duration, "repository" => repository.clone(), "outcome" => outcome)
            .record(elapsed);
        result.map(|(moved, count)| {
            metrics::counter!(bytes, "repository" => repository).increment(count);
            moved
        })
    }
}

impl std::fmt::Debug for Transfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfer").field("push", &self.push).field("repository", &self.repository).finish()
    }
}
