use serde_json::json;

use super::*;

#[tokio::test]
async fn objects_and_resource_version_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (created, rv) = {
        let store = open_in(dir.path());
        let mut r = repo("default", "r");
        r["metadata"]["labels"] = json!({"a": "b"});
        let created = store.create(StoredKind::Repository, r, &w()).await.unwrap();
        store.create(StoredKind::Secret, secret("default", "s"), &w()).await.unwrap();
        store.delete(StoredKind::Secret, Some("default"), "s", &DeleteOptions::default()).await.unwrap();
        (created, store.resource_version())
    };
    assert!(dir.path().join("store.redb").exists());
    let store = open_in(dir.path());
    assert_eq!(store.resource_version(), rv);
    assert_eq!(store.get(StoredKind::Repository, Some("default"), "r").await.unwrap(), created);
    assert!(store.get(StoredKind::Secret, Some("default"), "s").await.is_err());
    let next = store.create(StoredKind::Secret, secret("default", "t"), &w()).await.unwrap();
    assert_eq!(rv_of(&next), rv + 1);

    // A watch from before the restart has nothing to resume from; from the current RV it works.
    let mut old = store
        .watch(
            StoredKind::Secret,
            None,
            WatchOptions { resource_version: Some("1".into()), ..Default::default() },
        )
        .unwrap();
    assert_eq!(super::next(&mut old).await.event_type, WatchEventType::Error);
}

#[tokio::test]
async fn reserved_resource_versions_are_unique_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let last = {
        let store = open_in(dir.path());
        let before = store.resource_version();
        let first = store.reserve_resource_versions(3).await.unwrap();
        assert_eq!(first, before + 1);
        assert_eq!(store.resource_version(), before + 3);
        let created = store.create(StoredKind::Secret, secret("default", "s"), &w()).await.unwrap();
        assert_eq!(rv_of(&created), before + 4, "objects never reuse reserved numbers");
        let (a, b) = tokio::join!(store.reserve_resource_versions(1), store.reserve_resource_versions(2));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a != b && (a + 1 == b || b + 2 == a), "concurrent reservations do not overlap: {a} {b}");
        store.resource_version()
    };
    let store = open_in(dir.path());
    assert_eq!(store.resource_version(), last);
    assert_eq!(store.reserve_resource_versions(1).await.unwrap(), last + 1);
}
