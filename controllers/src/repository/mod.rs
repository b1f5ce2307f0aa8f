//! The Repository controller (porch-api.md §2.5, §8.1): a `kube::runtime::Controller` on
//! Repository objects that opens each repository through the [`RepositoryBackend`], syncs it on
//! its schedule (`spec.sync.schedule`, else every `--repo-sync-frequency`; once more at
//! `spec.sync.runOnceAt`; at once after a spec change), reports `Ready` and the sync facts in its
//! status, keeps its PackageRevs in step, retries failures with backoff, and on deletion closes
//! it and removes its PackageRevs before releasing the `config.porch.kpt.dev/repository`
//! finalizer. The same code runs against the standalone server (an in-process client) and a
//! cluster. It counts the Repositories by their `Ready` status in `porch_repositories{ready}`
//! (`metrics.rs`).

mod metrics;
mod reconcile;
mod status;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::controller::{self, Controller};
use kube::runtime::watcher;
use porch_api::Repository;

pub use reconcile::{Error, Result};

use crate::backend::RepositoryBackend;
use crate::gc;
use crate::stored::Stored;

/// How the controller runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Period of syncs for Repositories without `spec.sync.schedule` (`--repo-sync-frequency`).
    pub frequency: Duration,
    /// Repositories reconciled at once (`--max-concurrent-syncs` bounds the fetches inside).
    pub concurrency: u16,
    /// How often what outlived its Repository is looked for and removed ([`gc::sweep_orphans`]).
    pub sweep_interval: Duration,
}

/// Runs the controller (and the periodic sweep of orphans) until the watch of Repositories ends.
pub async fn run(client: kube::Client, backend: Arc<dyn RepositoryBackend>, settings: Settings) {
    // Read as stored: a Repository that does not decode is reported, not a failed list.
    let api: Api<Stored<Repository>> = Api::all(client.clone());
    let (concurrency, sweep_every) = (settings.concurrency, settings.sweep_interval);
    let context = Arc::new(reconcile::Context {
        client: client.clone(),
        backend: backend.clone(),
        settings,
        failures: Mutex::default(),
        undecodable: Mutex::default(),
        ready: metrics::ReadyStates::default(),
    });
    metrics::publish_empty();
    let controller = Controller::new(api, watcher::Config::default())
        .with_config(controller::Config::default().concurrency(concurrency))
        .run(reconcile::reconcile, reconcile::error_policy, context)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "repository controller");
            }
        });
    let sweeps = async {
        let mut every = tokio::time::interval(sweep_every.max(Duration::from_millis(10)));
        every.tick().await;
        loop {
            every.tick().await;
            match gc::sweep_orphans(&client, backend.as_ref()).await {
                Ok(summary) if summary != gc::SweepSummary::default() => {
                    tracing::info!(?summary, "removed what outlived its Repository");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sweeping orphans failed"),
            }
        }
    };
    tokio::select! {
        () = controller => {}
        () = sweeps => {}
    }
}
