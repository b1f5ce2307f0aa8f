//! Reopening the data directory: objects and the resourceVersion counter survive a restart.

use crate::app_support::reopen;
use crate::common::{data_dir, open, repository, rv_of, step};
use futures::TryStreamExt;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use porch_api::Repository;
use porch_server::Config;
use serde_json::json;

#[tokio::test]
async fn objects_and_resource_versions_survive_a_restart() {
    let dir = data_dir();

    // First life: two repositories and a change.
    let last_rv = {
        let app = open(&dir, None);
        let api: Api<Repository> = Api::namespaced(app.kube_client(), "default");
        step("create", api.create(&PostParams::default(), &repository("alpha", "a"))).await.unwrap();
        step("create", api.create(&PostParams::default(), &repository("beta", "b"))).await.unwrap();
        let patch = Patch::Merge(json!({"spec": {"description": "a2"}}));
        let changed = step("patch", api.patch("alpha", &PatchParams::default(), &patch)).await.unwrap();
        let list = step("list", api.list(&ListParams::default())).await.unwrap();
        assert_eq!(list.metadata.resource_version.as_deref(), changed.metadata.resource_version.as_deref());
        rv_of(&changed)
    }; // the App and its clients are dropped here

    // Second life on the same directory.
    let mut config = Config::with_data_dir(dir.path());
    config.repository_controller = false;
    let app = step("reopening the data directory", reopen(&config)).await;
    let api: Api<Repository> = Api::namespaced(app.kube_client(), "default");
    let list = step("list", api.list(&ListParams::default())).await.unwrap();
    let mut got: Vec<(String, String)> =
        list.items.iter().map(|r| (r.metadata.name.clone().unwrap(), r.spec.description.clone())).collect();
    got.sort();
    assert_eq!(got, [("alpha".to_string(), "a2".to_string()), ("beta".to_string(), "b".to_string())]);
    let list_rv: u64 = list.metadata.resource_version.as_deref().unwrap().parse().unwrap();
    assert!(list_rv >= last_rv, "the list RV {list_rv} went back from {last_rv}");
    let alpha = step("get", api.get("alpha")).await.unwrap();
    assert_eq!(rv_of(&alpha), last_rv);

    // New writes get larger resourceVersions.
    let gamma = step("create", api.create(&PostParams::default(), &repository("gamma", "c"))).await.unwrap();
    assert!(rv_of(&gamma) > last_rv, "{} <= {last_rv}", rv_of(&gamma));
    let patch = Patch::Merge(json!({"spec": {"description": "b2"}}));
    let beta = step("patch", api.patch("beta", &PatchParams::default(), &patch)).await.unwrap();
    assert!(rv_of(&beta) > rv_of(&gamma));

    // A watch from the last resourceVersion of the first life gets exactly the later changes.
    let wp = WatchParams::default().timeout(1);
    let stream = step("watch", api.watch(&wp, &last_rv.to_string())).await.unwrap();
    let events: Vec<_> = step("the watch to time out", stream.try_collect::<Vec<_>>()).await.unwrap();
    let got: Vec<String> = events
        .into_iter()
        .filter_map(|e| match e {
            WatchEvent::Added(r) => {
                Some(format!("ADDED {} {}", r.metadata.name.as_deref().unwrap(), rv_of(&r)))
            }
            WatchEvent::Modified(r) => {
                Some(format!("MODIFIED {} {}", r.metadata.name.as_deref().unwrap(), rv_of(&r)))
            }
            WatchEvent::Bookmark(_) => None,
            other => panic!("unexpected event {other:?}"),
        })
        .collect();
    assert_eq!(got, [format!("ADDED gamma {}", rv_of(&gamma)), format!("MODIFIED beta {}", rv_of(&beta))]);
}
