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
