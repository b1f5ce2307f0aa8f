//! The registry follows the newest Repository it is given: older ones are served by the entry
//! as it is, a terminating one opens nothing, and a closed name opens again only for a newer one.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::config::Config;
use crate::git::{Libgit2Options, init_libgit2};
use crate::metadata::Metadata;

/// Repository `default/r` on `remote`, at resourceVersion `rv`, on `branch`.
fn repository(remote: &std::path::Path, rv: u64, branch: &str, terminating: bool) -> Repository {
    let mut metadata =
        json!({"name": "r", "namespace": "default", "uid": "u1", "resourceVersion": rv.to_string()});
    if terminating {
        metadata["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
    }
    serde_json::from_value(json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1",
        "kind": "Repository",
        "metadata": metadata,
        "spec": {"type": "git", "git": {
            "repo": format!("file://{}", remote.display()), "branch": branch, "createBranch": true,
        }},
    }))
    .unwrap()
}

/// A registry of one fetch at a time, with mirrors in `dir/mirrors`, over the API of a server
/// opened on `dir/data` without its Repository controller (kept alive by the App returned).
pub(crate) fn in_process(dir: &std::path::Path) -> (crate::app::App, Registry) {
    let mut config = Config::with_data_dir(dir.join("data"));
    config.repository_controller = false;
    let app = crate::app::App::open(&config, None).unwrap();
    let client = app.kube_client();
    let registry = Registry::new(RegistryConfig {
        client: client.clone(),
        data_dir: dir.join("mirrors"),
        log: Arc::new(Metadata::new(client)),
        retry_attempts: 1,
        max_concurrent_syncs: 1,
    });
    (app, registry)
}

fn branch(cache: &RepositoryCache) -> String {
    cache.git().config().branch.clone()
}

#[tokio::test]
async fn follows_the_newest_repository_and_never_reopens_a_closed_one_for_an_older() {
    init_libgit2(Libgit2Options::default());
    let tmp = tempfile::tempdir().unwrap();
    let remote = tmp.path().join("remote.git");
    git2::Repository::init_bare(&remote).unwrap();
    let (_app, registry) = in_process(tmp.path());

    let opened = registry.get(&repository(&remote, 10, "main", false)).await.unwrap();
    assert_eq!(branch(&opened), "main");
    // An older Repository (as a store a moment behind holds it) is served by the entry as it is.
    let older = registry.get(&repository(&remote, 9, "other", false)).await.unwrap();
    assert_eq!(branch(&older), "main", "not reopened with the older settings");
    // A newer one with other settings reopens.
    let newer = registry.get(&repository(&remote, 11, "other", false)).await.unwrap();
    assert_eq!(branch(&newer), "other");

    registry.close("default", "r").await;
    for rv in [9, 11] {
        let err = registry.get(&repository(&remote, rv, "other", false)).await.map(drop).unwrap_err();
        assert!(matches!(err, OpenError::Closed { .. }), "rv {rv}: {err}");
    }
    let err = registry.get(&repository(&remote, 12, "other", true)).await.map(drop).unwrap_err();
    assert!(matches!(err, OpenError::Closed { .. }), "a terminating Repository opens nothing: {err}");
    // Created anew (or fixed): a newer Repository opens the name again.
    let again = registry.get(&repository(&remote, 12, "main", false)).await.unwrap();
    assert_eq!(branch(&again), "main");
    assert_eq!(registry.open_keys(), [("default".to_string(), "r".to_string())]);
}

#[tokio::test]
async fn fetches_wait_until_every_open_knows_whether_its_saved_index_serves_it() {
    init_libgit2(Libgit2Options::default());
    let tmp = tempfile::tempdir().unwrap();
    let remote = tmp.path().join("remote.git");
    git2::Repository::init_bare(&remote).unwrap();
    let (_app, registry) = in_process(tmp.path());
    let wait = Duration::from_millis(300);
    let opened = registry.get(&repository(&remote, 10, "main", false)).await.unwrap();
    assert!(opened.has_fetched());

    // Another open still reading its saved index: a sync of an open cache waits before fetching.
    let undecided = Undecided::new(&registry.inner.undecided);
    let sync = tokio::spawn({
        let (registry, repo) = (registry.clone(), repository(&remote, 10, "main", false));
        async move { registry.sync(&repo).await.map(drop) }
    });
    tokio::time::sleep(wait).await;
    assert!(!sync.is_finished(), "the sync fetched while an open was undecided");
    drop(undecided);
    tokio::time::timeout(Duration::from_secs(30), sync).await.unwrap().unwrap().unwrap();

    // A full open (no saved index) waits too; a cache that replaces it meanwhile (new settings) is
    // counted only once the old one is closed, so neither waits for the other.
    registry.close("default", "r").await;
    let undecided = Undecided::new(&registry.inner.undecided);
    let first = tokio::spawn({
        let (registry, repo) = (registry.clone(), repository(&remote, 11, "main", false));
        async move { registry.get(&repo).await.map(drop) }
    });
    tokio::time::sleep(wait).await;
    assert!(!first.is_finished(), "the full open fetched while an open was undecided");
    let second = tokio::spawn({
        let (registry, repo) = (registry.clone(), repository(&remote, 12, "other", false));
        async move { registry.get(&repo).await.map(|cache| branch(&cache)) }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(undecided);
    let limit = Duration::from_secs(30);
    tokio::time::timeout(limit, first).await.expect("the replaced open finished").unwrap().unwrap();
    let reopened =
        tokio::time::timeout(limit, second).await.expect("the replacing open finished").unwrap().unwrap();
    assert_eq!(reopened, "other");
}
