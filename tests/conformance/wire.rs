//! What the suite reads off the wire: answers that must succeed, `Status` failures with their
//! reason, resourceVersions, item names, and watch events.

use serde_json::Value;

use crate::served::Response;

/// The namespace of every namespaced object of the suite.
pub(crate) const NS: &str = "default";

/// The body of `r`, which must have answered `code`.
pub(crate) fn ok(r: &Response, code: u16, what: &str) -> Value {
    assert_eq!(r.status, code, "{what}: {}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// The `metav1.Status` of a failure with `code` and `reason`.
pub(crate) fn failure(r: &Response, code: u16, reason: &str, what: &str) -> Value {
    assert_eq!(r.status, code, "{what}: {}", String::from_utf8_lossy(&r.body));
    let st = r.status_body(code);
    assert_eq!(st["reason"], reason, "{what}: {st}");
    st
}

/// `metadata.resourceVersion` as a number (resourceVersions are decimal integers).
pub(crate) fn rv(obj: &Value) -> u64 {
    let rv =
        obj["metadata"]["resourceVersion"].as_str().unwrap_or_else(|| panic!("no resourceVersion: {obj}"));
    rv.parse().unwrap_or_else(|_| panic!("resourceVersion {rv:?} is not a decimal integer"))
}

/// `metadata.name`.
pub(crate) fn name(obj: &Value) -> String {
    obj["metadata"]["name"].as_str().unwrap_or_else(|| panic!("no name: {obj}")).to_string()
}

/// The names of a list's items, in order.
pub(crate) fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list without items: {list}"))
        .iter()
        .map(name)
        .collect()
}

/// `s` percent-encoded for a query parameter.
pub(crate) fn query(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One watch event: its type and object.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) kind: String,
    pub(crate) object: Value,
}

/// The events of a finished watch answer (one JSON object a line).
pub(crate) fn events(r: &Response, what: &str) -> Vec<Event> {
    assert_eq!(r.status, 200, "{what}: {}", String::from_utf8_lossy(&r.body));
    String::from_utf8_lossy(&r.body)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: event {l:?}: {e}"));
            let kind = e["type"].as_str().unwrap_or_else(|| panic!("{what}: event without a type: {e}"));
            Event { kind: kind.to_string(), object: e["object"].clone() }
        })
        .collect()
}

/// Whether a watch body holds a `kind` event of object `name` (the end of what a case waits for).
pub(crate) fn has_event(body: &[u8], kind: &str, name: &str) -> bool {
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .any(|e| e["type"] == kind && e["object"]["metadata"]["name"] == name)
}
