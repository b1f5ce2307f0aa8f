//! Object metadata git cannot hold lives in the PackageRev: labels and annotations on create
//! and update, finalizers that keep a deleted revision until they are removed.

use kube::api::{Api, DeleteParams, Patch, PatchParams};
use porch_api::PackageRev;
use serde_json::json;

use super::common::{Env, NS, api_error, step};
use super::support::{blueprints, file_url, git};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_annotations_and_finalizers_are_kept_in_the_packagerev() {
    let env = Env::start();
    let remote = blueprints(env.scratch.path());
    env.register("blueprints", &file_url(&remote)).await;
    let pr = env
        .create_with(
            json!({"labels": {"team": "a"}, "annotations": {"note": "hello"}}),
            json!({"repository": "blueprints", "packageName": "meta", "workspaceName": "w"}),
        )
        .await
        .unwrap();
    let name = pr.metadata.name.clone().unwrap();
    assert_eq!(pr.metadata.labels.as_ref().unwrap()["team"], "a");
    assert_eq!(pr.metadata.annotations.as_ref().unwrap()["note"], "hello");
    assert!(pr.metadata.creation_timestamp.is_some());

    // The shadow object carries them plus the server's label and finalizer.
    let revs: Api<PackageRev> = Api::namespaced(env.client.clone(), NS);
    let rev = revs.get(&name).await.unwrap();
    let labels = rev.metadata.labels.as_ref().unwrap();
    assert_eq!(
        (labels["team"].as_str(), labels["internal.porch.kpt.dev/repository"].as_str()),
        ("a", "blueprints")
    );
    assert_eq!(rev.metadata.finalizers.as_deref().unwrap(), ["internal.porch.kpt.dev/packagerevision"]);
    // No owner reference: kube's garbage collector would act on it (see porch_api::config::shadow).
    assert_eq!(rev.metadata.owner_references, None);

    // Metadata of a published revision can change (discovered: no PackageRev yet).
    let patched = env
        .prs()
        .patch(
            "blueprints.basens.v4",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"env": "prod"}}})),
        )
        .await
        .unwrap();
    let labels = patched.metadata.labels.unwrap();
    assert_eq!((labels["env"].as_str(), labels["kpt.dev/latest-revision"].as_str()), ("prod", "true"));
    assert_eq!(env.prs().get("blueprints.basens.v4").await.unwrap().metadata.labels.unwrap()["env"], "prod");

    // A finalizer keeps a deleted draft, terminating, until an update removes it.
    env.prs()
        .patch(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": ["example.com/hold"]}})),
        )
        .await
        .unwrap();
    env.prs().delete(&name, &DeleteParams::default()).await.unwrap();
    let held = env.prs().get(&name).await.unwrap();
    assert!(held.metadata.deletion_timestamp.is_some());
    assert!(git(&remote, &["branch"]).contains("drafts/meta/w"));
    env.prs()
        .patch(&name, &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}})))
        .await
        .unwrap();
    assert_eq!(api_error(env.prs().get(&name).await).code, 404);
    assert!(!git(&remote, &["branch"]).contains("drafts/meta/w"));
    assert_eq!(api_error(revs.get(&name).await).code, 404);

    // A change of the revision is written into the PackageRev from the server's memory, which
    // keeps it without the server's label: the write puts the label back.
    let name = env
        .create_with(
            json!({"labels": {"team": "a"}}),
            json!({"repository": "blueprints", "packageName": "lean", "workspaceName": "w"}),
        )
        .await
        .unwrap()
        .metadata
        .name
        .unwrap();
    env.set_lifecycle(&name, "Proposed").await.unwrap();
    let rev = revs.get(&name).await.unwrap();
    assert_eq!(rev.spec.state.as_ref().map(|s| s.lifecycle.as_str()), Some("Proposed"));
    let labels = rev.metadata.labels.as_ref().unwrap();
    assert_eq!(
        (labels["team"].as_str(), labels["internal.porch.kpt.dev/repository"].as_str()),
        ("a", "blueprints")
    );
    assert_eq!(rev.metadata.finalizers.as_deref().unwrap(), ["internal.porch.kpt.dev/packagerevision"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_creates_then_updates_and_json_patches_apply() {
    let env = Env::start();
    env.register_empty("deploy").await;
    let applied = json!({
        "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision",
        "metadata": {"name": "deploy.app.ws", "labels": {"owner": "ssa"}},
        "spec": {"repository": "deploy", "packageName": "app", "workspaceName": "ws"},
    });
    let params = PatchParams::apply("e2e-test");
    let created = env.prs().patch("deploy.app.ws", &params, &Patch::Apply(&applied)).await.unwrap();
    assert_eq!(created.spec.lifecycle.as_ref().map(|l| l.as_str()), Some("Draft"));
    assert_eq!(created.metadata.labels.as_ref().unwrap()["owner"], "ssa");

    let mut again = applied.clone();
    again["metadata"]["labels"]["owner"] = json!("ssa-2");
    again["spec"]["lifecycle"] = json!("Proposed");
    let updated = env.prs().patch("deploy.app.ws", &params, &Patch::Apply(&again)).await.unwrap();
    assert_eq!(updated.metadata.labels.as_ref().unwrap()["owner"], "ssa-2");
    assert_eq!(updated.spec.lifecycle.as_ref().map(|l| l.as_str()), Some("Proposed"));

    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "add", "path": "/metadata/annotations", "value": {"via": "json-patch"}},
        {"op": "replace", "path": "/spec/lifecycle", "value": "Draft"},
    ]))
    .unwrap();
    let patched =
        env.prs().patch("deploy.app.ws", &PatchParams::default(), &Patch::<()>::Json(ops)).await.unwrap();
    assert_eq!(patched.metadata.annotations.as_ref().unwrap()["via"], "json-patch");
    assert_eq!(patched.spec.lifecycle.as_ref().map(|l| l.as_str()), Some("Draft"));
}

