//! Shared helpers: opening an App on a temporary directory, Repository objects, timeouts.

use porch_api::Repository;
use porch_server::{App, Config};
use serde_json::json;
use std::future::Future;
use std::time::Duration;
use tempfile::TempDir;

use crate::app_support::within;

/// The longest any single step of a test may take.
pub(crate) const STEP: Duration = Duration::from_secs(15);

/// Runs `fut` under the [`STEP`] timeout, panicking with `what` if it takes longer.
pub(crate) async fn step<T>(what: &str, fut: impl Future<Output = T>) -> T {
    within(STEP, what, fut).await
}

/// A fresh data directory.
pub(crate) fn data_dir() -> TempDir {
    tempfile::Builder::new().prefix("porch-it-").tempdir().expect("creating a temporary directory")
}

/// Opens an App on `dir` with every default but the watch event window (if given), and without
/// the Repository controller: these tests look at the object store's own semantics, and their
/// Repositories point at remotes that do not exist.
pub(crate) fn open(dir: &TempDir, watch_event_window: Option<usize>) -> App {
    let mut config = Config::with_data_dir(dir.path());
    config.repository_controller = false;
    if let Some(w) = watch_event_window {
        config.watch_event_window = w;
    }
    App::open(&config, None).expect("opening the App")
}

/// A git Repository `name` with `description`.
pub(crate) fn repository(name: &str, description: &str) -> Repository {
    serde_json::from_value(json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1",
        "kind": "Repository",
        "metadata": {"name": name},
        "spec": {
            "description": description,
            "type": "git",
            "git": {"repo": format!("https://example.com/{name}.git"), "branch": "main"},
        },
    }))
    .expect("a valid Repository")
}

/// `metadata.resourceVersion` as a number (the server's counter).
pub(crate) fn rv_of(r: &Repository) -> u64 {
    let rv = r.metadata.resource_version.as_deref().expect("an object with a resourceVersion");
    rv.parse().unwrap_or_else(|_| panic!("resourceVersion {rv:?} is not a number"))
}
