//! The reconciler of one Repository: decide whether a sync is due, run it, write the status,
//! keep the PackageRevs in step; on deletion, close the repository and delete its PackageRevs.
//! Idempotent and level-triggered: every reconcile recomputes the decision from the object.
//! A Repository that does not decode is reported (its `Ready` condition, and one log line) and
//! left alone until it changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::Resource;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{self, Event};
use porch_api::Repository;
use porch_api::config::RepositoryStatus;
use porch_api::labels::REPOSITORY_FINALIZER;

use super::Settings;
use super::metrics::{ReadyStates, written_state};
use super::status::{self, Observed};
use crate::backend::{RepositoryBackend, SyncError, with_causes};
use crate::conditions::ReadyReason;
use crate::gc;
use crate::schedule::{Decision, Due, Periodic, decide};
use crate::stored::{Stored, Undecodable};

/// The field manager of the status writes.
const FIELD_MANAGER: &str = "repository-controller";
/// Retry delays after failed syncs: doubling from the first, at most the last.
const FIRST_RETRY: Duration = Duration::from_secs(2);
const MAX_RETRY: Duration = Duration::from_secs(300);

/// The result of a reconcile step.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a reconcile failed (and is retried with backoff).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The repository could not be synced; the text (with the causes) is in its `Ready`
    /// condition.
    #[error("failed to sync repository {repository}: {}", with_causes(source.as_ref()))]
    Sync {
        /// `<namespace>/<name>`.
        repository: String,
        /// The server's error.
        #[source]
        source: SyncError,
    },
    /// The status could not be written.
    #[error("failed to write the status of repository {repository}")]
    Status {
        /// `<namespace>/<name>`.
        repository: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// The PackageRevs could not be brought in step.
    #[error("failed to update the PackageRevs of repository {repository}")]
    PackageRevs {
        /// `<namespace>/<name>`.
        repository: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
}

/// The failures of one repository in a row.
#[derive(Debug, Default)]
pub(crate) struct Failures {
    /// How many, for the backoff.
    attempts: u32,
    /// The last error's text: only a new one is logged at WARN.
    last: String,
}

/// What every reconcile shares.
pub(crate) struct Context {
    pub(crate) client: kube::Client,
    pub(crate) backend: Arc<dyn RepositoryBackend>,
    pub(crate) settings: Settings,
    /// Consecutive failures per repository, for the backoff.
    pub(crate) failures: Mutex<HashMap<(String, String), Failures>>,
    /// The Repositories reported as undecodable, with the uid and error reported: each is
    /// reported once until it changes.
    pub(crate) undecodable: Mutex<HashMap<(String, String), (String, Undecodable)>>,
    /// The `Ready` status of each Repository, for `porch_repositories{ready}`.
    pub(crate) ready: ReadyStates,
}

fn key(meta: &ObjectMeta) -> (String, String) {
    (meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default())
}

/// Looks again when the next sync is due (at least a second from now).
fn requeue_at(next: Timestamp, now: Timestamp) -> Action {
    let wait = Duration::try_from(next.duration_since(now)).unwrap_or_default();
    Action::requeue(wait.max(Duration::from_secs(1)))
}

/// Reconciles one Repository under the `config.porch.kpt.dev/repository` finalizer.
pub(crate) async fn reconcile(
    repo: Arc<Stored<Repository>>,
    ctx: Arc<Context>,
) -> Result<Action, finalizer::Error<Error>> {
    let (namespace, _) = key(repo.meta());
    let api: Api<Stored<Repository>> = Api::namespaced(ctx.client.clone(), &namespace);
    // An undecodable Repository gets no finalizer (writing one could fail as its spec does);
    // one that has the finalizer already is still cleaned up when deleted.
    if let Err(e) = repo.object()
        && repo.meta().deletion_timestamp.is_none()
    {
        return Ok(report_undecodable(&api, &repo, e, &ctx).await);
    }
    let status_api = api.clone();
    finalizer::finalizer(&api, REPOSITORY_FINALIZER, repo, move |event| async move {
        match event {
            Event::Apply(stored) => match stored.object() {
                Ok(repo) => apply(&status_api, repo, &ctx).await,
                Err(e) => Ok(report_undecodable(&status_api, &stored, e, &ctx).await),
            },
            Event::Cleanup(stored) => cleanup(stored.meta(), &ctx).await,
        }
    })
    .await
}

/// Writes `Ready=False` (reason `Invalid`, the field error) into the status of a Repository
/// that does not decode, closes it if it was open, and logs it once — naming it, never its
/// content. Waits for a change of the object.
async fn report_undecodable(
    api: &Api<Stored<Repository>>,
    stored: &Stored<Repository>,
    error: &Undecodable,
    ctx: &Context,
) -> Action {
    let (ns, name) = key(stored.meta());
    let uid = stored.meta().uid.clone().unwrap_or_default();
    let seen = (uid, error.clone());
    let first = {
        let mut reported = ctx.undecodable.lock().unwrap_or_else(|e| e.into_inner());
        reported.insert((ns.clone(), name.clone()), seen.clone()).as_ref() != Some(&seen)
    };
    if !first {
        return Action::await_change();
    }
    if ctx.backend.is_open(&ns, &name) {
        ctx.backend.close(&ns, &name).await;
    }
    let message = format!("the stored Repository does not decode: {error}; fix or re-create it");
    let observed = Observed::condition(ReadyReason::Invalid, message);
    let patch = status::patch_status(
        stored.undecodable_part("status"),
        stored.meta().generation,
        &observed,
        Timestamp::now(),
    );
    let written = match patch {
        Some(patch) => api
            .patch_status(&name, &PatchParams::apply(FIELD_MANAGER), &Patch::Merge(&patch))
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        None => Ok(()),
    };
    if written.is_ok() {
        ctx.ready.set(&(ns, name), Some(written_state(ReadyReason::Invalid)));
    }
    match written {
        Ok(()) => tracing::warn!(
            object = %stored.describe(), error = %error,
            "stored object does not decode; skipped until it changes"
        ),
        Err(status_error) => tracing::warn!(
            object = %stored.describe(), error = %error, %status_error,
            "stored object does not decode; skipped until it changes (its status could not be written)"
        ),
    }
    Action::await_change()
}

/// Writes `observed` into the status of `repo` (when it changes anything) and counts the
/// Repository in the `Ready` status it now shows.
async fn write_status(
    api: &Api<Stored<Repository>>,
    repo: &Repository,
    observed: &Observed,
    ready: &ReadyStates,
) -> Result<()> {
    let key = key(&repo.metadata);
    if let Some(patch) = status::patch(repo, observed, Timestamp::now()) {
        let (ns, name) = &key;
        api.patch_status(name, &PatchParams::apply(FIELD_MANAGER), &Patch::Merge(&patch))
            .await
            .map_err(|source| Error::Status { repository: format!("{ns}/{name}"), source })?;
    }
    ready.set(&key, Some(written_state(observed.ready)));
    Ok(())
}

async fn apply(api: &Api<Stored<Repository>>, repo: &Repository, ctx: &Context) -> Result<Action> {
    let (ns, name) = key(&repo.metadata);
    ctx.undecodable.lock().unwrap_or_else(|e| e.into_inner()).remove(&(ns.clone(), name.clone()));
    ctx.ready.observe(&(ns.clone(), name.clone()), repo);
    let repository = format!("{ns}/{name}");
    let now = Timestamp::now();
    let periodic = match Periodic::of(repo, ctx.settings.frequency) {
        Ok(periodic) => periodic,
        Err(message) => {
            // Nothing to do until the spec changes.
            write_status(api, repo, &Observed::condition(ReadyReason::Error, message), &ctx.ready).await?;
            return Ok(Action::await_change());
        }
    };
    let Decision { due, next } = decide(repo, &periodic, ctx.backend.is_open(&ns, &name), now);
    let Some(due) = due else { return Ok(requeue_at(next, now)) };
    tracing::debug!(repository = %repository, reason = ?due, "syncing");
    // `Reconciling` marks a sync a user asked for (a new or changed Repository, runOnceAt); a
    // periodic sync or the retry of a failed one leaves the condition as it is (no flapping).
    let failing = repo
        .status
        .as_ref()
        .and_then(RepositoryStatus::ready)
        .is_some_and(|c| c.reason == porch_api::config::REASON_ERROR);
    if due != Due::Periodic && !(failing && due == Due::NotOpen) {
        write_status(api, repo, &Observed::condition(ReadyReason::Reconciling, String::new()), &ctx.ready)
            .await?;
    }
    let run_once = repo.spec.sync.as_ref().and_then(|s| s.run_once_at.clone()).filter(|t| t.0 <= now);
    match ctx.backend.sync(repo).await {
        Ok(summary) => {
            ctx.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&(ns.clone(), name.clone()));
            let revisions = ctx.backend.revisions(&ns, &name);
            gc::sync_package_revs(&ctx.client, &ns, &name, &revisions)
                .await
                .map_err(|source| Error::PackageRevs { repository: repository.clone(), source })?;
            let done = Timestamp::now();
            let next_periodic = periodic.next_after(done);
            let observed = Observed {
                ready: ReadyReason::Ready,
                message: summary.notice.clone(),
                synced: Some((summary, done)),
                next_sync: Some(next_periodic),
                run_once,
            };
            write_status(api, repo, &observed, &ctx.ready).await?;
            let pending = repo
                .spec
                .sync
                .as_ref()
                .and_then(|s| s.run_once_at.as_ref())
                .map(|t: &Time| t.0)
                .filter(|t| *t > done);
            Ok(requeue_at(pending.map_or(next_periodic, |t| t.min(next_periodic)), done))
        }
        Err(source) => {
            let message = with_causes(source.as_ref());
            write_status(api, repo, &Observed::condition(ReadyReason::Error, message), &ctx.ready).await?;
            Err(Error::Sync { repository, source })
        }
    }
}

