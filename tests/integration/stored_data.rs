//! Stored objects that no longer decode (planted with `Store::import_raw_offline` between two
//! lives of the App, as an older server could have left them) do not stop the orphan sweep: it
//! still removes what outlived its Repository, and leaves the bad objects alone.

use std::time::Duration;

use crate::app_support::{reopen, within};
use crate::common::{data_dir, open, repository, step};
use kube::api::{Api, PostParams};
use porch_api::labels::INTERNAL_REPOSITORY_LABEL;
use porch_api::{PackageRev, Repository};
use porch_server::Config;
use porch_server::crdstore::{Store, StoredKind};
use serde_json::{Value, json};

fn package_rev(name: &str, repository: &str) -> PackageRev {
    serde_json::from_value(json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "PackageRev",
        "metadata": {"name": name, "labels": {INTERNAL_REPOSITORY_LABEL: repository}},
        "spec": {},
    }))
    .expect("a valid PackageRev")
}

#[tokio::test]
async fn the_orphan_sweep_skips_undecodable_objects() {
    let dir = data_dir();
    let planted: Vec<(StoredKind, Value)> = {
        let app = open(&dir, None);
        let client = app.kube_client();
        let repos: Api<Repository> = Api::namespaced(client.clone(), "default");
        let revs: Api<PackageRev> = Api::namespaced(client, "default");
        let pp = PostParams::default();
        let bad_repo = step("create", repos.create(&pp, &repository("bad", "x"))).await.unwrap();
        step("create", revs.create(&pp, &package_rev("orphan", "gone"))).await.unwrap();
        let bad_rev = step("create", revs.create(&pp, &package_rev("bad-rev", "gone"))).await.unwrap();
        let mut bad_repo = serde_json::to_value(bad_repo).unwrap();
        bad_repo["spec"]["deployment"] = json!("yes");
        let mut bad_rev = serde_json::to_value(bad_rev).unwrap();
        bad_rev["metadata"]["ownerReferences"] = json!("x");
        vec![(StoredKind::Repository, bad_repo), (StoredKind::PackageRev, bad_rev)]
    };
    let mut config = Config::with_data_dir(dir.path());
    config.orphan_sweep_interval = Duration::from_millis(100);
    // The first App lets go of the store shortly after it is dropped.
    within(Duration::from_secs(15), "planting", async {
        loop {
            let all =
                planted.iter().try_for_each(|(kind, o)| Store::import_raw_offline(dir.path(), *kind, o));
            match all {
                Ok(()) => break,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await;

    let app = step("reopening", reopen(&config)).await;
    let revs: Api<porch_controllers::Stored<PackageRev>> = Api::namespaced(app.kube_client(), "default");
    within(Duration::from_secs(15), "the sweep removing the orphan", async {
        while step("get", revs.get_opt("orphan")).await.unwrap().is_some() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let bad = step("get", revs.get_opt("bad-rev")).await.unwrap().expect("the bad PackageRev stays");
    let e = bad.object().expect_err("it still does not decode");
    assert_eq!(e.field, "metadata.ownerReferences");
}
