//! Store behaviour tests against a real database in a temporary directory.

mod crud;
mod delete;
mod list;
mod restart;
mod update;
mod validation;
mod watch;

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};

use super::*;

pub(super) fn open_in(dir: &std::path::Path) -> Store {
    let opts = StoreOptions {
        event_window: 50,
        bookmark_interval: Duration::from_millis(100),
        ..StoreOptions::default()
    };
    Store::open(dir, opts).unwrap()
}

/// A fresh store and the directory that keeps it alive.
pub(super) fn fresh() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (open_in(dir.path()), dir)
}

pub(super) fn w() -> WriteOptions {
    WriteOptions::default()
}

pub(super) fn dry() -> WriteOptions {
    WriteOptions { dry_run: true }
}

pub(super) fn repo(ns: &str, name: &str) -> Value {
    json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1",
        "kind": "Repository",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"type": "git", "git": {"repo": format!("https://example.com/{name}.git")}},
    })
}

pub(super) fn secret(ns: &str, name: &str) -> Value {
    json!({"metadata": {"name": name, "namespace": ns}, "stringData": {"password": "x"}})
}

pub(super) fn rv_of(obj: &Value) -> u64 {
    obj["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap()
}

pub(super) async fn create_ns(store: &Store, name: &str) -> Value {
    store.create(StoredKind::Namespace, json!({"metadata": {"name": name}}), &w()).await.unwrap()
}

/// The next event, failing the test after 5 s.
pub(super) async fn next(stream: &mut WatchStream) -> WatchEvent {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an event in time")
        .expect("open")
}

/// Asserts nothing arrives for a short while.
pub(super) async fn quiet(stream: &mut WatchStream) {
    let got = tokio::time::timeout(Duration::from_millis(150), stream.next()).await;
    assert!(got.is_err(), "unexpected event: {:?}", got.unwrap().map(|e| e.event_type));
}

/// (type, name) of an event.
pub(super) fn summary(e: &WatchEvent) -> (WatchEventType, String) {
    (e.event_type, e.object["metadata"]["name"].as_str().unwrap_or_default().to_string())
}
