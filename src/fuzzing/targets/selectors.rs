//! The `selectors` target: label and field selectors, parsed directly and sent with every list.

use std::collections::BTreeMap;

use http::Method;
use porch_layers::{FieldSelector, LabelSelector};
use serde_json::json;

use super::super::harness::Harness;
use super::{LISTS, query_value};

/// Parses the text before the first newline as a `labelSelector` and the rest as a
/// `fieldSelector`; a selector that parses must match without panicking, and a label selector
/// without empty values must print as text that parses back to the same selector. Then lists every resource with both.
///
/// # Panics
/// When a property above fails, or as [`super::http`].
pub fn selectors(harness: &Harness, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (label, field) = text.split_once('\n').unwrap_or((&text, ""));
    if let Ok(selector) = LabelSelector::parse(label) {
        // An empty value in a set (`a in (,)`, accepted as kube-apiserver accepts it) prints as
        // `a in ()`, which no parser takes back: the same in kube-apiserver's `String()`.
        let has_empty_value = selector.requirements().iter().any(|r| r.values().iter().any(String::is_empty));
        let printed = if has_empty_value { label.to_string() } else { selector.to_string() };
        let again = LabelSelector::parse(&printed).unwrap_or_else(|e| {
            panic!("label selector {label:?} prints as {printed:?}, which does not parse: {e}")
        });
        assert_eq!(
            again, selector,
            "label selector {label:?} prints as {printed:?}, which parses differently"
        );
        let labels =
            BTreeMap::from([("app".to_string(), "x".to_string()), ("n".to_string(), "7".to_string())]);
        let _ = selector.matches(&labels);
        let _ = selector.matches_json(&json!({"app": "x", "n": 7, "o": null}));
    }
    if let Ok(selector) = FieldSelector::parse(field) {
        let _ = selector.matches(|f| (f == "metadata.name").then(|| "x".to_string()));
    }
    let query = format!(
        "labelSelector={}&fieldSelector={}",
        query_value(label.as_bytes()),
        query_value(field.as_bytes())
    );
    for list in LISTS {
        harness.send(Method::GET, &format!("{list}?{query}"), &[], Vec::new());
    }
}
