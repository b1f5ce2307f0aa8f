//! update (and its optimistic lock), patch of each type, delete and deletecollection; 405 where
//! the resource does not serve the verb.

use serde_json::{Value, json};

use super::{assert_changed, assert_later, changed, gone, settled};
use crate::env::Env;
use crate::fixture::{Change, Fixture, Info, StrategicMerge, Verb};
use crate::served::Response;
use crate::wire::{self, failure, names, query, rv};

/// The name of an object the suite never makes.
pub(crate) const MISSING: &str = "conformance.missing.ws";

/// kube-apiserver's optimistic-lock message for `name` of `qualified`.
fn conflict_message(qualified: &str, name: &str) -> String {
    format!(
        "Operation cannot be fulfilled on {qualified} \"{name}\": the object has been modified; please apply \
         your changes to the latest version and try again"
    )
}

/// The answer to a write making `change` to `before`: where the verb is `served`, 200 with the
/// change made and a later resourceVersion; else 405, and `None`.
fn written(r: &Response, served: bool, before: &Value, change: &Change, what: &str) -> Option<Value> {
    if !served {
        failure(r, 405, "MethodNotAllowed", what);
        return None;
    }
    let answer = wire::ok(r, 200, what);
    assert_changed(&answer, change, what);
    assert_later(before, &answer, what);
    Some(answer)
}

/// An update answers 200 with a later resourceVersion; an update carrying the resourceVersion
/// it replaced is 409 Conflict and changes nothing. 405 where update is not served.
pub(crate) async fn update_with_stale_resource_version<F: Fixture>(fixture: &F, env: &Env) {
    let info = fixture.info();
    let what = format!("{}: update", info.resource);
    let before = fixture.make(env, 20, &json!({"conformance/case": "update"})).await;
    let name = wire::name(&before);
    let item = info.item(&name);
    let first = fixture.change(1);
    let r = env.json("PUT", &item, &changed(&before, &first)).await;
    let Some(updated) = written(&r, info.serves(Verb::Update), &before, &first, &what) else { return };
    let current = settled(fixture, env, &name).await;
    if !info.controlled {
        let without_status = |obj: &Value| {
            let mut obj = obj.clone();
            if info.status_in_update_answer_only {
                obj.as_object_mut().map(|o| o.remove("status"));
            }
            obj
        };
        assert_eq!(
            without_status(&current),
            without_status(&updated),
            "{what}: a get returns the updated object"
        );
    }

    let what = format!("{}: update of a missing object", info.resource);
    let mut missing = changed(&before, &fixture.change(3));
    missing["metadata"]["name"] = json!(MISSING);
    let st = failure(&env.json("PUT", &info.item(MISSING), &missing).await, 404, "NotFound", &what);
    assert_eq!(st["details"]["name"], MISSING, "{what}: {st}");

    let what = format!("{}: update with a stale resourceVersion", info.resource);
    let stale = changed(&before, &fixture.change(2));
    let st = failure(&env.json("PUT", &item, &stale).await, 409, "Conflict", &what);
    assert_eq!(st["message"], conflict_message(&info.qualified(), &name), "{what}: {st}");
    assert_eq!(st["details"]["name"], name.as_str(), "{what}: {st}");
    assert_eq!(env.read(&item).await, current, "{what}: a refused update changes nothing");
}

/// The body of a patch of `kind` making `change` to `obj`.
fn patch_body(kind: &str, info: &Info, obj: &Value, change: &Change) -> Value {
    match kind {
        "application/json-patch+json" => {
            // One `add` at the first field on the way that `obj` does not have.
            let tokens: Vec<&str> = change.pointer.split('/').skip(1).collect();
            let missing = (1..=tokens.len())
                .find(|n| obj.pointer(&format!("/{}", tokens[..*n].join("/"))).is_none())
                .unwrap_or(tokens.len());
            let path = format!("/{}", tokens[..missing].join("/"));
            let rest =
                Change { pointer: format!("/{}", tokens[missing..].join("/")), value: change.value.clone() };
            let value =
                if missing == tokens.len() { change.value.clone() } else { changed(&json!({}), &rest) };
            json!([{"op": "add", "path": path, "value": value}])
        }
        "application/apply-patch+yaml" => {
            let mut applied = json!({
                "apiVersion": info.api_version(),
                "kind": info.kind,
                "metadata": {"name": obj["metadata"]["name"]},
            });
            if info.namespaced {
                applied["metadata"]["namespace"] = obj["metadata"]["namespace"].clone();
            }
            changed(&applied, change)
        }
        _ => changed(&json!({}), change),
    }
}

/// The patch types kube-apiserver knows, merge first (it makes the parents a JSON patch adds to).
const PATCH_TYPES: [&str; 3] =
    ["application/merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml"];
const STRATEGIC: &str = "application/strategic-merge-patch+json";

