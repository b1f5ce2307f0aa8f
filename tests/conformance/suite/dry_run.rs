//! `dryRun=All`: writes answer as they would, and change nothing.

use serde_json::json;

use super::{assert_changed, changed};
use crate::env::Env;
use crate::fixture::{Fixture, Verb};
use crate::wire::{self, failure};

/// A dry-run create answers 201 with the object it would make and stores nothing; a dry-run
/// update, merge patch and delete answer 200 and leave the object as it was.
pub(crate) async fn dry_run<F: Fixture>(fixture: &F, env: &Env) {
    let info = fixture.info();
    let labels = json!({"conformance/case": "dry-run"});
    if info.serves(Verb::Create) {
        let what = format!("{}: dry-run create", info.resource);
        let body = fixture.object(env, 60, &labels);
        let answer = wire::ok(
            &env.json("POST", &format!("{}?dryRun=All", info.collection()), &body).await,
            201,
            &what,
        );
        assert_eq!(answer["kind"], info.kind, "{what}: {answer}");
        // divergence: kube-apiserver's dry-run create answers with a uid and creationTimestamp,
        // as this server does for the store's kinds; a PackageRevision's has neither.
        failure(&env.get(&info.item(&wire::name(&answer))).await, 404, "NotFound", &what);
    }

    let obj = fixture.make(env, 61, &labels).await;
    let item = info.item(&wire::name(&obj));
    let dry = format!("{item}?dryRun=All");
    if info.serves(Verb::Update) {
        let what = format!("{}: dry-run update", info.resource);
        let change = fixture.change(400);
        let answer = wire::ok(&env.json("PUT", &dry, &changed(&obj, &change)).await, 200, &what);
        assert_changed(&answer, &change, &what);
        assert_eq!(env.read(&item).await, obj, "{what}: nothing changed");
    }
    if info.serves(Verb::Patch) {
        let what = format!("{}: dry-run patch", info.resource);
        let change = fixture.change(401);
        let patch = serde_json::to_vec(&changed(&json!({}), &change)).unwrap();
        let answer =
            wire::ok(&env.send("PATCH", &dry, "application/merge-patch+json", &patch).await, 200, &what);
        assert_changed(&answer, &change, &what);
        assert_eq!(env.read(&item).await, obj, "{what}: nothing changed");
    }
    if info.serves(Verb::Delete) {
        let what = format!("{}: dry-run delete", info.resource);
        let answer = wire::ok(&env.send("DELETE", &dry, "application/json", b"").await, 200, &what);
        assert_eq!(answer["metadata"]["uid"], obj["metadata"]["uid"], "{what}: {answer}");
        assert_eq!(env.read(&item).await, obj, "{what}: nothing changed");
    }
}
