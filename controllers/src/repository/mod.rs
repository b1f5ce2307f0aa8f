//! The Repository controller (porch-api.md §2.5, §8.1): a `kube::runtime::Controller` on
//! Repository objects that opens each repository through the [`RepositoryBackend`], syncs it on
//! its schedule (`spec.sync.schedule`, else every `--repo-sync-frequency`; once more at
//! `spec.sync.runOnceAt`; at once after a spec change), reports `Ready` and the sync facts in its
//! status, keeps its PackageRevs in step, retries failures with backoff, and on deletion closes
//! it and removes its PackageRevs before releasing the `config.porch.kpt.dev/repository`
//! finalizer. The same code runs against the standalone server (an in-process client) and a
//! cluster.

mod reconcile;
mod status;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::controller::{self, Controller};
use kube::runtime::watcher;
use porch_api::Repository;

pub use reconcile::Error;

use crate::backend::RepositoryBackend;

/// How the controller runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Period of syncs for Repositories without `spec.sync.schedule` (`--repo-sync-frequency`).
    pub frequency: Duration,
    /// Repositories reconciled at once (`--max-concurrent-syncs` bounds the fetches inside).
    pub concurrency: u16,
}

/// Runs the controller until the watch of Repositories ends.
pub async fn run(client: kube::Client, backend: Arc<dyn RepositoryBackend>, settings: Settings) {
    let api: Api<Repository> = Api::all(client.clone());
    let concurrency = settings.concurrency;
    let context = Arc::new(reconcile::Context { client, backend, settings, failures: Mutex::default() });
    Controller::new(api, watcher::Config::default())
        .with_config(controller::Config::default().concurrency(concurrency))
        .run(reconcile::reconcile, reconcile::error_policy, context)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "repository controller");
            }
        })
        .await;
}