/// Merge, JSON and apply patches each answer 200 with the change made and a later
/// resourceVersion; a strategic merge patch too, or 415 (see [`StrategicMerge`]); a merge patch
/// pinning a replaced resourceVersion is 409 Conflict; a patch of a missing object is 404.
/// 405 for every patch type where patch is not served.
pub(crate) async fn patch_of_each_type<F: Fixture>(fixture: &F, env: &Env) {
    let info = fixture.info();
    let mut current = fixture.make(env, 30, &json!({"conformance/case": "patch"})).await;
    let name = wire::name(&current);
    let item = format!("{}?fieldManager=conformance", info.item(&name));
    let first = current.clone();
    for (round, kind) in PATCH_TYPES.iter().enumerate() {
        let what = format!("{}: patch {kind}", info.resource);
        let change = fixture.change(100 + round);
        let body = serde_json::to_vec(&patch_body(kind, info, &current, &change)).unwrap();
        let r = env.send("PATCH", &item, kind, &body).await;
        if written(&r, info.serves(Verb::Patch), &current, &change, &what).is_some() {
            current = settled(fixture, env, &name).await;
        }
    }
    if !info.serves(Verb::Patch) {
        return;
    }

    let what = format!("{}: strategic merge patch ({:?})", info.resource, info.strategic_merge);
    let change = fixture.change(200);
    let body = serde_json::to_vec(&changed(&json!({}), &change)).unwrap();
    let r = env.send("PATCH", &item, STRATEGIC, &body).await;
    match info.strategic_merge {
        StrategicMerge::Applied => {
            written(&r, true, &current, &change, &what);
            current = settled(fixture, env, &name).await;
        }
        StrategicMerge::Unsupported => {
            let st = failure(&r, 415, "UnsupportedMediaType", &what);
            assert!(
                st["message"].as_str().unwrap_or_default().contains("application/merge-patch+json"),
                "{what}: {st}"
            );
        }
    }

    let what = format!("{}: a patch pinning a replaced resourceVersion", info.resource);
    let mut pinned = changed(&json!({}), &fixture.change(201));
    pinned["metadata"]["resourceVersion"] = json!(rv(&first).to_string());
    let r = env.send("PATCH", &item, PATCH_TYPES[0], &serde_json::to_vec(&pinned).unwrap()).await;
    let st = failure(&r, 409, "Conflict", &what);
    assert_eq!(st["message"], conflict_message(&info.qualified(), &name), "{what}: {st}");
    assert_eq!(env.read(&info.item(&name)).await, current, "{what}: a refused patch changes nothing");

    let what = format!("{}: apply without fieldManager", info.resource);
    let change = fixture.change(202);
    let body = serde_json::to_vec(&patch_body(PATCH_TYPES[2], info, &current, &change)).unwrap();
    let r = env.send("PATCH", &info.item(&name), PATCH_TYPES[2], &body).await;
    if info.apply_requires_field_manager {
        let st = failure(&r, 422, "Invalid", &what);
        assert_eq!(st["details"]["causes"][0]["field"], "fieldManager", "{what}: {st}");
        assert_eq!(st["details"]["causes"][0]["reason"], "FieldValueRequired", "{what}: {st}");
    } else {
        assert_changed(&wire::ok(&r, 200, &what), &change, &what);
    }

    let what = format!("{}: patch of a missing object", info.resource);
    let body = serde_json::to_vec(&changed(&json!({}), &fixture.change(203))).unwrap();
    let r = env.send("PATCH", &info.item(MISSING), PATCH_TYPES[0], &body).await;
    failure(&r, 404, "NotFound", &what);
}

/// A delete answers 200 with the deleted object; the object is then gone (404) and a second
/// delete is 404. 405 where delete is not served.
pub(crate) async fn delete<F: Fixture>(fixture: &F, env: &Env) {
    let info = fixture.info();
    let what = format!("{}: delete", info.resource);
    let obj = fixture.make(env, 40, &json!({"conformance/case": "delete"})).await;
    let name = wire::name(&obj);
    let r = env.send("DELETE", &info.item(&name), "application/json", b"").await;
    if !info.serves(Verb::Delete) {
        failure(&r, 405, "MethodNotAllowed", &what);
        env.read(&info.item(&name)).await;
        fixture.unmake(env, &name).await;
        return;
    }
    let deleted = wire::ok(&r, 200, &what);
    assert_eq!(
        (deleted["kind"].as_str(), wire::name(&deleted)),
        (Some(info.kind), name.clone()),
        "{what}: {deleted}"
    );
    assert_eq!(deleted["metadata"]["uid"], obj["metadata"]["uid"], "{what}: {deleted}");
    if info.controlled {
        assert!(deleted["metadata"]["deletionTimestamp"].is_string(), "{what}: finalized later: {deleted}");
        gone(fixture, env, &name).await;
    }
    failure(&env.get(&info.item(&name)).await, 404, "NotFound", &what);
    let r = env.send("DELETE", &info.item(&name), "application/json", b"").await;
    failure(&r, 404, "NotFound", &format!("{what} again"));
}

/// A deletecollection with a label selector deletes exactly the selected objects and answers
/// them as a list. 405 where it is not served.
pub(crate) async fn delete_collection<F: Fixture>(fixture: &F, env: &Env) {
    let info = fixture.info();
    let what = format!("{}: deletecollection", info.resource);
    let selector = format!("labelSelector={}", query("conformance/case=deletecollection"));
    let path = format!("{}?{selector}", info.collection());
    if !info.serves(Verb::DeleteCollection) {
        failure(&env.send("DELETE", &path, "application/json", b"").await, 405, "MethodNotAllowed", &what);
        return;
    }
    let mut selected = Vec::new();
    for i in 41..43 {
        selected
            .push(wire::name(&fixture.make(env, i, &json!({"conformance/case": "deletecollection"})).await));
    }
    let kept = wire::name(&fixture.make(env, 43, &json!({"conformance/case": "kept"})).await);
    let list = wire::ok(&env.send("DELETE", &path, "application/json", b"").await, 200, &what);
    assert_eq!(list["kind"], format!("{}List", info.kind), "{what}: {list}");
    assert_eq!(names(&list), selected, "{what}: {list}");
    for name in &selected {
        gone(fixture, env, name).await;
    }
    assert_eq!(names(&env.read(&path).await), Vec::<String>::new(), "{what}");
    env.read(&info.item(&kept)).await;
}
