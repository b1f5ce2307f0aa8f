//! A remote that goes away: writes and refreshes through the cache fail with the error surfaced,
//! the index and the event stream stay exactly as they were, and once the remote is back the same
//! approval lands with the revision number it would have had.

#[path = "support/change_log.rs"]
mod change_log;
#[path = "support/git.rs"]
mod support;

use std::collections::BTreeMap;

use porch_server::cache::{CacheOptions, ErrorKind, RepositoryCache, RepositorySpec};
use porch_server::git::{DraftContent, RepoConfig};
use support::{GitDaemon, blueprints, kptfile, remote_refs};

fn content(name: &str) -> DraftContent {
    let files = BTreeMap::from([("Kptfile".to_string(), kptfile(name).into_bytes())]);
    DraftContent { files, task: None, user: Some("alice".into()) }
}

fn snapshot(cache: &RepositoryCache) -> Vec<(String, i32, u64)> {
    cache.list().iter().map(|r| (r.name.clone(), r.revision.revision, r.resource_version)).collect()
}

#[tokio::test]
async fn a_vanished_remote_leaves_index_and_events_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    let remote = blueprints(&base);
    let mut daemon = GitDaemon::start(&base);
    let port = daemon.port;
    let store = change_log::Sequence::default();
    let spec = RepositorySpec {
        namespace: "ns".into(),
        name: "blueprints".into(),
        config: RepoConfig::new(daemon.url("blueprints.git")),
        credentials: None,
        data_dir: tmp.path().join("data"),
    };
    let cache = RepositoryCache::new(
        spec,
        store.log(),
        CacheOptions { event_capacity: 4096, ..CacheOptions::default() },
    )
    .await
    .unwrap();
    cache.open().await.unwrap();
    cache.create_draft("fresh", "ws", content("fresh")).await.unwrap();
    cache.propose("fresh", "ws").await.unwrap();

    let mut events = cache.subscribe();
    let before = snapshot(&cache);
    let remote_before = remote_refs(&remote);

    daemon.stop();
    let err = cache.approve("fresh", "ws", Some("alice".into())).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal, "an unreachable remote is not a conflict: {err}");
    assert!(!err.to_string().is_empty());
    let err = cache.refresh().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal, "{err}");
    assert!(cache.create_draft("other", "ws", content("other")).await.is_err());

    assert_eq!(snapshot(&cache), before, "the index did not move");
    assert!(events.try_recv().is_err(), "no event was published for a failed write");
    assert_eq!(remote_refs(&remote), remote_before, "nothing reached the remote");

    // The remote comes back on the same address: the same approval now lands as revision 1.
    let _daemon = GitDaemon::start_on(&base, port);
    let approved = cache.approve("fresh", "ws", Some("alice".into())).await.unwrap();
    assert_eq!(approved.revision.revision, 1);
    assert!(remote_refs(&remote).contains_key("refs/tags/fresh/v1"));
    assert!(events.try_recv().is_ok(), "the approval was published");
}
