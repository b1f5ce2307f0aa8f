//! The repository cache over a repository prepared with the git CLI: the index after open
//! (revisions, lifecycles, workspaces, order, latest flags, packages), incremental refresh after
//! CLI pushes (only changed refs re-discovered, minimal events), and close.

#[path = "support/change_log.rs"]
mod change_log;
#[path = "support/git.rs"]
mod support;

use std::path::Path;

use porch_api::porch::PackageRevisionLifecycle as L;
use porch_server::cache::{CacheEvent, CacheOptions, ErrorKind, EventType, RepositoryCache, RepositorySpec};
use porch_server::git::RepoConfig;
use support::{blueprints, file_url, git};

async fn cache_for(root: &Path, remote: &Path, store: &change_log::Sequence) -> RepositoryCache {
    let spec = RepositorySpec {
        namespace: "ns".into(),
        name: "blueprints".into(),
        config: RepoConfig::new(file_url(remote)),
        credentials: None,
        data_dir: root.join("data"),
    };
    RepositoryCache::new(spec, store.log(), CacheOptions { event_capacity: 4096, ..CacheOptions::default() })
        .await
        .unwrap()
}

fn summary(events: &[CacheEvent]) -> Vec<(EventType, String, bool)> {
    let mut out: Vec<_> =
        events.iter().map(|e| (e.event_type, e.revision.name.clone(), e.revision.latest)).collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

fn assert_consecutive(events: &[CacheEvent]) {
    for pair in events.windows(2) {
        assert_eq!(pair[1].resource_version, pair[0].resource_version + 1);
    }
    assert!(events.iter().all(|e| e.resource_version == e.revision.resource_version));
}

#[tokio::test]
async fn open_indexes_a_cli_made_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = blueprints(tmp.path());
    let store = change_log::Sequence::default();
    let cache = cache_for(tmp.path(), &remote, &store).await;
    assert_eq!(cache.mirror_dir(), tmp.path().join("data/git/ns/blueprints"));
    let mut rx = cache.subscribe();

    let events = cache.open().await.unwrap();
    assert_eq!(events.len(), 12);
    assert!(events.iter().all(|e| e.event_type == EventType::Added));
    assert_consecutive(&events);
    assert!(store.current() >= events.last().unwrap().resource_version);
    for e in &events {
        assert_eq!(rx.recv().await.unwrap().resource_version, e.resource_version);
    }

    let rows: Vec<_> = cache
        .list()
        .iter()
        .map(|r| (r.name.clone(), r.revision.revision, r.revision.lifecycle.clone(), r.latest))
        .collect();
    let row = |n: &str, rev, l, latest| (format!("blueprints.{n}"), rev, l, latest);
    assert_eq!(
        rows,
        vec![
            row("a.b.pkg.main", -1, L::Published, false),
            row("a.b.pkg.v1", 1, L::Published, true),
            row("basens.main", -1, L::Published, false),
            row("basens.ws5", 0, L::Draft, false),
            row("basens.ws1", 1, L::Published, false),
            row("basens.v2", 2, L::DeletionProposed, false),
            row("basens.edit3", 3, L::Published, false),
            row("basens.v4", 4, L::Published, true),
            row("bucket.release", -1, L::Published, false),
            row("bucket.main", -1, L::DeletionProposed, false),
            row("bucket.ws2", 0, L::Proposed, false),
            row("withsub.main", -1, L::Published, false),
        ]
    );
    let packages: Vec<_> =
        cache.packages().into_iter().map(|p| (p.name, p.package, p.latest_revision)).collect();
    assert_eq!(
        packages,
        vec![
            ("blueprints.a.b.pkg".into(), "a/b/pkg".into(), 1),
            ("blueprints.basens".into(), "basens".into(), 4),
            ("blueprints.bucket".into(), "bucket".into(), 0),
            ("blueprints.withsub".into(), "withsub".into(), 0),
        ]
    );
    let ws1 = cache.get("blueprints.basens.ws1").unwrap();
    assert_eq!((ws1.revision.package.as_str(), ws1.revision.workspace.as_str()), ("basens", "ws1"));
    assert!(cache.find("bucket", "main").unwrap().is_placeholder());
    assert!(!cache.find("bucket", "release").unwrap().is_placeholder());
    assert_eq!(cache.latest("basens").unwrap().name, "blueprints.basens.v4");
    assert_eq!(cache.branch_head().unwrap().to_string(), git(&remote, &["rev-parse", "main"]));
    assert_eq!(cache.stats().full_discoveries, 1);
}