async fn cleanup(meta: &ObjectMeta, ctx: &Context) -> Result<Action> {
    let (ns, name) = key(meta);
    ctx.backend.close(&ns, &name).await;
    ctx.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&(ns.clone(), name.clone()));
    ctx.undecodable.lock().unwrap_or_else(|e| e.into_inner()).remove(&(ns.clone(), name.clone()));
    ctx.ready.set(&(ns.clone(), name.clone()), None);
    gc::delete_package_revs(&ctx.client, &ns, &name)
        .await
        .map_err(|source| Error::PackageRevs { repository: format!("{ns}/{name}"), source })?;
    tracing::info!(repository = %format!("{ns}/{name}"), "repository removed");
    Ok(Action::await_change())
}

/// Retries a failed reconcile with exponential backoff per repository. A failure is logged at
/// WARN when its text is new for the repository, retries that fail the same way at DEBUG.
pub(crate) fn error_policy(
    repo: Arc<Stored<Repository>>,
    error: &finalizer::Error<Error>,
    ctx: Arc<Context>,
) -> Action {
    let text = error.to_string();
    let (attempts, new) = {
        let mut failures = ctx.failures.lock().unwrap_or_else(|e| e.into_inner());
        let f = failures.entry(key(repo.meta())).or_default();
        f.attempts += 1;
        let new = f.last != text;
        if new {
            f.last.clone_from(&text);
        }
        (f.attempts, new)
    };
    let delay =
        FIRST_RETRY.saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1).min(16))).min(MAX_RETRY);
    if new {
        tracing::warn!(error = %text, attempts, retry_in_s = delay.as_secs(), "repository reconcile failed");
    } else {
        tracing::debug!(error = %text, attempts, retry_in_s = delay.as_secs(), "repository reconcile failed");
    }
    Action::requeue(delay)
}
