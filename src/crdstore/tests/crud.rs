use serde_json::json;

use super::*;

#[tokio::test]
async fn create_sets_system_metadata_and_type_meta() {
    let (store, _dir) = fresh();
    let rv0 = store.resource_version();
    let mut r = repo("default", "blueprints");
    r["status"] = json!({"packageCount": 3});
    r["metadata"]["resourceVersion"] = json!("999");
    r["metadata"]["deletionTimestamp"] = json!("2020-01-01T00:00:00Z");
    r.as_object_mut().unwrap().remove("apiVersion");
    let got = store.create(StoredKind::Repository, r, &w()).await.unwrap();
    assert_eq!(got["apiVersion"], "config.porch.kpt.dev/v1alpha1");
    assert_eq!(got["kind"], "Repository");
    let md = &got["metadata"];
    assert_eq!(md["uid"].as_str().unwrap().len(), 36);
    assert_eq!(md["creationTimestamp"].as_str().unwrap().len(), 20);
    assert_eq!(md["generation"], 1);
    assert!(md.get("deletionTimestamp").is_none());
    assert_eq!(rv_of(&got), rv0 + 1);
    assert_eq!(store.resource_version(), rv0 + 1);
    assert!(got.get("status").is_none(), "status is discarded on create");
    assert_eq!(got["spec"]["git"]["branch"], "main");
    assert_eq!(store.get(StoredKind::Repository, Some("default"), "blueprints").await.unwrap(), got);
}

#[tokio::test]
async fn core_kinds_have_no_generation_and_secrets_are_normalized() {
    let (store, _dir) = fresh();
    let s = store.create(StoredKind::Secret, secret("default", "creds"), &w()).await.unwrap();
    assert_eq!(s["apiVersion"], "v1");
    assert!(s["metadata"].get("generation").is_none());
    assert_eq!(s["type"], "Opaque");
    assert_eq!(s["data"]["password"], "eA==");
    assert!(s.get("stringData").is_none());
    let ns = store.get(StoredKind::Namespace, None, "kube-system").await.unwrap();
    assert_eq!(ns["status"]["phase"], "Active");
    assert!(ns["metadata"].get("namespace").is_none());
}

#[tokio::test]
async fn default_namespaces_exist_at_open() {
    let (store, _dir) = fresh();
    let page = store.list(StoredKind::Namespace, None, &ListOptions::default()).await.unwrap();
    let names: Vec<_> = page.items.iter().map(|n| n["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["default", "kube-public", "kube-system"]);
    assert_eq!(page.resource_version, 3);
}

#[tokio::test]
async fn generate_name_appends_five_characters() {
    let (store, _dir) = fresh();
    let obj = json!({"metadata": {"generateName": "creds-", "namespace": "default"}});
    let a = store.create(StoredKind::Secret, obj.clone(), &w()).await.unwrap();
    let b = store.create(StoredKind::Secret, obj, &w()).await.unwrap();
    let name = a["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("creds-") && name.len() == 11, "{name}");
    assert_ne!(a["metadata"]["name"], b["metadata"]["name"]);
    let e = store.create(StoredKind::Secret, json!({"metadata": {"namespace": "default"}}), &w()).await;
    let Err(StoreError::Invalid { causes, .. }) = e else { panic!("{e:?}") };
    assert_eq!(causes[0].field, "metadata.name");
    assert_eq!(causes[0].reason, CauseReason::FieldValueRequired);
}

#[tokio::test]
async fn duplicates_missing_objects_and_namespaces_are_reported() {
    let (store, _dir) = fresh();
    store.create(StoredKind::Repository, repo("default", "r"), &w()).await.unwrap();
    let e = store.create(StoredKind::Repository, repo("default", "r"), &w()).await.unwrap_err();
    assert!(matches!(e, StoreError::AlreadyExists { kind: StoredKind::Repository, ref name } if name == "r"));
    let e = store.get(StoredKind::Repository, Some("default"), "nope").await.unwrap_err();
    assert_eq!(e.to_string(), "repositories.config.porch.kpt.dev \"nope\" not found");
    let e = store.create(StoredKind::Repository, repo("ghost", "r"), &w()).await.unwrap_err();
    assert!(matches!(e, StoreError::NamespaceNotFound(ref ns) if ns == "ghost"));
    let mut no_ns = repo("", "r");
    no_ns["metadata"].as_object_mut().unwrap().remove("namespace");
    assert!(matches!(
        store.create(StoredKind::Repository, no_ns, &w()).await,
        Err(StoreError::BadRequest(_))
    ));
    let wrong =
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": "default"}});
    assert!(matches!(
        store.create(StoredKind::Repository, wrong, &w()).await,
        Err(StoreError::BadRequest(_))
    ));
    assert!(matches!(store.get(StoredKind::Secret, None, "x").await, Err(StoreError::BadRequest(_))));
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let (store, _dir) = fresh();
    let rv0 = store.resource_version();
    let mut events = store
        .watch(
            StoredKind::Repository,
            None,
            WatchOptions { resource_version: Some(rv0.to_string()), ..Default::default() },
        )
        .unwrap();
    let got = store.create(StoredKind::Repository, repo("default", "r"), &dry()).await.unwrap();
    assert_eq!(got["metadata"]["name"], "r");
    assert!(got["metadata"].get("resourceVersion").is_none());
    assert!(store.get(StoredKind::Repository, Some("default"), "r").await.is_err());
    let e = store.create(StoredKind::Repository, repo("default", "Bad"), &dry()).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }));

    let real = store.create(StoredKind::Repository, repo("default", "r"), &w()).await.unwrap();
    let mut changed = real.clone();
    changed["spec"]["description"] = json!("new");
    let upd = store.update(StoredKind::Repository, changed, &dry()).await.unwrap();
    assert_eq!(upd["spec"]["description"], "new");
    assert_eq!(upd["metadata"]["resourceVersion"], real["metadata"]["resourceVersion"]);
    assert_eq!(upd["metadata"]["generation"], 2);
    let del = DeleteOptions { dry_run: true, ..Default::default() };
    store.delete(StoredKind::Repository, Some("default"), "r", &del).await.unwrap();
    let e = store.delete(StoredKind::Namespace, None, "default", &del).await.unwrap_err();
    assert!(matches!(e, StoreError::ImmortalNamespace(_)));
    assert_eq!(store.get(StoredKind::Repository, Some("default"), "r").await.unwrap(), real);
    assert_eq!(store.get(StoredKind::Namespace, None, "default").await.unwrap()["status"]["phase"], "Active");
    assert_eq!(store.resource_version(), rv0 + 1);
    assert_eq!(summary(&next(&mut events).await), (WatchEventType::Added, "r".into()));
    quiet(&mut events).await;
}

#[tokio::test]
async fn concurrent_creates_are_group_committed_with_distinct_versions() {
    let (store, _dir) = fresh();
    let rv0 = store.resource_version();
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store.create(StoredKind::Secret, secret("default", &format!("s{i}")), &w()).await
            })
        })
        .collect();
    let mut rvs = Vec::new();
    for t in tasks {
        rvs.push(rv_of(&t.await.unwrap().unwrap()));
    }
    rvs.sort_unstable();
    assert_eq!(rvs, (rv0 + 1..=rv0 + 64).collect::<Vec<_>>());
    assert_eq!(store.resource_version(), rv0 + 64);
}