/// A PackageRev changed by another writer (another replica, or kubectl on the CR) reaches its
/// PackageRevision through the watch; a later update through the PackageRevision starts from
/// that change (or, if the watch is behind, from a fresh read after the 409) and keeps what it
/// does not touch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_rev_changed_elsewhere_shows_and_is_updated_from() {
    let env = Env::start();
    let remote = blueprints(env.scratch.path());
    env.register("blueprints", &file_url(&remote)).await;
    let pr = env.init("blueprints", "elsewhere", "w").await;
    let name = pr.metadata.name.clone().unwrap();
    let revs: Api<PackageRev> = Api::namespaced(env.client.clone(), NS);
    let by_hand = Patch::Merge(json!({"metadata": {"annotations": {"set-by": "hand"}}}));
    revs.patch(&name, &PatchParams::default(), &by_hand).await.unwrap();
    step("the PackageRevision shows the change", async {
        loop {
            let got = env.prs().get(&name).await.unwrap();
            if got.metadata.annotations.as_ref().and_then(|a| a.get("set-by")).is_some_and(|v| v == "hand") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;

    let patch = Patch::Merge(json!({"metadata": {"labels": {"team": "b"}}}));
    let patched = env.prs().patch(&name, &PatchParams::default(), &patch).await.unwrap();
    assert_eq!(patched.metadata.labels.as_ref().unwrap()["team"], "b");
    assert_eq!(patched.metadata.annotations.as_ref().unwrap()["set-by"], "hand");
    let rev = revs.get(&name).await.unwrap();
    assert_eq!(
        (
            rev.metadata.labels.as_ref().unwrap()["team"].as_str(),
            rev.metadata.annotations.unwrap()["set-by"].as_str()
        ),
        ("b", "hand")
    );
    assert_eq!(rev.metadata.finalizers.as_deref().unwrap(), ["internal.porch.kpt.dev/packagerevision"]);
}
