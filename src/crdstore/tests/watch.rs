use porch_layers::{FieldSelector, LabelSelector};
use serde_json::json;

use super::*;

fn from(rv: u64) -> WatchOptions {
    WatchOptions { resource_version: Some(rv.to_string()), ..Default::default() }
}

#[tokio::test]
async fn from_zero_replays_the_state_then_follows_changes() {
    let (store, _dir) = fresh();
    store.create(StoredKind::Repository, repo("default", "a"), &w()).await.unwrap();
    store.create(StoredKind::Secret, secret("default", "s"), &w()).await.unwrap();
    let mut s = store
        .watch(
            StoredKind::Repository,
            None,
            WatchOptions { resource_version: Some("0".into()), ..Default::default() },
        )
        .unwrap();
    let first = next(&mut s).await;
    assert_eq!(summary(&first), (WatchEventType::Added, "a".into()));
    assert_eq!(first.object["kind"], "Repository");
    quiet(&mut s).await;
    let b = store.create(StoredKind::Repository, repo("default", "b"), &w()).await.unwrap();
    let ev = next(&mut s).await;
    assert_eq!(summary(&ev), (WatchEventType::Added, "b".into()));
    assert_eq!(*ev.object, b);
    let mut upd = b.clone();
    upd["spec"]["description"] = json!("x");
    store.update(StoredKind::Repository, upd, &w()).await.unwrap();
    assert_eq!(summary(&next(&mut s).await), (WatchEventType::Modified, "b".into()));
    store.delete(StoredKind::Repository, Some("default"), "b", &DeleteOptions::default()).await.unwrap();
    let ev = next(&mut s).await;
    assert_eq!(summary(&ev), (WatchEventType::Deleted, "b".into()));
    assert_eq!(rv_of(&ev.object), store.resource_version());
    let mut unset = store.watch(StoredKind::Repository, Some("default"), WatchOptions::default()).unwrap();
    assert_eq!(summary(&next(&mut unset).await), (WatchEventType::Added, "a".into()));
    quiet(&mut unset).await;
}

#[tokio::test]
async fn from_a_resource_version_sends_exactly_the_later_events() {
    let (store, _dir) = fresh();
    let a = store.create(StoredKind::Repository, repo("default", "a"), &w()).await.unwrap();
    store.create(StoredKind::Repository, repo("default", "b"), &w()).await.unwrap();
    store.create(StoredKind::Repository, repo("default", "c"), &w()).await.unwrap();
    let mut s = store.watch(StoredKind::Repository, None, from(rv_of(&a))).unwrap();
    assert_eq!(summary(&next(&mut s).await), (WatchEventType::Added, "b".into()));
    assert_eq!(summary(&next(&mut s).await), (WatchEventType::Added, "c".into()));
    quiet(&mut s).await;
    let mut ns_only = store.watch(StoredKind::Repository, Some("kube-system"), from(rv_of(&a) - 1)).unwrap();
    quiet(&mut ns_only).await;
    assert!(matches!(
        store.watch(
            StoredKind::Repository,
            None,
            WatchOptions { resource_version: Some("x".into()), ..Default::default() }
        ),
        Err(StoreError::BadRequest(_))
    ));
}

#[tokio::test]
async fn an_expired_resource_version_gets_a_410_error_event() {
    let (store, _dir) = fresh(); // window of 50 events
    for i in 0..60 {
        store.create(StoredKind::Secret, secret("default", &format!("s{i}")), &w()).await.unwrap();
    }
    let rv = store.resource_version();
    let mut s = store.watch(StoredKind::Secret, None, from(2)).unwrap();
    let ev = next(&mut s).await;
    assert_eq!(ev.event_type, WatchEventType::Error);
    let oldest = rv - 49;
    assert_eq!(
        *ev.object,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": format!("too old resource version: 2 ({})", oldest - 1), "reason": "Expired", "code": 410})
    );
    assert!(futures::StreamExt::next(&mut s).await.is_none(), "the stream ends after the error");
    let mut ok = store.watch(StoredKind::Secret, None, from(oldest - 1)).unwrap();
    assert_eq!(rv_of(&next(&mut ok).await.object), oldest);
}

