//! Concurrency through the repository cache: 20 concurrent approvals of 20 drafts of the same
//! package get revisions 1..=20 exactly once each; concurrent creates of one workspace let
//! exactly one through.

#[path = "support/change_log.rs"]
mod change_log;
#[path = "support/git.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};

use porch_server::cache::{CacheOptions, ErrorKind, EventType, RepositoryCache, RepositorySpec};
use porch_server::git::{DraftContent, RepoConfig};
use support::{bare_repo, file_url, git, kptfile, remote_refs};

fn content(data: &str) -> DraftContent {
    let files = BTreeMap::from([
        ("Kptfile".to_string(), kptfile("app").into_bytes()),
        ("cm.yaml".to_string(), format!("kind: ConfigMap\ndata: {data}\n").into_bytes()),
    ]);
    DraftContent { files, task: None, user: None }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_approvals_of_one_package_number_uniquely() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = bare_repo(tmp.path(), "r.git");
    let store = change_log::Sequence::default();
    let mut config = RepoConfig::new(file_url(&remote));
    config.create_branch = true;
    config.directory = "deploy".into();
    let spec = RepositorySpec {
        namespace: "ns".into(),
        name: "r".into(),
        config,
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
    let mut rx = cache.subscribe();
    assert!(cache.open().await.unwrap().is_empty());

    // Concurrent creates of one workspace: exactly one wins.
    let racers: Vec<_> = (0..5)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.create_draft("team/app", "w0", content(&format!("r{i}"))).await })
        })
        .collect();
    let mut won = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}"),
        }
    }
    assert_eq!(won, 1);
    for i in 1..20 {
        cache.create_draft("team/app", &format!("w{i}"), content(&i.to_string())).await.unwrap();
    }

    let approvals: Vec<_> = (0..20)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.approve("team/app", &format!("w{i}"), None).await })
        })
        .collect();
    let mut numbers = BTreeSet::new();
    for a in approvals {
        let approved = a.await.unwrap().unwrap();
        assert!(
            numbers.insert(approved.revision.revision),
            "duplicate revision {}",
            approved.revision.revision
        );
    }
    assert_eq!(numbers, (1..=20).collect());

    let refs = remote_refs(&remote);
    for n in 1..=20 {
        assert!(refs.contains_key(&format!("refs/tags/deploy/team/app/v{n}")), "tag v{n} missing");
    }
    assert!(!refs.keys().any(|r| r.contains("drafts/") || r.contains("proposed/")));
    // A linear first-parent history: 20 approval merges on top of the branch creation.
    let first_parents = git(&remote, &["rev-list", "--first-parent", "--count", "main"]);
    assert_eq!(first_parents, "21");

    let latest = cache.latest("team/app").unwrap();
    assert_eq!(latest.revision.revision, 20);
    assert_eq!(cache.list().iter().filter(|r| r.latest).count(), 1);
    assert_eq!(cache.packages()[0].latest_revision, 20);

    // Events: strictly increasing RVs; exactly one placeholder ADDED.
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    for pair in events.windows(2) {
        assert!(pair[1].resource_version > pair[0].resource_version);
    }
    let placeholder_adds = events
        .iter()
        .filter(|e| e.event_type == EventType::Added && e.revision.name == "r.team.app.main")
        .count();
    assert_eq!(placeholder_adds, 1);
}
