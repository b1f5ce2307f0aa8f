use serde_json::json;

use super::*;

#[tokio::test]
async fn a_stale_resource_version_conflicts_and_an_empty_one_is_unconditional() {
    let (store, _dir) = fresh();
    let v1 = store.create(StoredKind::Repository, repo("default", "r"), &w()).await.unwrap();
    let mut a = v1.clone();
    a["spec"]["description"] = json!("a");
    let v2 = store.update(StoredKind::Repository, a, &w()).await.unwrap();
    assert_eq!(rv_of(&v2), rv_of(&v1) + 1);
    let mut stale = v1.clone();
    stale["spec"]["description"] = json!("b");
    let e = store.update(StoredKind::Repository, stale.clone(), &w()).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict { kind: StoredKind::Repository, ref name } if name == "r"));
    assert!(e.to_string().contains("the object has been modified"));
    stale["metadata"]["resourceVersion"] = json!("");
    let v3 = store.update(StoredKind::Repository, stale, &w()).await.unwrap();
    assert_eq!(v3["spec"]["description"], "b");
    let e = store.update(StoredKind::Repository, repo("default", "missing"), &w()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }));
}

#[tokio::test]
async fn generation_moves_only_when_the_spec_changes() {
    let (store, _dir) = fresh();
    let v1 = store.create(StoredKind::Repository, repo("default", "r"), &w()).await.unwrap();
    let mut labels = v1.clone();
    labels["metadata"]["labels"] = json!({"a": "b"});
    let v2 = store.update(StoredKind::Repository, labels, &w()).await.unwrap();
    assert_eq!(v2["metadata"]["generation"], 1);
    assert_eq!(rv_of(&v2), rv_of(&v1) + 1);
    let mut spec = v2.clone();
    spec["spec"]["description"] = json!("x");
    spec["metadata"]["generation"] = json!(42); // system field: ignored
    spec["metadata"]["uid"] = json!("forged");
    let v3 = store.update(StoredKind::Repository, spec, &w()).await.unwrap();
    assert_eq!(v3["metadata"]["generation"], 2);
    assert_eq!(v3["metadata"]["uid"], v1["metadata"]["uid"]);
    assert_eq!(v3["metadata"]["creationTimestamp"], v1["metadata"]["creationTimestamp"]);
    let st = store
        .update_status(
            StoredKind::Repository,
            json!({"metadata": {"name": "r", "namespace": "default"}, "status": {"packageCount": 1}}),
            &w(),
        )
        .await
        .unwrap();
    assert_eq!(st["metadata"]["generation"], 2);
}

#[tokio::test]
async fn a_no_op_update_keeps_the_resource_version() {
    let (store, _dir) = fresh();
    let v1 = store.create(StoredKind::Repository, repo("default", "r"), &w()).await.unwrap();
    let rv = store.resource_version();
    let mut same = repo("default", "r"); // branch gets defaulted again: still the same object
    same["metadata"]["resourceVersion"] = v1["metadata"]["resourceVersion"].clone();
    let got = store.update(StoredKind::Repository, same, &w()).await.unwrap();
    assert_eq!(got, v1);
    assert_eq!(store.resource_version(), rv);
    let got = store.update_status(StoredKind::Repository, v1.clone(), &w()).await.unwrap();
    assert_eq!(got, v1);
    assert_eq!(store.resource_version(), rv);
}

#[tokio::test]
async fn status_and_main_resource_are_isolated() {
    let (store, _dir) = fresh();
    let v1 = store.create(StoredKind::Repository, repo("default", "r"), &w()).await.unwrap();
    let mut st = v1.clone();
    st["status"] = json!({"packageCount": 7});
    st["spec"]["description"] = json!("ignored by /status");
    st["metadata"]["labels"] = json!({"ignored": "too"});
    let v2 = store.update_status(StoredKind::Repository, st, &w()).await.unwrap();
    assert_eq!(v2["status"]["packageCount"], 7);
    assert!(v2["spec"].get("description").is_none());
    assert!(v2["metadata"].get("labels").is_none());
    let mut main = v2.clone();
    main["status"] = json!({"packageCount": 0});
    main["spec"]["description"] = json!("kept");
    let v3 = store.update(StoredKind::Repository, main, &w()).await.unwrap();
    assert_eq!(v3["status"]["packageCount"], 7);
    assert_eq!(v3["spec"]["description"], "kept");
    let mut stale = v1.clone();
    stale["status"] = json!({});
    let e = store.update_status(StoredKind::Repository, stale, &w()).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }));
    let e = store.update_status(StoredKind::Secret, secret("default", "s"), &w()).await.unwrap_err();
    assert!(matches!(e, StoreError::BadRequest(_)));
}

#[tokio::test]
async fn repository_identity_is_immutable() {
    let (store, _dir) = fresh();
    let v1 = store.create(StoredKind::Repository, repo("default", "r"), &w()).await.unwrap();
    let mut moved = v1.clone();
    moved["spec"]["git"]["repo"] = json!("https://elsewhere/x.git");
    moved["spec"]["git"]["branch"] = json!("dev");
    let Err(StoreError::Invalid { kind, name, causes }) =
        store.update(StoredKind::Repository, moved, &w()).await
    else {
        panic!("expected Invalid")
    };
    assert_eq!((kind, name.as_str()), (StoredKind::Repository, "r"));
    let messages: Vec<_> = causes.iter().map(|c| c.message.as_str()).collect();
    assert_eq!(messages, ["spec.git.repo is immutable", "spec.git.branch is immutable"]);
}

#[tokio::test]
async fn namespace_status_survives_updates() {
    let (store, _dir) = fresh();
    let ns = create_ns(&store, "team").await;
    let mut upd = ns.clone();
    upd["status"] = json!({"phase": "Whatever"});
    upd["metadata"]["labels"] = json!({"team": "a"});
    let got = store.update(StoredKind::Namespace, upd, &w()).await.unwrap();
    assert_eq!(got["status"]["phase"], "Active");
    assert_eq!(got["metadata"]["labels"]["team"], "a");
}
