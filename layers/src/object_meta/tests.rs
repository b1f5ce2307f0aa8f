//! One test per ObjectMeta rule, with kube-apiserver's words.

use serde_json::{Value, json};

use super::names::{dns1123_label_name, dns1123_subdomain_name, path_segment_name};
use super::*;
use crate::status::CauseReason;

fn obj(meta: Value) -> Value {
    let mut meta = meta;
    let m = meta.as_object_mut().unwrap();
    m.entry("name").or_insert(json!("r"));
    m.entry("namespace").or_insert(json!("default"));
    json!({"metadata": meta})
}

fn create(meta: Value) -> Vec<String> {
    validate_create(&obj(meta), true, dns1123_subdomain_name).iter().map(ToString::to_string).collect()
}

#[test]
fn well_formed_metadata_passes_every_step() {
    let o = obj(json!({
        "labels": {"app": "x", "kpt.dev/latest-revision": "true", "empty": ""},
        "annotations": {"Example.com/Note": "anything at all \u{1F600}"},
        "ownerReferences": [{"apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision", "name": "p",
                             "uid": "u", "controller": true}],
        "finalizers": ["config.porch.kpt.dev/packagerevs"],
        "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1"}],
        "generation": 3, "resourceVersion": "12", "creationTimestamp": "2026-12-04T15:10:06Z",
    }));
    assert!(check_types(&o).is_empty());
    assert!(validate_create(&o, true, dns1123_subdomain_name).is_empty());
    assert!(validate_update(&o, &o).is_empty());
}

#[test]
fn ill_typed_metadata_fields_are_type_errors() {
    let o = json!({"metadata": {"ownerReferences": "x", "resourceVersion": 5, "labels": {"a": 1},
                                "finalizers": "f", "creationTimestamp": "yesterday"}});
    let causes: Vec<String> = check_types(&o).iter().map(ToString::to_string).collect();
    assert_eq!(
        causes,
        [
            "metadata.ownerReferences: Invalid value: \"string\": metadata.ownerReferences in body must be of type array: \"string\"",
            "metadata.resourceVersion: Invalid value: \"integer\": metadata.resourceVersion in body must be of type string: \"integer\"",
            "metadata.labels.a: Invalid value: \"integer\": metadata.labels.a in body must be of type string: \"integer\"",
            "metadata.finalizers: Invalid value: \"string\": metadata.finalizers in body must be of type array: \"string\"",
            "metadata.creationTimestamp: Invalid value: \"yesterday\": metadata.creationTimestamp in body must be of type date-time: \"yesterday\"",
        ]
    );
    assert_eq!(
        check_types(&json!({"metadata": "x"}))[0].to_string(),
        "metadata: Invalid value: \"string\": metadata in body must be of type object: \"string\""
    );
    assert!(check_types(&json!({"spec": {}})).is_empty());
}

#[test]
fn nulls_in_metadata_are_dropped_as_decoding_ignores_them() {
    let mut o = json!({"metadata": {"name": "r", "creationTimestamp": null, "labels": null}});
    drop_nulls(&mut o);
    assert_eq!(o, json!({"metadata": {"name": "r"}}));
    let mut o = json!({"metadata": null, "spec": {}});
    drop_nulls(&mut o);
    assert_eq!(o, json!({"spec": {}}));
}

#[test]
fn names_follow_the_kinds_rule_and_generate_name_its_prefix_form() {
    assert_eq!(
        validate_create(&json!({"metadata": {"namespace": "default"}}), true, dns1123_subdomain_name)[0]
            .to_string(),
        "metadata.name: Required value: name or generateName is required"
    );
    let e = create(json!({"name": "Bad_Name"}));
    assert!(e[0].starts_with("metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"));
    let e = create(json!({"generateName": "UP-", "name": "up-x1"}));
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("metadata.generateName: Invalid value: \"UP-\""));
    let ns = json!({"metadata": {"name": "a.b"}});
    assert_eq!(
        validate_create(&ns, false, dns1123_label_name)[0].to_string(),
        "metadata.name: Invalid value: \"a.b\": must not contain dots"
    );
    let pr = json!({"metadata": {"name": "..", "namespace": "default"}});
    assert_eq!(
        validate_create(&pr, true, path_segment_name)[0].to_string(),
        "metadata.name: Invalid value: \"..\": may not be '..'"
    );
}

#[test]
fn namespaces_are_required_labels_or_forbidden() {
    let e = validate_create(&json!({"metadata": {"name": "r"}}), true, dns1123_subdomain_name);
    assert_eq!(e[0].to_string(), "metadata.namespace: Required value");
    let e = create(json!({"namespace": "Bad"}));
    assert!(e[0].starts_with("metadata.namespace: Invalid value: \"Bad\": a lowercase RFC 1123 label"));
    let e = validate_create(&json!({"metadata": {"name": "n", "namespace": "x"}}), false, dns1123_label_name);
    assert_eq!(e[0].to_string(), "metadata.namespace: Forbidden: not allowed on this type");
}

