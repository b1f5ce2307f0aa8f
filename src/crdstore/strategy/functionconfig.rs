//! FunctionConfig (`config.porch.kpt.dev/v1alpha1`): the CRD's default
//! (`spec.podExecutor.timeToLive: 30m`), what its schema does not say (`format: duration`, which
//! kube-apiserver checks), its CEL rule on `spec` and its print columns.

use porch_api::config::{AT_LEAST_ONE_EXECUTOR, DEFAULT_POD_TIME_TO_LIVE};
use porch_layers::json_pointer;
use porch_layers::object_meta::names;
use porch_layers::{Column, FieldCause, RequestContext, Strategy};
use serde_json::{Value, json};

use super::{invalid_value, stored_kind_identity, value_at};
use crate::crdstore::StoredKind;

/// The value at `pointer`, or `null` (a `<none>` cell).
fn at(o: &Value, pointer: &str) -> Value {
    json_pointer::at(o, pointer).cloned().unwrap_or(Value::Null)
}

/// The CRD's additionalPrinterColumns (Porch's).
const COLUMNS: &[Column] = &[
    Column::new("Server Applied", "integer", |o| at(o, "/status/apiServerObservedGeneration")),
    Column::new("FnRunner Applied", "integer", |o| at(o, "/status/functionRunnerObservedGeneration")),
    Column::new("Controller Applied", "integer", |o| at(o, "/status/controllerObservedGeneration")),
    Column::AGE,
];

/// The FunctionConfig strategy.
#[derive(Debug)]
pub(crate) struct FunctionConfigStrategy;

/// CRD defaulting: `spec.podExecutor.timeToLive: 30m`.
fn apply_defaults(obj: &mut Value) {
    if let Some(pod) = obj.pointer_mut("/spec/podExecutor").and_then(Value::as_object_mut) {
        pod.entry("timeToLive").or_insert_with(|| json!(DEFAULT_POD_TIME_TO_LIVE));
    }
}

/// Whether `text` is a duration as kube-openapi's `duration` format reads it (Go's
/// `time.ParseDuration` units plus `d` and `w`, optionally with spaces and long unit names).
fn is_duration(text: &str) -> bool {
    const UNITS: [&str; 26] = [
        "ns",
        "us",
        "µs",
        "ms",
        "s",
        "m",
        "h",
        "d",
        "w",
        "nanoseconds",
        "nanosecond",
        "microseconds",
        "microsecond",
        "milliseconds",
        "millisecond",
        "seconds",
        "second",
        "minutes",
        "minute",
        "hours",
        "hour",
        "days",
        "day",
        "weeks",
        "week",
        "sec",
    ];
    let mut rest = text.trim();
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        if digits == 0 || rest[..digits].parse::<f64>().is_err() {
            return false;
        }
        rest = rest[digits..].trim_start();
        let unit = rest.find(|c: char| c.is_ascii_digit() || c.is_whitespace()).unwrap_or(rest.len());
        if !UNITS.contains(&&rest[..unit]) {
            return false;
        }
        rest = rest[unit..].trim_start();
    }
    true
}

impl Strategy for FunctionConfigStrategy {
    stored_kind_identity!(StoredKind::FunctionConfig, names::dns1123_subdomain_name);

    /// CRD defaulting (the store keeps `status` out of creates itself).
    fn prepare_for_create(&self, _ctx: &RequestContext, obj: &mut Value) {
        apply_defaults(obj);
    }

    /// CRD defaulting (the store keeps the stored `status` itself).
    fn prepare_for_update(&self, _ctx: &RequestContext, new: &mut Value, _old: &Value) {
        apply_defaults(new);
    }

    fn validate(&self, _ctx: &RequestContext, obj: &Value) -> Vec<FieldCause> {
        let mut causes = Vec::new();
        let Some(spec) = value_at(obj, "spec").and_then(Value::as_object) else {
            // A missing or mistyped spec is the schema's to report.
            return causes;
        };
        let set = |key: &str| spec.get(key).is_some_and(|v| !v.is_null());
        if !(set("podExecutor") || set("binaryExecutor") || set("goExecutor")) {
            causes.push(invalid_value("spec", "object", AT_LEAST_ONE_EXECUTOR));
        }
        if let Some(ttl) = value_at(obj, "spec.podExecutor.timeToLive").and_then(Value::as_str)
            && !is_duration(ttl)
        {
            let field = "spec.podExecutor.timeToLive";
            causes.push(invalid_value(
                field,
                ttl,
                &format!("{field} in body must be of type duration: {ttl:?}"),
            ));
        }
        causes
    }

    fn columns(&self) -> &[Column] {
        COLUMNS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use porch_layers::Verb;

    fn messages(obj: &Value) -> Vec<String> {
        FunctionConfigStrategy
            .validate(&RequestContext::new(Verb::Create), obj)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_spec_without_an_executor_breaks_the_cel_rule() {
        let obj = json!({"spec": {"image": "f"}});
        assert_eq!(messages(&obj), [format!("spec: Invalid value: \"object\": {AT_LEAST_ONE_EXECUTOR}")]);
        let obj = json!({"spec": {"image": "f", "binaryExecutor": {"tags": ["v1"], "path": "/bin/f"}}});
        assert!(messages(&obj).is_empty());
    }

    #[test]
    fn the_pod_time_to_live_defaults_to_30m_and_must_be_a_duration() {
        let mut obj = json!({"spec": {"image": "f", "podExecutor": {}}});
        FunctionConfigStrategy.prepare_for_create(&RequestContext::new(Verb::Create), &mut obj);
        assert_eq!(obj["spec"]["podExecutor"]["timeToLive"], "30m");
        assert!(messages(&obj).is_empty());
        obj["spec"]["podExecutor"]["timeToLive"] = json!("soon");
        assert_eq!(messages(&obj).len(), 1);
        for ok in ["1h30m", "1.5h", "2d", "10 minutes", "0s"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "h", "10", "1x", "-"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }
}
