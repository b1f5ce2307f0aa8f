//! Watches from a resourceVersion: the events after it, of the object's whole life, in order.

use serde_json::json;

use super::{changed, gone};
use crate::env::Env;
use crate::fixture::{Fixture, Verb};
use crate::wire::{self, Event, query, rv};

/// How long each watch of the case stays open: it replays what it missed at once, so the end
/// of its answer is the end of the events.
const WATCH_SECONDS: u32 = 1;

/// The events of a watch of `name` from `from`.
async fn watch<F: Fixture>(fixture: &F, env: &Env, name: &str, from: u64) -> Vec<Event> {
    let selector = query(&format!("metadata.name={name}"));
    let path = format!(
        "{}?watch=1&resourceVersion={from}&fieldSelector={selector}&timeoutSeconds={WATCH_SECONDS}",
        fixture.info().collection()
    );
    let events = wire::events(&env.get(&path).await, &path);
    for e in &events {
        assert_eq!(
            (e.object["kind"].as_str(), wire::name(&e.object)),
            (Some(fixture.info().kind), name.to_string()),
            "{path}: {e:?}"
        );
    }
    events
}

/// A watch from the resourceVersion of a list gets, of an object made, changed and removed
/// after it, ADDED, MODIFIED and the deletion's events, in that order, with increasing
/// resourceVersions that are those the writes answered; a watch from the ADDED event's
/// resourceVersion gets the events after it only.
pub(crate) async fn watch_from_a_resource_version<F: Fixture>(fixture: &F, env: &Env) {
    let info = fixture.info();
    let what = format!("{}: watch", info.resource);
    let list = env.read(&info.collection()).await;
    let from: u64 = list["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("a list resourceVersion");

    let made = fixture.make(env, 50, &json!({"conformance/case": "watch"})).await;
    let name = wire::name(&made);
    // (type, resourceVersion when the suite knows it)
    let mut expected = vec![("ADDED", (!info.controlled).then(|| rv(&made)))];
    if info.serves(Verb::Update) {
        let r = env.json("PUT", &info.item(&name), &changed(&made, &fixture.change(300))).await;
        expected.push(("MODIFIED", Some(rv(&wire::ok(&r, 200, &what)))));
        super::settled(fixture, env, &name).await;
    }
    if info.serves(Verb::Delete) {
        wire::ok(&env.send("DELETE", &info.item(&name), "application/json", b"").await, 200, &what);
    } else {
        fixture.unmake(env, &name).await;
    }
    gone(fixture, env, &name).await;
    expected.extend(info.deletion_events.iter().map(|kind| (*kind, None)));

    let events = watch(fixture, env, &name, from).await;
    let versions: Vec<u64> = events.iter().map(|e| rv(&e.object)).collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{what}: increasing resourceVersions: {versions:?}");
    assert!(versions.first().is_none_or(|v| *v > from), "{what}: events after {from} only: {versions:?}");
    let known: Vec<u64> = expected.iter().filter_map(|(_, v)| *v).collect();
    // A controller's own writes show as MODIFIED events between the suite's.
    let ours: Vec<&Event> = events
        .iter()
        .filter(|e| !(info.controlled && e.kind == "MODIFIED" && !known.contains(&rv(&e.object))))
        .collect();
    let got: Vec<(&str, u64)> = ours.iter().map(|e| (e.kind.as_str(), rv(&e.object))).collect();
    assert_eq!(got.len(), expected.len(), "{what}: {got:?}, expected {expected:?}");
    for ((kind, version), (want_kind, want_version)) in got.iter().zip(&expected) {
        assert_eq!(kind, want_kind, "{what}: {got:?}, expected {expected:?}");
        if let Some(want) = want_version {
            assert_eq!(version, want, "{what}: {got:?}, expected {expected:?}");
        }
    }

    let after_added = watch(fixture, env, &name, versions[0]).await;
    let rest: Vec<(String, u64)> = after_added.iter().map(|e| (e.kind.clone(), rv(&e.object))).collect();
    let want: Vec<(String, u64)> = events[1..].iter().map(|e| (e.kind.clone(), rv(&e.object))).collect();
    assert_eq!(rest, want, "{what}: from the ADDED event's resourceVersion");
}
