//! Table output (`kubectl get`): lists, single objects and watch events as `meta.k8s.io/v1`
//! Tables whose rows are the objects JSON would answer, with their metadata.

use serde_json::Value;

use crate::env::Env;
use crate::fixture::Fixture;
use crate::wire::{self, Event, rv};

/// kubectl get's Accept header.
const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,\
                            application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const TABLE_CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// The Table at `path` (its Content-Type checked).
async fn table(env: &Env, path: &str) -> Value {
    let r = env.served.request("GET", path, &[("Accept", TABLE_ACCEPT)], b"").await;
    let t = wire::ok(&r, 200, path);
    assert_eq!(r.header("content-type"), Some(TABLE_CONTENT_TYPE), "{path}");
    t
}

/// Asserts that `t` is a Table of `objects`, with column definitions or without (`headers`).
fn assert_table(t: &Value, objects: &[Value], headers: bool, what: &str) {
    assert_eq!(
        (t["kind"].as_str(), t["apiVersion"].as_str()),
        (Some("Table"), Some("meta.k8s.io/v1")),
        "{what}: {t}"
    );
    let columns = t["columnDefinitions"].as_array().map(Vec::len).unwrap_or_default();
    if headers {
        assert_eq!(t["columnDefinitions"][0]["name"], "Name", "{what}: {t}");
    } else {
        assert_eq!(columns, 0, "{what}: column definitions in the first event only: {t}");
    }
    let rows = t["rows"].as_array().unwrap_or_else(|| panic!("{what}: rows: {t}"));
    assert_eq!(rows.len(), objects.len(), "{what}: {t}");
    for (row, obj) in rows.iter().zip(objects) {
        let partial = &row["object"];
        assert_eq!(row["cells"][0].as_str(), Some(wire::name(obj).as_str()), "{what}: {row}");
        if headers {
            assert_eq!(
                row["cells"].as_array().map(Vec::len),
                Some(columns),
                "{what}: a cell a column: {row}"
            );
        }
        assert_eq!(
            (partial["kind"].as_str(), partial["apiVersion"].as_str()),
            (Some("PartialObjectMetadata"), Some("meta.k8s.io/v1")),
            "{what}: {row}"
        );
        assert_eq!(partial["metadata"]["name"], obj["metadata"]["name"], "{what}: {row}");
        assert_eq!(
            partial["metadata"]["resourceVersion"], obj["metadata"]["resourceVersion"],
            "{what}: {row}"
        );
        assert_eq!(partial["metadata"]["labels"], obj["metadata"]["labels"], "{what}: {row}");
    }
}

/// A list as a Table has a row for each item the JSON list has, in order, at the list's
/// resourceVersion; a get as a Table has the object's row.
pub(crate) async fn table_output<F: Fixture>(fixture: &F, env: &Env) {
    let info = fixture.info();
    let what = format!("{}: Table", info.resource);
    let list = env.read(&info.collection()).await;
    let items = list["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty(), "{what}: the earlier cases left objects");
    let t = table(env, &info.collection()).await;
    assert_table(&t, &items, true, &what);
    assert_eq!(t["metadata"]["resourceVersion"], list["metadata"]["resourceVersion"], "{what}: {t}");

    let one = &items[0];
    let t = table(env, &info.item(&wire::name(one))).await;
    assert_table(&t, std::slice::from_ref(one), true, &format!("{what} of one object"));
}

/// A watch as Tables of object `name` from `from`, up to its deletion, has the events the JSON
/// watch had (`json`), each a one-row Table of its object, the first with column definitions.
pub(crate) async fn watch_as_table<F: Fixture>(
    fixture: &F,
    env: &Env,
    name: &str,
    from: u64,
    json: &[Event],
) {
    let info = fixture.info();
    let what = format!("{}: watch as Table", info.resource);
    let path = super::watch::watch_of(info, &super::watch::by_name(name), from);
    let last = super::watch::last_event(info);
    // A Table row has no name to match: the field selector leaves only the object's events.
    let done = |body: &[u8]| {
        let events = String::from_utf8_lossy(body);
        events.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).any(|e| e["type"] == last)
    };
    let r = env.served.stream_until(&path, TABLE_ACCEPT, done).await;
    assert_eq!(r.header("content-type"), Some(TABLE_CONTENT_TYPE), "{what}");
    let events = wire::events(&r, &what);
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let want: Vec<&str> = json.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, want, "{what}");
    for (i, (event, object)) in events.iter().zip(json).enumerate() {
        assert_table(&event.object, std::slice::from_ref(&object.object), i == 0, &what);
        assert_eq!(rv(&event.object["rows"][0]["object"]), rv(&object.object), "{what}");
    }
}
