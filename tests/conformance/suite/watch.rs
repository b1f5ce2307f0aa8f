//! Watches from a resourceVersion: the events after it, of the object's whole life, in order,
//! the same for a watch open while the writes happen and for one resumed after them.

use std::cell::OnceCell;
use std::time::Duration;

use serde_json::json;

use super::{changed, gone};
use crate::env::Env;
use crate::fixture::{Fixture, Info, Verb};
use crate::wire::{self, Event, query, rv};

/// How long a watch of the case may stay open: it is read until the deletion of the object
/// arrives, and ends early (failing the case) only if that never comes.
const WATCH_SECONDS: u32 = 10;

/// The events of `name` in a watch from `from` that the server selects them for (a field
/// selector), up to the last event of its deletion.
async fn watch<F: Fixture>(fixture: &F, env: &Env, name: &str, from: u64) -> Vec<Event> {
    selected(fixture, env, name, &by_name(name), from).await
}

/// The events of a watch from `from` with `selector` (query parameters), which must select
/// object `name` only, up to the last event of its deletion.
async fn selected<F: Fixture>(fixture: &F, env: &Env, name: &str, selector: &str, from: u64) -> Vec<Event> {
    let info = fixture.info();
    let path = watch_of(info, selector, from);
    let end = last_event(info);
    let events = wire::events(
        &env.served.stream_until(&path, "application/json", |body| wire::has_event(body, end, name)).await,
        &path,
    );
    for e in &events {
        assert_eq!(
            (e.object["kind"].as_str(), wire::name(&e.object)),
            (Some(info.kind), name.to_string()),
            "{path}: {e:?}"
        );
    }
    events
}

/// `(type, resourceVersion)` of each event.
fn summary(events: &[Event]) -> Vec<(String, u64)> {
    events.iter().map(|e| (e.kind.clone(), rv(&e.object))).collect()
}

/// A watch from the resourceVersion of a list gets, of an object made, changed and removed
/// after it, ADDED, MODIFIED and the deletion's events, in that order, with increasing
/// resourceVersions that are those the writes answered, whether it was open during the writes
/// or resumed after them, and selected by field or by label; a watch from the ADDED event's resourceVersion gets the events after
/// it only.
pub(crate) async fn watch_from_a_resource_version<F: Fixture>(fixture: &F, env: &Env) {
    let info = fixture.info();
    let what = format!("{}: watch", info.resource);
    let list = env.read(&info.collection()).await;
    let from: u64 = list["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("a list resourceVersion");

    // The watch opened first sees every event; the object's name is known once it is made.
    let live_path =
        format!("{}?watch=1&resourceVersion={from}&timeoutSeconds={WATCH_SECONDS}", info.collection());
    let made: OnceCell<String> = OnceCell::new();
    let end = last_event(info);
    let live = env.served.stream_until(&live_path, "application/json", |body| {
        made.get().is_some_and(|name| wire::has_event(body, end, name))
    });
    let writes = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        life(fixture, env, &made).await
    };
    let (live, expected) = tokio::join!(live, writes);
    let name = made.get().expect("the object was made").clone();
    let live = wire::events(&live, &what);
    assert!(live.iter().all(|e| e.object["kind"] == info.kind), "{what}: {live:?}");
    let live: Vec<Event> = live.into_iter().filter(|e| wire::name(&e.object) == name).collect();

    let events = watch(fixture, env, &name, from).await;
    assert_eq!(
        summary(&live),
        summary(&events),
        "{what}: a watch open during the writes and one resumed after them"
    );
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

    if info.labels {
        let selector = format!("labelSelector={}", query("conformance/case=watch"));
        let labelled = selected(fixture, env, &name, &selector, from).await;
        assert_eq!(summary(&labelled), summary(&events), "{what}: selected by a label");
    }
    super::table::watch_as_table(fixture, env, &name, from, &events).await;
    let after_added = watch(fixture, env, &name, versions[0]).await;
    assert_eq!(
        summary(&after_added),
        summary(&events[1..]),
        "{what}: from the ADDED event's resourceVersion"
    );
}

/// Makes object 50 (its name goes to `made`), changes and removes it; returns the events
/// expected of it: `(type, resourceVersion when the suite knows it)`.
async fn life<F: Fixture>(
    fixture: &F,
    env: &Env,
    made: &OnceCell<String>,
) -> Vec<(&'static str, Option<u64>)> {
    let info = fixture.info();
    let what = format!("{}: watch", info.resource);
    let obj = fixture.make(env, 50, &json!({"conformance/case": "watch"})).await;
    let name = made.get_or_init(|| wire::name(&obj)).clone();
    let made = obj;
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

    expected
}

/// The field selector of object `name`, as query parameters.
pub(super) fn by_name(name: &str) -> String {
    format!("fieldSelector={}", query(&format!("metadata.name={name}")))
}

/// The path of a watch from `from` with `selector` (query parameters).
pub(super) fn watch_of(info: &Info, selector: &str, from: u64) -> String {
    format!("{}?watch=1&resourceVersion={from}&{selector}&timeoutSeconds={WATCH_SECONDS}", info.collection())
}

/// The type of the last event of an object's deletion.
pub(super) fn last_event(info: &Info) -> &'static str {
    info.deletion_events.last().expect("a deletion shows at least one event")
}