#[tokio::test]
async fn refresh_rediscovers_only_changed_refs() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = blueprints(tmp.path());
    let work = tmp.path().join("blueprints-work");
    let store = change_log::Sequence::default();
    let cache = cache_for(tmp.path(), &remote, &store).await;
    cache.open().await.unwrap();
    let placeholder_rv = cache.find("basens", "main").unwrap().resource_version;

    // Nothing changed: no events, nothing re-discovered.
    assert!(cache.refresh().await.unwrap().is_empty());
    assert_eq!(cache.stats().rediscovered_refs, 0);

    // One tag pushed with the CLI: one ADDED, and the latest moves from v4 to v5.
    git(&work, &["tag", "basens/v5", "main"]);
    git(&work, &["push", "-q", "origin", "basens/v5"]);
    let events = cache.refresh().await.unwrap();
    assert_consecutive(&events);
    assert_eq!(
        summary(&events),
        vec![
            (EventType::Modified, "blueprints.basens.v4".into(), false),
            (EventType::Added, "blueprints.basens.v5".into(), true),
        ]
    );
    assert_eq!(cache.stats().rediscovered_refs, 1);
    assert_eq!(cache.stats().full_discoveries, 1);

    // A branch commit touching only bucket, a deleted tag and a removed deletion marker.
    std::fs::write(work.join("bucket/bucket.yaml"), "kind: Bucket\nspec: {size: 2}\n").unwrap();
    git(&work, &["add", "-A"]);
    git(
        &work,
        &["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m", "edit bucket"],
    );
    git(
        &work,
        &["push", "-q", "origin", "main", ":refs/tags/a/b/pkg/v1", ":refs/heads/deletionProposed/basens/v2"],
    );
    let events = cache.refresh().await.unwrap();
    assert_eq!(
        summary(&events),
        vec![
            (EventType::Deleted, "blueprints.a.b.pkg.v1".into(), true),
            (EventType::Modified, "blueprints.basens.v2".into(), false),
            (EventType::Modified, "blueprints.bucket.main".into(), false),
        ]
    );
    assert_eq!(cache.stats().rediscovered_refs, 2, "only the branch was re-discovered");
    assert_eq!(cache.get("blueprints.basens.v2").unwrap().revision.lifecycle, L::Published);
    assert_eq!(cache.find("bucket", "main").unwrap().revision.lifecycle, L::DeletionProposed);
    // The basens placeholder did not change, so it kept its resourceVersion.
    assert_eq!(cache.find("basens", "main").unwrap().resource_version, placeholder_rv);
    assert_eq!(cache.branch_head().unwrap().to_string(), git(&remote, &["rev-parse", "main"]));

    // Removing a package from the branch drops its placeholder.
    git(&work, &["rm", "-q", "-r", "withsub"]);
    git(
        &work,
        &["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m", "rm withsub"],
    );
    git(&work, &["push", "-q", "origin", "main"]);
    let events = cache.refresh().await.unwrap();
    assert_eq!(summary(&events), vec![(EventType::Deleted, "blueprints.withsub.main".into(), false)]);
}

#[tokio::test]
async fn close_deletes_everything_and_the_mirror() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = blueprints(tmp.path());
    let store = change_log::Sequence::default();
    let cache = cache_for(tmp.path(), &remote, &store).await;
    let opened = cache.open().await.unwrap();
    let mut rx = cache.subscribe();
    let events = cache.close().await.unwrap();
    assert_eq!(events.len(), opened.len());
    assert!(events.iter().all(|e| e.event_type == EventType::Deleted));
    assert!(events[0].resource_version > opened.last().unwrap().resource_version);
    assert_consecutive(&events);
    for e in &events {
        let got = rx.recv().await.unwrap();
        assert_eq!((got.event_type, got.resource_version), (EventType::Deleted, e.resource_version));
    }
    assert!(cache.is_empty() && cache.packages().is_empty());
    assert!(!cache.mirror_dir().exists());
    assert_eq!(cache.refresh().await.unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(cache.propose("basens", "ws5").await.unwrap_err().kind(), ErrorKind::Closed);
}

