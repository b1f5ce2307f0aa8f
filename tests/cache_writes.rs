//! Writes through the repository cache on a real remote: the index is updated in place (and
//! matches a fresh full discovery afterwards), workspace uniqueness, revision numbering, latest
//! moves, placeholders, deletes — and an observer sees every event in resourceVersion order.

#[path = "support/change_log.rs"]
mod change_log;
#[path = "support/git.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use porch_api::porch::PackageRevisionLifecycle as L;
use porch_server::cache::{
    CacheError, CacheEvent, CacheOptions, ErrorKind, EventType, RepositoryCache, RepositorySpec,
};
use porch_server::git::{DraftContent, RepoConfig};
use support::{blueprints, file_url, git, kptfile, remote_refs};

async fn cache_for(root: &Path, dir: &str, remote: &Path, store: &change_log::Sequence) -> RepositoryCache {
    let spec = RepositorySpec {
        namespace: "ns".into(),
        name: "blueprints".into(),
        config: RepoConfig::new(file_url(remote)),
        credentials: None,
        data_dir: root.join(dir),
    };
    RepositoryCache::new(spec, store.log(), CacheOptions { event_capacity: 4096, ..CacheOptions::default() })
        .await
        .unwrap()
}

fn content(name: &str, data: &str) -> DraftContent {
    let files = BTreeMap::from([
        ("Kptfile".to_string(), kptfile(name).into_bytes()),
        ("cm.yaml".to_string(), format!("kind: ConfigMap\ndata: {data}\n").into_bytes()),
    ]);
    DraftContent { files, task: None, user: Some("alice".into()) }
}

