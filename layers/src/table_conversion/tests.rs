use super::*;
use crate::request::{
    Payload, RequestContext, StorageRequest, StorageResponse, Verb, WatchEvent, WatchEventType,
};
use crate::status::ApiError;
use crate::strategy::{IncludeObject, TableOptions};
use crate::test_helpers::{Recorder, echo};
use futures::executor::block_on;
use futures::{StreamExt, stream};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use tower::{ServiceBuilder, ServiceExt};

fn table_ctx(verb: Verb) -> RequestContext {
    RequestContext::new(verb).table(TableOptions { include_object: IncludeObject::None, no_headers: false })
}

fn run(recorder: &Arc<Recorder>, req: StorageRequest) -> StorageResponse {
    let svc = ServiceBuilder::new().layer(TableConversionLayer::new(Arc::clone(recorder))).service_fn(echo);
    block_on(svc.oneshot(req)).unwrap()
}

fn table(res: StorageResponse) -> Value {
    match res.payload {
        Payload::Table(t) => t.to_json(),
        other => panic!("not a table: {other:?}"),
    }
}

#[test]
fn a_single_object_becomes_a_one_row_table_with_its_resource_version() {
    let rec = Arc::new(Recorder::default());
    let t = table(run(&rec, StorageRequest::new(table_ctx(Verb::Get).name("w"))));
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(t["metadata"], json!({"resourceVersion": "7"}));
    assert_eq!(t["rows"].as_array().unwrap().len(), 1);
    assert_eq!(t["rows"][0]["cells"][0], "w");
    assert!(t["rows"][0].get("object").is_none());
    assert_eq!(rec.calls(), ["convert_to_table"]);
}

#[test]
fn a_list_becomes_a_table_carrying_the_list_metadata() {
    let rec = Arc::new(Recorder::default());
    let t = table(run(&rec, StorageRequest::new(table_ctx(Verb::List))));
    assert_eq!(t["metadata"], json!({"resourceVersion": "9", "continue": "next"}));
    let names: Vec<&Value> = t["rows"].as_array().unwrap().iter().map(|r| &r["cells"][0]).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(t["columnDefinitions"][0]["name"], "Name");
    assert_eq!(rec.calls(), ["convert_to_table"]);
}

#[test]
fn watch_events_carry_tables_with_column_definitions_only_in_the_first() {
    let rec = Arc::new(Recorder::default());
    let svc = ServiceBuilder::new().layer(TableConversionLayer::new(Arc::clone(&rec))).service_fn(
        |_: StorageRequest| async {
            let obj = |n: &str| json!({"metadata": {"name": n, "resourceVersion": "3"}});
            let events = vec![
                WatchEvent::new(WatchEventType::Bookmark, json!({"metadata": {"resourceVersion": "2"}})),
                WatchEvent::new(WatchEventType::Added, obj("a")),
                WatchEvent::new(WatchEventType::Modified, obj("a")),
                WatchEvent::new(WatchEventType::Deleted, obj("a")),
            ];
            Ok::<_, Infallible>(StorageResponse::watch(stream::iter(events).boxed()))
        },
    );
    let res = block_on(svc.oneshot(StorageRequest::new(table_ctx(Verb::Watch)))).unwrap();
    let Payload::Watch(events) = res.payload else { panic!("not a watch") };
    let events: Vec<WatchEvent> = block_on(events.collect());
    assert_eq!(events[0].object["metadata"]["resourceVersion"], "2");
    assert!(events[0].object.get("kind").is_none(), "bookmarks are not converted");
    assert_eq!(events[1].object["kind"], "Table");
    assert_eq!(events[1].object["columnDefinitions"][0]["name"], "Name");
    for e in &events[2..] {
        assert_eq!(e.object["kind"], "Table");
        assert_eq!(e.object["columnDefinitions"], json!([]));
        assert_eq!(e.object["rows"][0]["cells"][0], "a");
    }
    assert_eq!(events[3].event_type, WatchEventType::Deleted);
}

#[test]
fn requests_without_the_table_flag_pass_untouched() {
    let rec = Arc::new(Recorder::default());
    let res = run(&rec, StorageRequest::new(RequestContext::new(Verb::List)));
    assert!(matches!(res.payload, Payload::List(_)));
    assert!(rec.calls().is_empty());
}

#[test]
fn status_responses_are_never_converted() {
    let rec = Arc::new(Recorder::default());
    let svc = ServiceBuilder::new().layer(TableConversionLayer::new(Arc::clone(&rec))).service_fn(
        |_: StorageRequest| async {
            Ok::<_, Infallible>(StorageResponse::status(ApiError::not_found("g", "widgets", "w")))
        },
    );
    let res = block_on(svc.oneshot(StorageRequest::new(table_ctx(Verb::Get)))).unwrap();
    assert_eq!(res.code, 404);
    assert!(rec.calls().is_empty());
}

/// Things with one column that does not change with time.
#[derive(Debug)]
struct Things;

fn n_cell(o: &Value) -> Value {
    o["spec"]["n"].clone()
}

const THING_COLUMNS: &[crate::Column] = &[crate::Column::new("N", "integer", n_cell)];

impl crate::Strategy for Things {
    fn group(&self) -> &str {
        "example.dev"
    }
    fn kind(&self) -> &str {
        "Thing"
    }
    fn resource(&self) -> &str {
        "things"
    }
    fn columns(&self) -> &[crate::Column] {
        THING_COLUMNS
    }
}

#[test]
fn rows_kept_with_a_lists_encodings_are_built_once_and_make_the_same_table() {
    let objects: Vec<Arc<Value>> =
        (0..3).map(|i| Arc::new(json!({"metadata": {"name": format!("t{i}")}, "spec": {"n": i}}))).collect();
    let encoded: Vec<_> = objects.iter().map(|o| crate::EncodedObject::of(o.as_ref()).unwrap()).collect();
    let chunks = vec![encoded[0].chunk(), crate::EncodedChunk::join(&encoded[1..]).unwrap()];
    let kept = chunks[1].rows.clone();
    let list = {
        let chunks = chunks.clone();
        move || {
            let list = crate::ObjectList::encoded(
                "example.dev/v1",
                "ThingList",
                json!({"resourceVersion": "4"}),
                chunks.clone(),
            );
            StorageResponse::list(list)
        }
    };
    let convert = |options: TableOptions| {
        let list = list.clone();
        let svc = ServiceBuilder::new().layer(TableConversionLayer::new(Arc::new(Things))).service_fn(
            move |_: StorageRequest| {
                let response = list();
                async move { Ok::<_, Infallible>(response) }
            },
        );
        let req = StorageRequest::new(RequestContext::new(Verb::List).table(options));
        block_on(svc.oneshot(req)).unwrap()
    };
    let first = table(convert(TableOptions::default()));
    let built = crate::TableList::build(THING_COLUMNS, &objects, TableOptions::default()).to_json();
    assert_eq!(first["rows"], built["rows"]);
    assert_eq!(first["metadata"], json!({"resourceVersion": "4"}));
    let rows = kept.get().expect("the chunk's rows are kept").clone();
    let again = table(convert(TableOptions::default()));
    assert_eq!(again, first);
    assert_eq!(kept.get().unwrap().as_ptr(), rows.as_ptr(), "built once");
    // Other options build their rows afresh.
    let none = table(convert(TableOptions { include_object: IncludeObject::None, no_headers: false }));
    assert!(none["rows"][0].get("object").is_none());
}
