use super::*;
use crate::request::{RequestContext, Verb};
use crate::selector::FieldSelector;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug)]
struct Plain;

impl Strategy for Plain {
    fn group(&self) -> &str {
        "example.dev"
    }
    fn kind(&self) -> &str {
        "Widget"
    }
    fn resource(&self) -> &str {
        "widgets"
    }
}

fn ctx() -> RequestContext {
    RequestContext::new(Verb::Update)
}

#[test]
fn default_prepare_for_create_drops_status() {
    let mut obj = json!({"metadata": {"name": "a"}, "spec": {}, "status": {"x": 1}});
    Plain.prepare_for_create(&ctx(), &mut obj);
    assert_eq!(obj, json!({"metadata": {"name": "a"}, "spec": {}}));
}

#[test]
fn default_prepare_for_update_keeps_the_old_status() {
    let old = json!({"spec": {"a": 1}, "status": {"s": "old"}});
    let mut new = json!({"spec": {"a": 2}, "status": {"s": "new"}});
    Plain.prepare_for_update(&ctx(), &mut new, &old);
    assert_eq!(new, json!({"spec": {"a": 2}, "status": {"s": "old"}}));

    let mut new = json!({"spec": {"a": 2}, "status": {"s": "new"}});
    Plain.prepare_for_update(&ctx(), &mut new, &json!({"spec": {}}));
    assert_eq!(new, json!({"spec": {"a": 2}}));
}

#[test]
fn default_prepare_for_status_update_keeps_only_status_and_managed_fields() {
    let old = json!({"metadata": {"name": "a", "labels": {"l": "1"}}, "spec": {"a": 1}});
    let mut new = json!({
        "metadata": {"name": "a", "labels": {"l": "2"}, "managedFields": [{"manager": "m"}]},
        "spec": {"a": 2}, "status": {"ok": true}
    });
    Plain.prepare_for_status_update(&ctx(), &mut new, &old);
    assert_eq!(
        new,
        json!({
            "metadata": {"name": "a", "labels": {"l": "1"}, "managedFields": [{"manager": "m"}]},
            "spec": {"a": 1}, "status": {"ok": true}
        })
    );
}

#[test]
fn default_field_lookup_knows_name_and_namespace_only() {
    let obj = json!({"metadata": {"name": "a", "namespace": "ns"}});
    assert_eq!(Plain.field_value(&obj, "metadata.name").unwrap().as_deref(), Some("a"));
    assert_eq!(Plain.field_value(&obj, "metadata.namespace").unwrap().as_deref(), Some("ns"));
    let err = Plain.field_value(&obj, "spec.x").unwrap_err();
    assert_eq!(err.code(), 400);
    assert_eq!(err.message(), "unknown fieldSelector field \"spec.x\"");
}

#[test]
fn field_selectors_are_checked_and_matched_through_the_strategy() {
    let obj = json!({"metadata": {"name": "a", "namespace": "ns"}});
    let sel = FieldSelector::parse("metadata.name=a,metadata.namespace!=other").unwrap();
    assert!(Plain.check_field_selector(&sel).is_ok());
    assert!(Plain.matches_fields(&obj, &sel).unwrap());
    let miss = FieldSelector::parse("metadata.name=b").unwrap();
    assert!(!Plain.matches_fields(&obj, &miss).unwrap());
    let bad = FieldSelector::parse("spec.x=1").unwrap();
    assert_eq!(Plain.check_field_selector(&bad).unwrap_err().code(), 400);
}

#[test]
fn default_table_is_name_and_age() {
    let obj = json!({"metadata": {"name": "a"}});
    let t = Plain.convert_to_table(&[Arc::new(obj)], TableOptions::default()).to_json();
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
    let names: Vec<&Value> = t["columnDefinitions"].as_array().unwrap().iter().map(|c| &c["name"]).collect();
    assert_eq!(names, ["Name", "Age"]);
    assert_eq!(t["rows"][0]["cells"], json!(["a", null]));
}