fn summary(events: &[CacheEvent]) -> Vec<(EventType, String, bool)> {
    let mut out: Vec<_> =
        events.iter().map(|e| (e.event_type, e.revision.name.clone(), e.revision.latest)).collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// Everything the index shows except placeholder commits (see `api_changed`).
fn view(cache: &RepositoryCache) -> Vec<(String, i32, L, bool, String)> {
    cache
        .list()
        .iter()
        .map(|r| {
            let tree = r.revision.tree.to_string();
            (r.name.clone(), r.revision.revision, r.revision.lifecycle.clone(), r.latest, tree)
        })
        .collect()
}

/// The events the observer has received since the last call.
fn observed(rx: &mut tokio::sync::broadcast::Receiver<CacheEvent>) -> Vec<CacheEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

#[tokio::test]
async fn own_writes_update_the_index_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = blueprints(tmp.path());
    let store = change_log::Sequence::default();
    let cache = cache_for(tmp.path(), "data", &remote, &store).await;
    let mut rx = cache.subscribe();
    cache.open().await.unwrap();
    let mut all: Vec<CacheEvent> = observed(&mut rx);

    // Create: ADDED.
    let draft = cache.create_draft("basens", "ws9", content("basens", "a")).await.unwrap();
    assert_eq!((draft.name.as_str(), draft.revision.lifecycle.clone()), ("blueprints.basens.ws9", L::Draft));
    let events = observed(&mut rx);
    assert_eq!(summary(&events), vec![(EventType::Added, "blueprints.basens.ws9".into(), false)]);
    all.extend(events);

    // Workspace uniqueness, against drafts and against published revisions.
    for ws in ["ws9", "ws1", "main"] {
        let err = cache.create_draft("basens", ws, content("basens", "b")).await.unwrap_err();
        assert!(matches!(err, CacheError::WorkspaceExists { .. }));
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        assert_eq!(
            err.to_string(),
            format!(
                "package revision workspaceNames must be unique; package revision with name basens in repo \
                 blueprints with workspaceName {ws} already exists"
            )
        );
    }
    assert!(observed(&mut rx).is_empty());

    // Update and propose: MODIFIED.
    let updated = cache.update_draft("basens", "ws9", content("basens", "b")).await.unwrap();
    assert_ne!(updated.revision.tree, draft.revision.tree);
    let proposed = cache.propose("basens", "ws9").await.unwrap();
    assert_eq!(proposed.revision.lifecycle, L::Proposed);
    let events = observed(&mut rx);
    assert_eq!(events.iter().map(|e| e.event_type).collect::<Vec<_>>(), [EventType::Modified; 2]);
    all.extend(events);
    assert_eq!(cache.propose("basens", "ws9").await.unwrap_err().kind(), ErrorKind::Invalid);

    // Approve: revision 5, latest moves from v4, the placeholder follows.
    let approved = cache.approve("basens", "ws9", Some("bob".into())).await.unwrap();
    assert_eq!((approved.revision.revision, approved.revision.lifecycle.clone()), (5, L::Published));
    assert!(approved.latest);
    let events = observed(&mut rx);
    assert_eq!(
        summary(&events),
        vec![
            (EventType::Modified, "blueprints.basens.main".into(), false),
            (EventType::Modified, "blueprints.basens.v4".into(), false),
            (EventType::Modified, "blueprints.basens.ws9".into(), true),
        ]
    );
    all.extend(events);
    assert!(remote_refs(&remote).contains_key("refs/tags/basens/v5"));
    assert_eq!(cache.find("basens", "main").unwrap().revision.tree, approved.revision.tree);
    assert_eq!(cache.packages().iter().find(|p| p.package == "basens").unwrap().latest_revision, 5);

    // A new package: its first approval gets revision 1 and ADDs its placeholder.
    cache.create_draft("team/app", "first", content("app", "x")).await.unwrap();
    cache.propose("team/app", "first").await.unwrap();
    let first = cache.approve("team/app", "first", None).await.unwrap();
    assert_eq!(first.revision.revision, 1);
    let events = observed(&mut rx);
    assert!(
        events
            .iter()
            .any(|e| e.event_type == EventType::Added && e.revision.name == "blueprints.team.app.main")
    );
    all.extend(events);

    // Deletion proposal and cancel: MODIFIED, still latest.
    let marked = cache.propose_deletion("basens", "ws9").await.unwrap();
    assert_eq!((marked.revision.lifecycle.clone(), marked.latest), (L::DeletionProposed, true));
    assert!(git(&remote, &["branch", "--list", "deletionProposed/basens/v5"]).contains("v5"));
    let back = cache.cancel_deletion("basens", "ws9").await.unwrap();
    assert_eq!(back.revision.lifecycle, L::Published);
    let events = observed(&mut rx);
    assert_eq!(events.len(), 2);
    all.extend(events);

    // Deletes: the latest tag (the flag moves back to v4), a draft, a placeholder.
    cache.propose_deletion("basens", "ws9").await.unwrap();
    cache.delete("basens", "ws9", None).await.unwrap();
    cache.create_draft("basens", "tmp", content("basens", "t")).await.unwrap();
    cache.delete("basens", "tmp", None).await.unwrap();
    cache.delete("team/app", "main", Some("carol".into())).await.unwrap();
    let events = observed(&mut rx);
    assert_eq!(
        summary(&events),
        vec![
            (EventType::Added, "blueprints.basens.tmp".into(), false),
            (EventType::Deleted, "blueprints.basens.tmp".into(), false),
            (EventType::Modified, "blueprints.basens.v4".into(), true),
            (EventType::Modified, "blueprints.basens.ws9".into(), true),
            (EventType::Deleted, "blueprints.basens.ws9".into(), true),
            (EventType::Deleted, "blueprints.team.app.main".into(), false),
        ]
    );
    all.extend(events);
    assert!(!remote_refs(&remote).contains_key("refs/tags/basens/v5"));
    assert_eq!(cache.find("basens", "ws9").map(|r| r.name.clone()), None);
    assert_eq!(cache.delete("basens", "ws9", None).await.unwrap_err().kind(), ErrorKind::NotFound);

    // The observer saw every change once, in strictly increasing resourceVersion order.
    for pair in all.windows(2) {
        assert!(pair[1].resource_version > pair[0].resource_version);
    }
    assert!(all.iter().all(|e| e.resource_version == e.revision.resource_version));

    // The index updated in place equals a fresh full discovery of the same remote, and a refresh
    // finds nothing to do.
    let fresh = cache_for(tmp.path(), "data2", &remote, &store).await;
    fresh.open().await.unwrap();
    assert_eq!(view(&cache), view(&fresh));
    assert!(cache.refresh().await.unwrap().is_empty());
}