/// What a full discovery of `cache` shows: each revision's name, what git holds for it, latest.
fn indexed(cache: &RepositoryCache) -> Vec<(String, porch_server::git::DiscoveredRevision, bool)> {
    cache.list().iter().map(|r| (r.name.clone(), r.revision.clone(), r.latest)).collect()
}

#[tokio::test]
async fn a_saved_index_opens_without_discovery_and_catches_up_with_the_remote() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = blueprints(tmp.path());
    let work = tmp.path().join("blueprints-work");
    let store = change_log::Sequence::default();
    let cache = cache_for(tmp.path(), &remote, &store).await;
    cache.open().await.unwrap();
    cache.save_index().await;
    drop(cache);

    // While the server is down, the remote moves: a new tag, and a deletion marker removed.
    git(&work, &["tag", "basens/v5", "main"]);
    git(&work, &["push", "-q", "origin", "basens/v5", ":refs/heads/deletionProposed/basens/v2"]);

    let reopened = cache_for(tmp.path(), &remote, &store).await;
    assert!(reopened.open_saved().await.unwrap().is_some());
    assert_eq!(reopened.stats().full_discoveries, 0, "started from the saved index");
    assert!(!reopened.has_fetched(), "the saved index is served before any fetch");
    assert!(reopened.get("blueprints.basens.v4").is_some());
    assert!(reopened.get("blueprints.basens.v5").is_none(), "not fetched yet");
    let events = reopened.refresh().await.unwrap();
    assert!(reopened.has_fetched());
    assert_eq!(reopened.stats().full_discoveries, 0);
    assert_eq!(reopened.stats().rediscovered_refs, 1, "only the new tag was read from git");
    assert!(events.iter().any(|e| e.revision.name == "blueprints.basens.v5" && e.revision.latest));

    // The same index a full discovery of the remote makes.
    let elsewhere = tempfile::tempdir().unwrap();
    let fresh = cache_for(elsewhere.path(), &remote, &store).await;
    fresh.open().await.unwrap();
    assert_eq!(fresh.stats().full_discoveries, 1);
    assert_eq!(indexed(&reopened), indexed(&fresh));
    assert_eq!(reopened.get("blueprints.basens.v2").unwrap().revision.lifecycle, L::Published);

    // An index that does not parse is ignored: everything is discovered.
    reopened.save_index().await;
    drop(reopened);
    std::fs::write(tmp.path().join("data/git/ns/blueprints/porch-index.json"), b"{\"format\": 1").unwrap();
    let again = cache_for(tmp.path(), &remote, &store).await;
    assert!(again.open_saved().await.unwrap().is_none());
    again.open().await.unwrap();
    assert_eq!(again.stats().full_discoveries, 1);
    assert_eq!(indexed(&again), indexed(&fresh));
}

#[tokio::test]
async fn a_saved_index_over_a_mirror_damaged_while_down_is_served_until_the_first_refresh_clones_again() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = blueprints(tmp.path());
    let store = change_log::Sequence::default();
    let cache = cache_for(tmp.path(), &remote, &store).await;
    cache.open().await.unwrap();
    let before = indexed(&cache);
    cache.save_index().await;
    drop(cache);

    // The commit of `main` lost from the mirror (a crash of the machine, a full disk).
    let commit = git(&remote, &["rev-parse", "main"]);
    let object = tmp.path().join("data/git/ns/blueprints/objects").join(&commit[..2]).join(&commit[2..]);
    std::fs::remove_file(&object).unwrap();

    let reopened = cache_for(tmp.path(), &remote, &store).await;
    assert!(reopened.open_saved().await.unwrap().is_some());
    assert_eq!(indexed(&reopened), before, "the saved index is served");
    assert_eq!(reopened.stats().full_discoveries, 0);
    reopened.refresh().await.unwrap();
    assert_eq!(reopened.stats().full_discoveries, 1, "the refresh found the damage and cloned again");
    assert_eq!(indexed(&reopened), before);
    assert!(reopened.git().take_repair().is_some_and(|notice| notice.contains("cloned again")));
}