#[test]
fn generation_must_not_be_negative() {
    assert_eq!(
        create(json!({"generation": -1})),
        ["metadata.generation: Invalid value: -1: must be greater than or equal to 0"]
    );
}

#[test]
fn label_keys_are_qualified_names_and_values_label_values() {
    let long = "v".repeat(64);
    let e = create(json!({"labels": {"bad key!": "ok", "ok": long, &"k".repeat(64): "x"}}));
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e[0].starts_with(
        "metadata.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters"
    ));
    assert_eq!(
        e[1],
        format!("metadata.labels: Invalid value: \"{long}\": must be no more than 63 characters")
    );
    assert!(e[2].ends_with(": name part must be no more than 63 characters"));
    let e = create(json!({"labels": {"a": "a b"}}));
    assert!(
        e[0].starts_with("metadata.labels: Invalid value: \"a b\": a valid label must be an empty string")
    );
}

#[test]
fn annotations_have_qualified_keys_and_at_most_256_kib_in_total() {
    assert!(create(json!({"annotations": {"UPPER.Case/Key": "v"}})).is_empty(), "case does not matter");
    let e = create(json!({"annotations": {"a b": "v"}}));
    assert!(e[0].starts_with("metadata.annotations: Invalid value: \"a b\": name part must consist"));
    let just = "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT - 1);
    assert!(create(json!({"annotations": {"k": just}})).is_empty());
    let over = "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT);
    let causes = validate_create(&obj(json!({"annotations": {"k": over}})), true, dns1123_subdomain_name);
    assert_eq!(causes[0].to_string(), "metadata.annotations: Too long: must have at most 262144 bytes");
    assert_eq!(causes[0].reason, CauseReason::FieldValueTooLong);
}

#[test]
fn owner_references_need_api_version_kind_name_and_uid() {
    assert_eq!(
        create(json!({"ownerReferences": [{"kind": "X"}]})),
        [
            "metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty",
            "metadata.ownerReferences.name: Invalid value: \"\": must not be empty",
            "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty",
        ]
    );
    let e =
        create(json!({"ownerReferences": [{"apiVersion": "a/b/c", "kind": "", "name": "n", "uid": "u"}]}));
    assert_eq!(
        e,
        [
            "metadata.ownerReferences.apiVersion: Invalid value: \"a/b/c\": version must not be empty",
            "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty",
        ]
    );
}

#[test]
fn events_cannot_own_and_only_one_owner_is_the_controller() {
    let e =
        create(json!({"ownerReferences": [{"apiVersion": "v1", "kind": "Event", "name": "e", "uid": "u"}]}));
    assert_eq!(e.len(), 1);
    assert!(e[0].ends_with(": /v1, Kind=Event is disallowed from being an owner"), "{e:?}");
    let owner = |name: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "name": name, "uid": name, "controller": true});
    let e = create(json!({"ownerReferences": [owner("a"), owner("b")]}));
    assert_eq!(e.len(), 1);
    assert!(e[0].ends_with(
        "Only one reference can have Controller set to true. Found \"true\" in references for ConfigMap/a and ConfigMap/b"
    ));
}

#[test]
fn finalizers_are_qualified_names_and_orphan_excludes_foreground_deletion() {
    let e = create(json!({"finalizers": ["a b", "ok"]}));
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("metadata.finalizers: Invalid value: \"a b\": name part must consist"));
    let e = create(json!({"finalizers": ["orphan", "foregroundDeletion"]}));
    assert_eq!(
        e,
        [
            "metadata.finalizers: Invalid value: [\"orphan\",\"foregroundDeletion\"]: finalizer orphan and foregroundDeletion cannot be both set"
        ]
    );
}

#[test]
fn managed_fields_name_a_known_operation_and_fields_type() {
    let e = create(json!({"managedFields": [{"operation": "Patch", "fieldsType": "FieldsV2"}]}));
    assert_eq!(
        e,
        [
            "metadata.managedFields[0].operation: Invalid value: \"Patch\": must be `Apply` or `Update`",
            "metadata.managedFields[0].fieldsType: Invalid value: \"FieldsV2\": must be `FieldsV1`",
        ]
    );
}

#[test]
fn updates_check_labels_annotations_owners_and_no_new_finalizers_while_deleting() {
    let old = obj(json!({"finalizers": ["a"], "deletionTimestamp": "2026-12-04T15:10:06Z"}));
    let new = obj(json!({"finalizers": ["a", "c", "b"], "labels": {"bad key!": "x"},
                         "ownerReferences": [{"kind": "X"}]}));
    let e: Vec<String> = validate_update(&new, &old).iter().map(ToString::to_string).collect();
    assert_eq!(
        e[0],
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"b\", \"c\"}"
    );
    assert!(e[1].starts_with("metadata.labels: Invalid value: \"bad key!\""));
    assert_eq!(e[2], "metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty");
    assert_eq!(e.len(), 5);
    let live = obj(json!({"finalizers": ["a"]}));
    assert!(validate_update(&new, &live).iter().all(|c| c.field != "metadata.finalizers"));
}
