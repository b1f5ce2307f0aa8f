//! Repository cache metrics, through the `metrics` facade (rendered on `/metrics`), labelled by
//! the Repository's `namespace/name`:
//!
//! - `porch_repository_sync_duration_seconds{repository, outcome}`: one sync of a cache with its
//!   remote — the first (fetch and discover everything) or a refresh (fetch, diff the refs,
//!   re-discover what changed) — from the moment it holds the cache (writes in progress finish
//!   first) to its last event; a damaged mirror's check, clone and retry included. `outcome`
//!   `success` or `failure`;
//! - `porch_repository_revisions{repository}`: the package revisions the cache holds, set after
//!   every sync and every write through it, and 0 once it is closed.
//!
//! Each sync runs in a span, `repository_sync`, with the field `repository`, so that its git
//! fetch and the lines it logs say which repository they are for.

use std::future::Future;
use std::time::Instant;

use tracing::Instrument;

use super::repository::RepositoryCache;

/// The histogram of syncs.
pub(crate) const SYNC_DURATION: &str = "porch_repository_sync_duration_seconds";
/// The gauge of revisions per repository.
pub(crate) const REVISIONS: &str = "porch_repository_revisions";

fn repository(cache: &RepositoryCache) -> String {
    format!("{}/{}", cache.namespace(), cache.name())
}

/// Runs `work`, one sync of `cache`, in its span; records its duration and outcome and, when it
/// succeeded, the revisions the cache now holds.
pub(super) async fn sync<T, E>(
    cache: &RepositoryCache,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let repository = repository(cache);
    let started = Instant::now();
    let result = work.instrument(tracing::info_span!("repository_sync", %repository)).await;
    let outcome = if result.is_ok() { "success" } else { "failure" };
    let elapsed = started.elapsed().as_secs_f64();
    metrics::histogram!(SYNC_DURATION, "repository" => repository, "outcome" => outcome).record(elapsed);
    if result.is_ok() {
        revisions(cache);
    }
    result
}

/// Sets the revisions `cache` holds.
pub(super) fn revisions(cache: &RepositoryCache) {
    metrics::gauge!(REVISIONS, "repository" => repository(cache)).set(cache.len() as f64);
}

/// `cache` is closed: it holds no revision any more.
pub(super) fn closed(cache: &RepositoryCache) {
    metrics::gauge!(REVISIONS, "repository" => repository(cache)).set(0.0);
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
