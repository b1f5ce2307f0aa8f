//! Fixtures shared by the layers' unit tests.

use crate::request::{ObjectList, Payload, StorageRequest, StorageResponse, Verb};
use crate::status::FieldCause;
use crate::{RequestContext, Strategy};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

/// A strategy that records each call by method name and marks the objects it touches.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    calls: Mutex<Vec<&'static str>>,
    /// What [`Strategy::applied_by_storage`] answers.
    by_storage: bool,
}

impl Recorder {
    /// A recorder whose rules storage applies itself.
    pub(crate) fn applied_by_storage() -> Self {
        Self { by_storage: true, ..Self::default() }
    }

    pub(crate) fn record(&self, call: &'static str) {
        self.calls.lock().unwrap().push(call);
    }

    pub(crate) fn calls(&self) -> Vec<&'static str> {
        self.calls.lock().unwrap().clone()
    }
}

/// Objects with `"invalid": <message>` fail validation on `spec.invalid`.
fn causes(obj: &Value) -> Vec<FieldCause> {
    obj.get("invalid")
        .and_then(Value::as_str)
        .map(|m| vec![FieldCause::invalid("spec.invalid", m)])
        .unwrap_or_default()
}

/// Objects with `"warn": <text>` get that warning.
fn warnings(obj: &Value) -> Vec<String> {
    obj.get("warn").and_then(Value::as_str).map(|w| vec![w.to_string()]).unwrap_or_default()
}

impl Strategy for Recorder {
    fn group(&self) -> &str {
        "example.dev"
    }
    fn kind(&self) -> &str {
        "Widget"
    }
    fn resource(&self) -> &str {
        "widgets"
    }
    fn applied_by_storage(&self) -> bool {
        self.by_storage
    }
    fn prepare_for_create(&self, _: &RequestContext, obj: &mut Value) {
        self.record("prepare_for_create");
        obj.as_object_mut().unwrap().remove("status");
        obj["prepared"] = json!("create");
    }
    fn prepare_for_update(&self, _: &RequestContext, new: &mut Value, _: &Value) {
        self.record("prepare_for_update");
        new["prepared"] = json!("update");
    }
    fn prepare_for_status_update(&self, _: &RequestContext, new: &mut Value, _: &Value) {
        self.record("prepare_for_status_update");
        new["prepared"] = json!("status");
    }
    fn validate(&self, _: &RequestContext, obj: &Value) -> Vec<FieldCause> {
        self.record("validate");
        causes(obj)
    }
    fn validate_update(&self, _: &RequestContext, new: &Value, _: &Value) -> Vec<FieldCause> {
        self.record("validate_update");
        causes(new)
    }
    fn validate_status_update(&self, _: &RequestContext, new: &Value, _: &Value) -> Vec<FieldCause> {
        self.record("validate_status_update");
        causes(new)
    }
    fn warnings_on_create(&self, _: &RequestContext, obj: &Value) -> Vec<String> {
        self.record("warnings_on_create");
        warnings(obj)
    }
    fn warnings_on_update(&self, _: &RequestContext, new: &Value, _: &Value) -> Vec<String> {
        self.record("warnings_on_update");
        warnings(new)
    }
    fn canonicalize(&self, obj: &mut Value) {
        self.record("canonicalize");
        obj["canonical"] = json!(true);
    }
    fn convert_to_table(&self, objects: &[Arc<Value>], options: crate::TableOptions) -> crate::TableList {
        self.record("convert_to_table");
        crate::TableList::build(self.columns(), objects, options)
    }
}

/// Storage that answers a write with its body, a get with a named object, and a list with two.
pub(crate) async fn echo(req: StorageRequest) -> Result<StorageResponse, Infallible> {
    Ok(answer(req))
}

/// [`echo`]'s answer, also for storage stubs that record before answering.
pub(crate) fn answer(req: StorageRequest) -> StorageResponse {
    let named = |n: &str| json!({"metadata": {"name": n, "resourceVersion": "7"}});
    match (req.ctx.verb, req.body) {
        (Verb::Create, Some(body)) => StorageResponse::created(body),
        (_, Some(body)) => StorageResponse::ok(body),
        (Verb::List, None) => StorageResponse::list(ObjectList::new(
            "example.dev/v1",
            "WidgetList",
            json!({"resourceVersion": "9", "continue": "next"}),
            vec![Arc::new(named("a")), Arc::new(named("b"))],
        )),
        (_, None) => StorageResponse::ok(named(req.ctx.name.as_deref().unwrap_or("a"))),
    }
}

/// Test access to a response's payload.
pub(crate) trait PayloadExt {
    /// The object of an `Object` payload; panics otherwise.
    fn payload_object(&self) -> &Value;
}

impl PayloadExt for StorageResponse {
    fn payload_object(&self) -> &Value {
        match &self.payload {
            Payload::Object(o) => o,
            other => panic!("not an object: {other:?}"),
        }
    }
}
