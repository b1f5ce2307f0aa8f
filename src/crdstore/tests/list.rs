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
    assert_eq!(shared.items[0], serde_json::to_vec(&owned.items[0]).unwrap());
    assert_eq!(shared.into_owned().items, owned.items);
}

/// A PackageRev of repository `repository`.
fn package_rev(name: &str, repository: &str) -> Value {
    json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "PackageRev",
        "metadata": {"name": name, "namespace": "default",
                     "labels": {"internal.porch.kpt.dev/repository": repository}},
        "spec": {},
    })
}

#[tokio::test]
async fn one_repositorys_package_revs_come_from_the_label_index_and_follow_relabelling_and_restarts() {
    let (store, dir) = fresh();
    for (name, repository) in [("a.p.1", "a"), ("b.p.1", "b"), ("a.q.1", "a"), ("a.r.1", "a"), ("c.p.1", "c")]
    {
        store.create(StoredKind::PackageRev, package_rev(name, repository), &w()).await.unwrap();
    }
    let of = |selector: &str, limit: Option<usize>, token: Option<String>| ListOptions {
        label_selector: Some(LabelSelector::parse(selector).unwrap()),
        limit,
        continue_token: token,
        ..Default::default()
    };
    let list = |store: &Store, o: ListOptions| {
        let store = store.clone();
        async move { store.list(StoredKind::PackageRev, Some("default"), &o).await.unwrap() }
    };
    let label = "internal.porch.kpt.dev/repository";
    assert_eq!(
        names(&list(&store, of(&format!("{label}=a"), None, None)).await),
        ["a.p.1", "a.q.1", "a.r.1"]
    );
    assert_eq!(names(&list(&store, of(&format!("{label} in (b)"), None, None)).await), ["b.p.1"]);
    // Other requirements still apply, and pages continue in key order.
    let first = list(&store, of(&format!("{label}=a"), Some(2), None)).await;
    assert_eq!(names(&first), ["a.p.1", "a.q.1"]);
    assert_eq!(first.remaining_item_count, Some(1));
    let rest = list(&store, of(&format!("{label}=a"), Some(2), first.continue_token.clone())).await;
    assert_eq!(names(&rest), ["a.r.1"]);
    assert!(names(&list(&store, of(&format!("{label}=a,x=y"), None, None)).await).is_empty());
    assert_eq!(names(&list(&store, of(&format!("{label}=a,{label}!=b"), None, None)).await).len(), 3);
    let named = ListOptions {
        field_selector: Some(porch_layers::FieldSelector::parse("metadata.name=a.q.1").unwrap()),
        ..of(&format!("{label}=a"), None, None)
    };
    assert_eq!(names(&list(&store, named).await), ["a.q.1"]);
    // A relabelled PackageRev moves; a deleted one goes.
    let mut moved = store.get(StoredKind::PackageRev, Some("default"), "a.q.1").await.unwrap();
    moved["metadata"]["labels"][label] = json!("b");
    store.update(StoredKind::PackageRev, moved, &w()).await.unwrap();
    store.delete(StoredKind::PackageRev, Some("default"), "a.r.1", &Default::default()).await.unwrap();
    assert_eq!(names(&list(&store, of(&format!("{label}=a"), None, None)).await), ["a.p.1"]);
    assert_eq!(names(&list(&store, of(&format!("{label}=b"), None, None)).await), ["a.q.1", "b.p.1"]);
    // Rebuilt from the data directory on open.
    drop(store);
    let store = open_in(dir.path());
    assert_eq!(names(&list(&store, of(&format!("{label}=b"), None, None)).await), ["a.q.1", "b.p.1"]);
    assert_eq!(names(&list(&store, of(&format!("{label}!=b"), None, None)).await), ["a.p.1", "c.p.1"]);
}

#[tokio::test]
async fn an_open_indexes_the_saved_package_revs_by_their_repository_label_and_keeps_odd_ones() {
    let (store, dir) = fresh();
    store.create(StoredKind::PackageRev, package_rev("a.p.1", "a"), &w()).await.unwrap();
    drop(store);
    let label = "internal.porch.kpt.dev/repository";
    let planted = [
        json!({"metadata": {"name": "a.q.1", "namespace": "default", "labels": {label: "a", "x": 5}}}),
        json!({"metadata": {"name": "a.r.1", "namespace": "default", "labels": "a"}}),
        json!({"metadata": {"name": "a.s.1", "namespace": "default", "labels": {label: 7}}}),
    ];
    for object in &planted {
        Store::import_raw_offline(dir.path(), StoredKind::PackageRev, object).unwrap();
    }
    let store = open_in(dir.path());
    let of = ListOptions {
        label_selector: Some(LabelSelector::parse(&format!("{label}=a")).unwrap()),
        ..Default::default()
    };
    let pinned = store.list(StoredKind::PackageRev, Some("default"), &of).await.unwrap();
    assert_eq!(names(&pinned), ["a.p.1", "a.q.1"], "labelled by a string: indexed");
    let all = store.list(StoredKind::PackageRev, Some("default"), &ListOptions::default()).await.unwrap();
    assert_eq!(names(&all), ["a.p.1", "a.q.1", "a.r.1", "a.s.1"], "odd labels: kept, not indexed");
}
