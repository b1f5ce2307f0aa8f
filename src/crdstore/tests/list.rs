use porch_layers::{FieldSelector, LabelSelector};
use serde_json::json;

use super::*;

fn names(page: &ListPage) -> Vec<String> {
    page.items.iter().map(|o| o["metadata"]["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn lists_are_sorted_and_scoped_by_namespace() {
    let (store, _dir) = fresh();
    create_ns(&store, "b").await;
    for (ns, name) in [("default", "z"), ("b", "a"), ("default", "a")] {
        store.create(StoredKind::Repository, repo(ns, name), &w()).await.unwrap();
    }
    let all = store.list(StoredKind::Repository, None, &ListOptions::default()).await.unwrap();
    let keys: Vec<_> = all
        .items
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["metadata"]["namespace"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(keys, ["b/a", "default/a", "default/z"]);
    assert_eq!(all.resource_version, store.resource_version());
    assert!(all.continue_token.is_none() && all.remaining_item_count.is_none());
    assert!(all.items.iter().all(|o| o["kind"] == "Repository"));
    let one = store.list(StoredKind::Repository, Some("default"), &ListOptions::default()).await.unwrap();
    assert_eq!(names(&one), ["a", "z"]);
}

#[tokio::test]
async fn selectors_filter_lists() {
    let (store, _dir) = fresh();
    for (name, env) in [("a", "prod"), ("b", "dev"), ("c", "prod")] {
        let mut s = secret("default", name);
        s["metadata"]["labels"] = json!({"env": env});
        if name == "c" {
            s["type"] = json!("kubernetes.io/basic-auth");
        }
        store.create(StoredKind::Secret, s, &w()).await.unwrap();
    }
    let opts = |l: &str, f: &str| ListOptions {
        label_selector: Some(LabelSelector::parse(l).unwrap()),
        field_selector: Some(FieldSelector::parse(f).unwrap()),
        ..Default::default()
    };
    let list = |o: ListOptions| {
        let store = store.clone();
        async move { store.list(StoredKind::Secret, None, &o).await }
    };
    assert_eq!(names(&list(opts("env=prod", "")).await.unwrap()), ["a", "c"]);
    assert_eq!(names(&list(opts("env!=prod", "")).await.unwrap()), ["b"]);
    assert_eq!(names(&list(opts("", "metadata.name=b")).await.unwrap()), ["b"]);
    assert_eq!(names(&list(opts("env in (prod)", "type=Opaque")).await.unwrap()), ["a"]);
    assert_eq!(
        names(&list(opts("", "metadata.namespace=default,metadata.name!=a")).await.unwrap()),
        ["b", "c"]
    );
    let e = list(opts("", "spec.x=1")).await.unwrap_err();
    assert_eq!(e.to_string(), "field label not supported: spec.x");
    let e = store
        .list(
            StoredKind::Repository,
            None,
            &ListOptions {
                field_selector: Some(FieldSelector::parse("type=git").unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::BadRequest(_)));
}

#[tokio::test]
async fn paging_through_25_objects_with_limit_10() {
    let (store, _dir) = fresh();
    for i in 0..25 {
        store.create(StoredKind::Repository, repo("default", &format!("r{i:02}")), &w()).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut token = None;
    let mut remaining = Vec::new();
    loop {
        let opts = ListOptions { limit: Some(10), continue_token: token.clone(), ..Default::default() };
        let page = store.list(StoredKind::Repository, Some("default"), &opts).await.unwrap();
        seen.extend(names(&page));
        remaining.push(page.remaining_item_count);
        token = page.continue_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, (0..25).map(|i| format!("r{i:02}")).collect::<Vec<_>>());
    assert_eq!(remaining, [Some(15), Some(5), None]);
    let exact = ListOptions { limit: Some(25), ..Default::default() };
    assert!(store.list(StoredKind::Repository, None, &exact).await.unwrap().continue_token.is_none());
    let bad = ListOptions { continue_token: Some("%%%".into()), ..Default::default() };
    assert!(matches!(store.list(StoredKind::Repository, None, &bad).await, Err(StoreError::BadRequest(_))));
}

#[tokio::test]
async fn shared_lists_hold_the_same_items() {
    let (store, _dir) = fresh();
    store.create(StoredKind::Repository, repo("default", "a"), &w()).await.unwrap();
    let shared = store.list_shared(StoredKind::Repository, None, &ListOptions::default()).await.unwrap();
    let owned = store.list(StoredKind::Repository, None, &ListOptions::default()).await.unwrap();
    assert_eq!(shared.items.len(), 1);
    assert_eq!(*shared.items[0], owned.items[0]);
    assert_eq!(shared.into_owned().items, owned.items);
}
