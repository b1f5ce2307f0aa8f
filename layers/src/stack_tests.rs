//! The whole stack in DESIGN.md order, over a strategy that records each call.
//!
//! ErrorTranslation → TableConversion → Admission → Validation → Canonicalize → storage, which
//! must give apiserver's order on the way down (prepare → validate → warnings → canonicalize →
//! persist) and convert only successful responses on the way back.

use crate::request::{StorageError, StorageRequest, StorageResponse, Verb};
use crate::test_helpers::{Recorder, answer};
use crate::{
    AdmissionLayer, ApiError, CanonicalizeLayer, ErrorTranslationLayer, Payload, RequestContext, Strategy,
    TableConversionLayer, TableOptions, ValidationLayer,
};
use futures::executor::block_on;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use tower::util::BoxService;
use tower::{ServiceBuilder, ServiceExt};

/// The stack over storage that records `persist` and then answers like `echo`, or fails with a
/// conflict when the object says `"conflict": true`.
fn stack(recorder: &Arc<Recorder>) -> BoxService<StorageRequest, StorageResponse, Infallible> {
    let strategy: Arc<dyn Strategy> = Arc::clone(recorder) as Arc<dyn Strategy>;
    let persisted = Arc::clone(recorder);
    let storage = tower::service_fn(move |req: StorageRequest| {
        let persisted = Arc::clone(&persisted);
        async move {
            persisted.record("persist");
            if req.body.as_ref().is_some_and(|b| b["conflict"] == true) {
                let err = ApiError::conflict("example.dev", "widgets", "w", "busy");
                return Err::<StorageResponse, StorageError>(Box::new(err));
            }
            Ok(answer(req))
        }
    });
    let svc = ServiceBuilder::new()
        .layer(ErrorTranslationLayer::new())
        .layer(TableConversionLayer::new(Arc::clone(&strategy)))
        .layer(AdmissionLayer::new(Arc::clone(&strategy)))
        .layer(ValidationLayer::new(Arc::clone(&strategy)))
        .layer(CanonicalizeLayer::new(strategy))
        .service(storage);
    BoxService::new(svc)
}

fn table() -> TableOptions {
    TableOptions::default()
}

#[test]
fn a_create_is_prepared_validated_canonicalized_persisted_then_converted() {
    let rec = Arc::new(Recorder::default());
    let ctx = RequestContext::new(Verb::Create).table(table());
    let body = json!({"metadata": {"name": "w", "namespace": "ns"}, "status": {"x": 1}, "warn": "careful"});
    let res = block_on(stack(&rec).oneshot(StorageRequest::new(ctx).with_body(body))).unwrap();
    assert_eq!(
        rec.calls(),
        [
            "prepare_for_create",
            "validate",
            "warnings_on_create",
            "canonicalize",
            "persist",
            "convert_to_table"
        ]
    );
    assert_eq!(res.code, 201);
    assert_eq!(res.warnings, ["careful"]);
    let Payload::Table(t) = res.payload else { panic!("not a table") };
    let t = t.to_json();
    assert_eq!(t["rows"][0]["cells"][0], "w");
    assert_eq!(t["rows"][0]["object"]["metadata"]["name"], "w");
}

#[test]
fn an_update_follows_the_same_order_with_the_update_methods() {
    let rec = Arc::new(Recorder::default());
    let req = StorageRequest::new(RequestContext::new(Verb::Update).name("w"))
        .with_body(json!({"metadata": {"name": "w"}}))
        .with_old(json!({"metadata": {"name": "w"}}));
    let res = block_on(stack(&rec).oneshot(req)).unwrap();
    assert_eq!(
        rec.calls(),
        ["prepare_for_update", "validate_update", "warnings_on_update", "canonicalize", "persist"]
    );
    let Payload::Object(o) = res.payload else { panic!("not an object") };
    assert_eq!(o["prepared"], "update");
    assert_eq!(o["canonical"], true);
}

#[test]
fn an_invalid_object_stops_before_canonicalize_and_storage_and_is_not_converted() {
    let rec = Arc::new(Recorder::default());
    let ctx = RequestContext::new(Verb::Create).table(table());
    let body = json!({"metadata": {"name": "w"}, "invalid": "no"});
    let res = block_on(stack(&rec).oneshot(StorageRequest::new(ctx).with_body(body))).unwrap();
    assert_eq!(rec.calls(), ["prepare_for_create", "validate"]);
    assert_eq!(res.code, 422);
    assert_eq!(res.as_error().unwrap().to_json()["details"]["causes"][0]["field"], "spec.invalid");
}

#[test]
fn a_storage_error_becomes_its_status_at_the_edge() {
    let rec = Arc::new(Recorder::default());
    let ctx = RequestContext::new(Verb::Create).table(table());
    let body = json!({"metadata": {"name": "w", "namespace": "ns"}, "conflict": true});
    let res = block_on(stack(&rec).oneshot(StorageRequest::new(ctx).with_body(body))).unwrap();
    assert_eq!(
        rec.calls(),
        ["prepare_for_create", "validate", "warnings_on_create", "canonicalize", "persist"]
    );
    assert_eq!(res.code, 409);
    assert_eq!(res.as_error().unwrap().reason(), "Conflict");
}

#[test]
fn reads_touch_only_storage_and_the_table_convertor() {
    let rec = Arc::new(Recorder::default());
    let ctx = RequestContext::new(Verb::List).table(table());
    let res = block_on(stack(&rec).oneshot(StorageRequest::new(ctx))).unwrap();
    assert_eq!(rec.calls(), ["persist", "convert_to_table"]);
    assert!(matches!(res.payload, Payload::Table(_)));
}

#[test]
fn the_common_metadata_rules_run_after_validate_on_create_and_with_validate_update_on_update() {
    let rec = Arc::new(Recorder::default());
    let body = json!({"metadata": {"name": "w", "namespace": "ns", "labels": {"bad key!": "v"}}});
    let req = StorageRequest::new(RequestContext::new(Verb::Create)).with_body(body);
    let res = block_on(stack(&rec).oneshot(req)).unwrap();
    assert_eq!(rec.calls(), ["prepare_for_create", "validate"]);
    assert_eq!(res.code, 422);
    let status = res.as_error().unwrap().to_json();
    assert!(status["message"].as_str().unwrap().starts_with(
        "Widget.example.dev \"w\" is invalid: metadata.labels: Invalid value: \"bad key!\": name part must consist"
    ));

    // PATCH of an owner reference without apiVersion, name or uid (D10 of the reliability probe).
    let rec = Arc::new(Recorder::default());
    let old = json!({"metadata": {"name": "w", "namespace": "ns"}});
    let new = json!({"metadata": {"name": "w", "namespace": "ns", "ownerReferences": [{"kind": "X"}]}});
    let req = StorageRequest::new(RequestContext::new(Verb::Patch).name("w")).with_body(new).with_old(old);
    let res = block_on(stack(&rec).oneshot(req)).unwrap();
    assert_eq!(rec.calls(), ["prepare_for_update", "validate_update"]);
    let causes = &res.as_error().unwrap().to_json()["details"]["causes"];
    let fields: Vec<&str> = causes.as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "metadata.ownerReferences.apiVersion",
            "metadata.ownerReferences.name",
            "metadata.ownerReferences.uid"
        ]
    );
}
