use serde_json::json;

use super::*;

fn d() -> DeleteOptions {
    DeleteOptions::default()
}

#[tokio::test]
async fn delete_without_finalizers_removes_the_object() {
    let (store, _dir) = fresh();
    let v1 = store.create(StoredKind::Secret, secret("default", "s"), &w()).await.unwrap();
    let gone = store.delete(StoredKind::Secret, Some("default"), "s", &d()).await.unwrap();
    assert_eq!(rv_of(&gone), rv_of(&v1) + 1);
    assert_eq!(store.resource_version(), rv_of(&gone));
    assert!(matches!(
        store.get(StoredKind::Secret, Some("default"), "s").await,
        Err(StoreError::NotFound { .. })
    ));
    let e = store.delete(StoredKind::Secret, Some("default"), "s", &d()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }));
}

#[tokio::test]
async fn preconditions_must_hold() {
    let (store, _dir) = fresh();
    let v1 = store.create(StoredKind::Secret, secret("default", "s"), &w()).await.unwrap();
    let bad_uid = DeleteOptions { precondition_uid: Some("nope".into()), ..d() };
    let e = store.delete(StoredKind::Secret, Some("default"), "s", &bad_uid).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }));
    let bad_rv = DeleteOptions { precondition_resource_version: Some("1".into()), ..d() };
    assert!(store.delete(StoredKind::Secret, Some("default"), "s", &bad_rv).await.is_err());
    let good = DeleteOptions {
        precondition_uid: v1["metadata"]["uid"].as_str().map(str::to_string),
        precondition_resource_version: v1["metadata"]["resourceVersion"].as_str().map(str::to_string),
        ..d()
    };
    store.delete(StoredKind::Secret, Some("default"), "s", &good).await.unwrap();
}

#[tokio::test]
async fn finalizers_keep_a_terminating_object_until_removed() {
    let (store, _dir) = fresh();
    let mut r = repo("default", "r");
    r["metadata"]["finalizers"] = json!(["config.porch.kpt.dev/repository"]);
    store.create(StoredKind::Repository, r, &w()).await.unwrap();
    let mut events = store
        .watch(
            StoredKind::Repository,
            None,
            WatchOptions {
                resource_version: Some(store.resource_version().to_string()),
                ..Default::default()
            },
        )
        .unwrap();
    let t1 = store.delete(StoredKind::Repository, Some("default"), "r", &d()).await.unwrap();
    let ts = t1["metadata"]["deletionTimestamp"].clone();
    assert!(ts.is_string());
    assert_eq!(next(&mut events).await.event_type, WatchEventType::Modified);
    let t2 = store.delete(StoredKind::Repository, Some("default"), "r", &d()).await.unwrap();
    assert_eq!(t2, t1, "a second delete changes nothing");
    let mut add = t1.clone();
    add["metadata"]["finalizers"] = json!(["config.porch.kpt.dev/repository", "new"]);
    let e = store.update(StoredKind::Repository, add, &w()).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    let mut release = t1.clone();
    release["metadata"]["finalizers"] = json!([]);
    let gone = store.update(StoredKind::Repository, release, &w()).await.unwrap();
    assert_eq!(gone["metadata"]["deletionTimestamp"], ts);
    let ev = next(&mut events).await;
    assert_eq!(ev.event_type, WatchEventType::Deleted);
    assert_eq!(rv_of(&ev.object), store.resource_version());
    assert!(store.get(StoredKind::Repository, Some("default"), "r").await.is_err());
}

#[tokio::test]
async fn deleting_a_namespace_cascades_and_waits_for_finalizers() {
    let (store, _dir) = fresh();
    create_ns(&store, "team").await;
    store.create(StoredKind::Secret, secret("team", "s"), &w()).await.unwrap();
    let mut r = repo("team", "r");
    r["metadata"]["finalizers"] = json!(["f"]);
    store.create(StoredKind::Repository, r, &w()).await.unwrap();
    store.create(StoredKind::Secret, secret("default", "other"), &w()).await.unwrap();

    let ns = store.delete(StoredKind::Namespace, None, "team", &d()).await.unwrap();
    assert_eq!(ns["status"]["phase"], "Terminating");
    assert!(ns["metadata"]["deletionTimestamp"].is_string());
    assert!(store.get(StoredKind::Secret, Some("team"), "s").await.is_err());
    let r = store.get(StoredKind::Repository, Some("team"), "r").await.unwrap();
    assert!(r["metadata"]["deletionTimestamp"].is_string());
    assert!(store.get(StoredKind::Secret, Some("default"), "other").await.is_ok());
    let e = store.create(StoredKind::Secret, secret("team", "late"), &w()).await.unwrap_err();
    assert!(matches!(e, StoreError::NamespaceTerminating(ref n) if n == "team"));

    let mut release = r.clone();
    release["metadata"]["finalizers"] = json!([]);
    store.update(StoredKind::Repository, release, &w()).await.unwrap();
    assert!(
        store.get(StoredKind::Namespace, None, "team").await.is_err(),
        "namespace gone with its last object"
    );
}

#[tokio::test]
async fn an_empty_namespace_goes_at_once() {
    let (store, _dir) = fresh();
    create_ns(&store, "empty").await;
    let gone = store.delete(StoredKind::Namespace, None, "empty", &d()).await.unwrap();
    assert_eq!(gone["status"]["phase"], "Terminating");
    assert!(store.get(StoredKind::Namespace, None, "empty").await.is_err());
}

#[tokio::test]
async fn the_system_namespaces_may_not_be_deleted() {
    let (store, _dir) = fresh();
    for ns in ["default", "kube-system", "kube-public"] {
        let e = store.delete(StoredKind::Namespace, None, ns, &d()).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("namespaces \"{ns}\" is forbidden: this namespace may not be deleted")
        );
    }
    assert_eq!(store.get(StoredKind::Namespace, None, "default").await.unwrap()["status"]["phase"], "Active");
    let e = crate::crdstore::rest::store_error(&StoreError::ImmortalNamespace("default".into()));
    assert_eq!(e.code(), 403);
}
