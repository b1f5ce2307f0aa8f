//! Keeps the open repositories in step with the Repository objects: a watch of every
//! Repository opens (fetches and indexes) each one as soon as it appears — also after a restart,
//! so the first request finds warm caches — closes it when it goes, and writes its `Ready`
//! condition (porch-api.md §2.5). Every `--repo-sync-frequency` the open repositories are
//! fetched again; failed opens are retried.
//!
//! This is the minimal lifecycle the engine needs; the Repository controller (cron schedules,
//! `runOnceAt`, finalizer) builds on it.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Api;
use kube::api::{Patch, PatchParams};
use kube::runtime::watcher::{self, Event};
use porch_api::Repository;
use porch_api::config::CONDITION_READY;
use porch_controllers::{ReadyReason, ready_condition};
use serde_json::json;

use super::registry::{OpenError, RETRY_FAILED_AFTER, Registry, repository_key};
use crate::cache::RepositoryCache;
use crate::error_chain::with_causes;

/// The field manager of the status writes.
const FIELD_MANAGER: &str = "repository-controller";

type Key = (String, String);

/// Runs until the watch stream ends (the server is gone).
pub(crate) async fn run(registry: Registry, client: kube::Client, sync_every: Duration) {
    let api: Api<Repository> = Api::all(client.clone());
    let mut stream = watcher::watcher(api, watcher::Config::default()).boxed();
    let mut seen: HashMap<Key, Repository> = HashMap::new();
    let mut listing: Vec<Key> = Vec::new();
    let mut sync = tokio::time::interval_at(tokio::time::Instant::now() + sync_every, sync_every);
    let mut retry = tokio::time::interval(RETRY_FAILED_AFTER * 2);
    loop {
        tokio::select! {
            event = stream.next() => {
                let Some(event) = event else { return };
                tracing::debug!(event = ?event.as_ref().map(|e| match e {
                    Event::Apply(r) | Event::InitApply(r) | Event::Delete(r) => repository_key(r).1,
                    Event::Init => "init".into(),
                    Event::InitDone => "init-done".into(),
                }), "repository watch event");
                match event {
                    Ok(Event::Init) => listing.clear(),
                    Ok(Event::InitApply(repo) | Event::Apply(repo)) => {
                        let key = repository_key(&repo);
                        listing.push(key.clone());
                        open(&registry, &client, &repo);
                        seen.insert(key, repo);
                    }
                    Ok(Event::InitDone) => {
                        seen.retain(|k, _| listing.contains(k));
                        registry.retain(&listing).await;
                    }
                    Ok(Event::Delete(repo)) => {
                        let (ns, name) = repository_key(&repo);
                        seen.remove(&(ns.clone(), name.clone()));
                        registry.close(&ns, &name).await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "watch of Repository objects failed; retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
            _ = sync.tick() => {
                let registry = registry.clone();
                tokio::spawn(async move { registry.refresh_all().await });
            }
            _ = retry.tick() => {
                for repo in seen.values() {
                    let (ns, name) = repository_key(repo);
                    if registry.get_open(&ns, &name).is_none() {
                        open(&registry, &client, repo);
                    }
                }
            }
        }
    }
}

/// Starts (or joins) the open of `repo` and writes its outcome into its status.
fn open(registry: &Registry, client: &kube::Client, repo: &Repository) {
    let started = registry.ensure(repo);
    let (client, repo) = (client.clone(), repo.clone());
    tokio::spawn(async move {
        let result = match started {
            Ok(handle) => handle.wait().await,
            Err(e) => Err(e),
        };
        write_status(&client, &repo, &result).await;
    });
}

/// Patches the `Ready` condition (and the sync facts) when they differ from what `repo` shows.
async fn write_status(client: &kube::Client, repo: &Repository, result: &Result<RepositoryCache, OpenError>) {
    let (ns, name) = repository_key(repo);
    let generation = repo.metadata.generation;
    let (reason, message) = match result {
        Ok(_) => (ReadyReason::Ready, String::new()),
        Err(e) => (ReadyReason::Error, with_causes(e)),
    };
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let condition = ready_condition(reason, &message, generation, now.clone());
    let (count, head) = match result {
        Ok(cache) => (cache.len() as i32, cache.branch_head().map(|h| h.to_string()).unwrap_or_default()),
        Err(_) => (0, String::new()),
    };
    let status = repo.status.clone().unwrap_or_default();
    let current = status.conditions.iter().find(|c| c.type_ == CONDITION_READY);
    let unchanged = current.is_some_and(|c| {
        c.status == condition.status && c.reason == condition.reason && c.message == condition.message
    }) && status.observed_generation == generation.unwrap_or(0)
        && (result.is_err() || (status.package_count == count && status.git_commit_hash == head));
    if unchanged {
        return;
    }
    let mut patch = json!({"status": {
        "conditions": [condition],
        "observedGeneration": generation.unwrap_or(0),
    }});
    if result.is_ok() {
        patch["status"]["packageCount"] = json!(count);
        patch["status"]["gitCommitHash"] = json!(head);
        patch["status"]["lastFullSyncTime"] = json!(now);
    }
    let api: Api<Repository> = Api::namespaced(client.clone(), &ns);
    let params = PatchParams::apply(FIELD_MANAGER);
    if let Err(e) = api.patch_status(&name, &params, &Patch::Merge(&patch)).await {
        tracing::warn!(repository = %format!("{ns}/{name}"), error = %e, "writing the repository status failed");
    }
}