#[tokio::test]
async fn bookmarks_and_initial_events_end() {
    let (store, _dir) = fresh();
    store.create(StoredKind::Repository, repo("default", "a"), &w()).await.unwrap();
    let rv = store.resource_version();
    let opts = WatchOptions { send_initial_events: true, allow_bookmarks: true, ..Default::default() };
    let mut s = store.watch(StoredKind::Repository, None, opts).unwrap();
    assert_eq!(summary(&next(&mut s).await), (WatchEventType::Added, "a".into()));
    let end = next(&mut s).await;
    assert_eq!(end.event_type, WatchEventType::Bookmark);
    assert_eq!(
        *end.object,
        json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
               "metadata": {"resourceVersion": rv.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}}})
    );
    store.create(StoredKind::Secret, secret("default", "other-kind"), &w()).await.unwrap();
    let tick = next(&mut s).await; // 100 ms interval in tests
    assert_eq!(tick.event_type, WatchEventType::Bookmark);
    assert_eq!(tick.object["metadata"]["resourceVersion"], (rv + 1).to_string());
    assert!(tick.object["metadata"].get("annotations").is_none());
    let mut plain = store.watch(StoredKind::Repository, None, from(rv)).unwrap();
    quiet(&mut plain).await; // no bookmarks unless allowed
}

#[tokio::test]
async fn selector_transitions_become_added_and_deleted() {
    let (store, _dir) = fresh();
    let mut r = repo("default", "r");
    r["metadata"]["labels"] = json!({"env": "dev"});
    let v1 = store.create(StoredKind::Repository, r, &w()).await.unwrap();
    store.create(StoredKind::Repository, repo("default", "unlabelled"), &w()).await.unwrap();
    let opts = WatchOptions {
        resource_version: Some("0".into()),
        label_selector: Some(LabelSelector::parse("env=prod").unwrap()),
        field_selector: Some(FieldSelector::parse("metadata.name=r").unwrap()),
        ..Default::default()
    };
    let mut s = store.watch(StoredKind::Repository, Some("default"), opts).unwrap();
    quiet(&mut s).await;
    let mut prod = v1.clone();
    prod["metadata"]["labels"] = json!({"env": "prod"});
    let v2 = store.update(StoredKind::Repository, prod, &w()).await.unwrap();
    assert_eq!(summary(&next(&mut s).await), (WatchEventType::Added, "r".into()));
    let mut desc = v2.clone();
    desc["spec"]["description"] = json!("d");
    let v3 = store.update(StoredKind::Repository, desc, &w()).await.unwrap();
    assert_eq!(summary(&next(&mut s).await), (WatchEventType::Modified, "r".into()));
    let mut dev = v3.clone();
    dev["metadata"]["labels"] = json!({"env": "dev"});
    let v4 = store.update(StoredKind::Repository, dev, &w()).await.unwrap();
    let ev = next(&mut s).await;
    assert_eq!(summary(&ev), (WatchEventType::Deleted, "r".into()));
    assert_eq!(ev.object["metadata"]["labels"]["env"], "prod", "the last matching state");
    assert_eq!(ev.object["metadata"]["resourceVersion"], v4["metadata"]["resourceVersion"]);
    store.delete(StoredKind::Repository, Some("default"), "r", &DeleteOptions::default()).await.unwrap();
    quiet(&mut s).await;
    assert!(
        store
            .watch(
                StoredKind::Repository,
                None,
                WatchOptions {
                    field_selector: Some(FieldSelector::parse("spec.type=git").unwrap()),
                    ..Default::default()
                }
            )
            .is_err()
    );
}

#[tokio::test]
async fn many_watchers_see_every_event_and_never_block_writers() {
    let (store, _dir) = fresh();
    let rv = store.resource_version();
    let mut streams: Vec<_> =
        (0..5).map(|_| store.watch(StoredKind::Secret, None, from(rv)).unwrap()).collect();
    for i in 0..30 {
        store.create(StoredKind::Secret, secret("default", &format!("s{i:02}")), &w()).await.unwrap();
    }
    for s in &mut streams {
        for i in 0..30 {
            assert_eq!(summary(&next(s).await), (WatchEventType::Added, format!("s{i:02}")));
        }
    }
}
