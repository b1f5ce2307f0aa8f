//! The status the Repository controller writes (porch-api.md §2.5), as a merge patch, and only
//! when something in it changes.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use porch_api::Repository;
use porch_api::config::RepositoryStatus;
use serde_json::{Value, json};

use crate::backend::SyncSummary;
use crate::conditions::{ReadyReason, ready_condition};

/// What a reconcile observed.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    /// `Ready`'s reason (and status).
    pub(crate) ready: ReadyReason,
    /// The error text for [`ReadyReason::Error`]; a notice for [`ReadyReason::Ready`].
    pub(crate) message: String,
    /// After a successful sync: what it found and when it finished.
    pub(crate) synced: Option<(SyncSummary, Timestamp)>,
    /// When the next periodic sync is due.
    pub(crate) next_sync: Option<Timestamp>,
    /// The `spec.sync.runOnceAt` acted upon, if this sync did.
    pub(crate) run_once: Option<Time>,
}

impl Observed {
    /// Only the `Ready` condition (no sync facts): a sync running, or one that failed.
    pub(crate) fn condition(ready: ReadyReason, message: String) -> Self {
        Self { ready, message, synced: None, next_sync: None, run_once: None }
    }
}

/// The merge patch bringing `repo`'s status to `observed`, or `None` when it shows that already.
pub(crate) fn patch(repo: &Repository, observed: &Observed, now: Timestamp) -> Option<Value> {
    patch_status(repo.status.clone(), repo.metadata.generation, observed, now)
}

/// The merge patch bringing `status` (of an object at `generation`) to `observed`, or `None`
/// when it shows that already.
pub(crate) fn patch_status(
    status: Option<RepositoryStatus>,
    generation: Option<i64>,
    observed: &Observed,
    now: Timestamp,
) -> Option<Value> {
    let status = status.unwrap_or_default();
    let current = status.ready();
    let mut condition = ready_condition(observed.ready, &observed.message, generation, Time(now));
    let same_condition = current.is_some_and(|c| {
        c.status == condition.status
            && c.reason == condition.reason
            && c.message == condition.message
            && c.observed_generation == condition.observed_generation
    });
    if let Some(c) = current.filter(|c| c.status == condition.status) {
        condition.last_transition_time = c.last_transition_time.clone(); // no transition
    }
    let mut patch =
        json!({"status": {"conditions": [condition], "observedGeneration": generation.unwrap_or(0)}});
    let s = &mut patch["status"];
    let mut changed = !same_condition || status.observed_generation != generation.unwrap_or(0);
    if let Some((summary, at)) = &observed.synced {
        s["lastFullSyncTime"] = json!(Time(*at));
        s["packageCount"] = json!(summary.package_count);
        s["gitCommitHash"] = json!(summary.git_commit_hash);
        changed = true;
    }
    if let Some(next) = observed.next_sync {
        let next = Time(next);
        changed |= status.next_full_sync_time.as_ref() != Some(&next);
        s["nextFullSyncTime"] = json!(next);
    }
    if let Some(run_once) = &observed.run_once {
        changed |= status.observed_run_once_at.as_ref() != Some(run_once);
        s["observedRunOnceAt"] = json!(run_once);
    }
    changed.then_some(patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_condition_is_not_written_twice() {
        let now: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let mut repo = Repository::new("r", Default::default());
        repo.metadata.generation = Some(2);
        let first = patch(&repo, &Observed::condition(ReadyReason::Error, "refused".into()), now)
            .expect("a first status");
        let status: RepositoryStatus = serde_json::from_value(first["status"].clone()).unwrap();
        assert_eq!((status.conditions[0].reason.as_str(), status.observed_generation), ("Error", 2));
        repo.status = Some(status);
        assert!(patch(&repo, &Observed::condition(ReadyReason::Error, "refused".into()), now).is_none());
        let later: Timestamp = "2026-12-01T10:05:00Z".parse().unwrap();
        let other = patch(&repo, &Observed::condition(ReadyReason::Error, "timed out".into()), later)
            .expect("a new message");
        // Still False: the transition time stays.
        assert_eq!(other["status"]["conditions"][0]["lastTransitionTime"], "2026-12-01T10:00:00Z");
    }
}
