//! One test per rule and directive of a strategic merge patch, from the documented behaviour.

use super::*;
use serde_json::json;

/// A Namespace-like kind: `status.conditions` merged by `type`, `spec.finalizers` replaced.
const SCHEMA: StrategicSchema =
    StrategicSchema::new(&[ListField { path: "status.conditions", merge: ListMerge::ByKey("type") }]);

fn patched(mut target: Value, patch: Value) -> Value {
    apply(&mut target, &patch, &SCHEMA).unwrap();
    target
}

fn refused(target: Value, patch: Value) -> StrategicMergeError {
    let mut t = target.clone();
    let e = apply(&mut t, &patch, &SCHEMA).unwrap_err();
    assert_eq!(t, target, "a refused patch changes nothing");
    e
}

#[test]
fn maps_merge_recursively_and_null_deletes_a_key() {
    let o = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "data": {"k": "dg=="}});
    let p = json!({"metadata": {"labels": {"a": null, "c": "3"}}, "data": {"l": "eA=="}, "type": "Opaque"});
    assert_eq!(
        patched(o, p),
        json!({"metadata": {"labels": {"b": "2", "c": "3"}}, "data": {"k": "dg==", "l": "eA=="}, "type": "Opaque"})
    );
}

#[test]
fn a_null_for_an_absent_key_is_not_stored() {
    assert_eq!(
        patched(json!({}), json!({"metadata": {"labels": {"a": null}}})),
        json!({"metadata": {"labels": {}}})
    );
}

#[test]
fn scalars_and_maps_replace_values_of_another_type() {
    let o = json!({"a": {"x": 1}, "b": 1, "c": [1]});
    assert_eq!(
        patched(o, json!({"a": 2, "b": {"y": 2}, "c": {"z": 3}})),
        json!({"a": 2, "b": {"y": 2}, "c": {"z": 3}})
    );
}

#[test]
fn lists_without_a_strategy_are_replaced() {
    let o = json!({"spec": {"finalizers": ["kubernetes", "x"]}, "metadata": {"managedFields": [{"manager": "a"}]}});
    let p = json!({"spec": {"finalizers": ["y"]}, "metadata": {"managedFields": [{"manager": "b"}]}});
    assert_eq!(
        patched(o, p),
        json!({"spec": {"finalizers": ["y"]}, "metadata": {"managedFields": [{"manager": "b"}]}})
    );
}

#[test]
fn primitive_merge_lists_merge_as_sets() {
    let o = json!({"metadata": {"finalizers": ["a", "b"]}});
    assert_eq!(
        patched(o, json!({"metadata": {"finalizers": ["b", "c"]}})),
        json!({"metadata": {"finalizers": ["a", "b", "c"]}})
    );
    assert_eq!(
        patched(json!({}), json!({"metadata": {"finalizers": ["a", "a"]}})),
        json!({"metadata": {"finalizers": ["a"]}})
    );
}

#[test]
fn lists_merged_by_key_merge_matching_elements_and_append_new_ones() {
    let o = json!({"metadata": {"ownerReferences": [
        {"uid": "1", "name": "one", "kind": "A"},
        {"uid": "2", "name": "two", "kind": "B"},
    ]}});
    let p = json!({"metadata": {"ownerReferences": [
        {"uid": "2", "name": "deux", "kind": null},
        {"uid": "3", "name": "three"},
    ]}});
    assert_eq!(
        patched(o, p),
        json!({"metadata": {"ownerReferences": [
            {"uid": "1", "name": "one", "kind": "A"},
            {"uid": "2", "name": "deux"},
            {"uid": "3", "name": "three"},
        ]}})
    );
}

#[test]
fn the_kind_s_own_merge_lists_are_described_by_its_schema() {
    let o = json!({"status": {"phase": "Active", "conditions": [{"type": "A", "status": "True"}]}});
    let p =
        json!({"status": {"conditions": [{"type": "B", "status": "False"}, {"type": "A", "reason": "r"}]}});
    assert_eq!(
        patched(o, p),
        // In the patch's order, as kube-apiserver orders a merged list.
        json!({"status": {"phase": "Active", "conditions": [
            {"type": "B", "status": "False"},
            {"type": "A", "status": "True", "reason": "r"},
        ]}})
    );
    // Under another schema, the same list is replaced.
    let mut o = json!({"status": {"conditions": [{"type": "A"}]}});
    apply(&mut o, &json!({"status": {"conditions": [{"type": "B"}]}}), &StrategicSchema::OBJECT_META)
        .unwrap();
    assert_eq!(o, json!({"status": {"conditions": [{"type": "B"}]}}));
}

#[test]
fn an_element_without_its_merge_key_is_refused() {
    let e = refused(json!({}), json!({"metadata": {"ownerReferences": [{"name": "x"}]}}));
    assert!(matches!(e, StrategicMergeError::MissingMergeKey { key: "uid", .. }), "{e}");
    assert_eq!(e.code(), 400);
    let e = refused(json!({}), json!({"metadata": {"ownerReferences": ["x"]}}));
    assert_eq!(e.code(), 400);
}

#[test]
fn lists_of_lists_in_merge_lists_are_422() {
    let e = refused(json!({}), json!({"metadata": {"finalizers": [["a"]]}}));
    assert_eq!(e, StrategicMergeError::ListOfLists);
    assert_eq!(e.code(), 422);
}

#[test]
fn patch_replace_in_a_map_replaces_it() {
    let o = json!({"metadata": {"labels": {"a": "1", "b": "2"}}});
    let p = json!({"metadata": {"labels": {"$patch": "replace", "c": "3", "d": null}}});
    assert_eq!(patched(o, p), json!({"metadata": {"labels": {"c": "3"}}}));
}

#[test]
fn patch_delete_in_a_map_deletes_it() {
    let o = json!({"metadata": {"name": "n", "labels": {"a": "1"}}});
    assert_eq!(
        patched(o, json!({"metadata": {"labels": {"$patch": "delete"}}})),
        json!({"metadata": {"name": "n"}})
    );
    assert_eq!(patched(json!({}), json!({"data": {"$patch": "delete"}})), json!({}));
}

#[test]
fn patch_merge_is_the_default() {
    let o = json!({"metadata": {"labels": {"a": "1"}}});
    assert_eq!(
        patched(o, json!({"metadata": {"labels": {"$patch": "merge", "b": "2"}}})),
        json!({"metadata": {"labels": {"a": "1", "b": "2"}}})
    );
}

#[test]
fn an_unknown_patch_directive_is_400() {
    let e = refused(json!({}), json!({"metadata": {"$patch": "explode"}}));
    assert!(matches!(e, StrategicMergeError::UnknownPatchType(_)), "{e}");
    assert_eq!(e.code(), 400);
}

#[test]
fn patch_delete_in_a_list_deletes_the_element_with_that_key() {
    let o = json!({"metadata": {"ownerReferences": [{"uid": "1"}, {"uid": "2"}]}});
    let p = json!({"metadata": {"ownerReferences": [{"uid": "1", "$patch": "delete"}, {"uid": "9", "$patch": "delete"}]}});
    assert_eq!(patched(o, p), json!({"metadata": {"ownerReferences": [{"uid": "2"}]}}));
}

#[test]
fn patch_replace_in_a_list_replaces_the_list() {
    let o = json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}], "finalizers": ["a", "b"]}});
    let p = json!({"metadata": {
        "ownerReferences": [{"$patch": "replace"}, {"uid": "2", "name": "b"}],
        "finalizers": [{"$patch": "replace"}, "c"],
    }});
    assert_eq!(
        patched(o, p),
        json!({"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}], "finalizers": ["c"]}})
    );
}

#[test]
fn delete_from_primitive_list_removes_values() {
    let o = json!({"metadata": {"finalizers": ["a", "b", "c"]}});
    let p =
        json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a", "c", "z"], "finalizers": ["d"]}});
    // A value new to the list comes first, as kube-apiserver orders it.
    assert_eq!(patched(o, p), json!({"metadata": {"finalizers": ["d", "b"]}}));
    // On an absent list it does nothing; a malformed one is 400.
    assert_eq!(
        patched(json!({}), json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})),
        json!({"metadata": {}})
    );
    let e = refused(json!({}), json!({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}));
    assert_eq!((e.code(), e), (400, StrategicMergeError::PrimitiveList));
    let e = refused(
        json!({"metadata": {"finalizers": "a"}}),
        json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
    );
    assert_eq!(e, StrategicMergeError::PrimitiveList);
}

#[test]
fn set_element_order_orders_a_primitive_merge_list() {
    // kubectl's two-way patch after reordering and adding: the order names every element.
    let o = json!({"metadata": {"finalizers": ["a", "b", "c"]}});
    let p = json!({"metadata": {"$setElementOrder/finalizers": ["c", "d", "a", "b"], "finalizers": ["d"]}});
    assert_eq!(patched(o, p), json!({"metadata": {"finalizers": ["c", "d", "a", "b"]}}));
}

#[test]
fn set_element_order_orders_a_list_merged_by_key_and_keeps_server_only_elements_in_place() {
    let o = json!({"metadata": {"ownerReferences": [{"uid": "a"}, {"uid": "b"}, {"uid": "c"}]}});
    // `a` and `c` are not named: they keep their place relative to `b`, which was there.
    let p = json!({"metadata": {
        "$setElementOrder/ownerReferences": [{"uid": "d"}, {"uid": "b"}],
        "ownerReferences": [{"uid": "d"}],
    }});
    assert_eq!(
        patched(o, p),
        json!({"metadata": {"ownerReferences": [{"uid": "d"}, {"uid": "a"}, {"uid": "b"}, {"uid": "c"}]}})
    );
}

#[test]
fn set_element_order_without_the_list_in_the_patch_reorders_the_object_s_list() {
    let o = json!({"metadata": {"finalizers": ["a", "b"]}});
    assert_eq!(
        patched(o, json!({"metadata": {"$setElementOrder/finalizers": ["b", "a"]}})),
        json!({"metadata": {"finalizers": ["b", "a"]}})
    );
}

#[test]
fn set_element_order_is_ignored_on_replaced_lists_and_must_be_a_list() {
    let o = json!({"spec": {"finalizers": ["a", "b"]}});
    assert_eq!(patched(o.clone(), json!({"spec": {"$setElementOrder/finalizers": ["b", "a"]}})), o);
    let e = refused(o, json!({"spec": {"$setElementOrder/finalizers": {"b": 1}}}));
    assert_eq!(e, StrategicMergeError::SetElementOrder);
    assert_eq!(e.code(), 400);
}

#[test]
fn retain_keys_drops_keys_it_does_not_name() {
    let o = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
    let p = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}});
    assert_eq!(patched(o, p), json!({"spec": {"strategy": {"type": "Recreate"}}}));
}

#[test]
fn retain_keys_must_name_what_the_patch_sets_and_be_a_list_of_strings() {
    let o = json!({"spec": {"strategy": {"type": "A"}}});
    let e = refused(o.clone(), json!({"spec": {"strategy": {"$retainKeys": ["type"], "other": 1}}}));
    assert_eq!((e.code(), e), (422, StrategicMergeError::NotInRetainKeys));
    let e = refused(o, json!({"spec": {"strategy": {"$retainKeys": [1]}}}));
    assert_eq!((e.code(), e), (400, StrategicMergeError::RetainKeys));
}

#[test]
fn new_values_carry_no_directives_or_nulls() {
    let p = json!({"metadata": {
        "labels": {"$patch": "merge", "a": "1", "b": null},
        "ownerReferences": [{"uid": "1", "$patch": "merge", "x": null}],
    }});
    assert_eq!(
        patched(json!({}), p),
        json!({"metadata": {"labels": {"a": "1"}, "ownerReferences": [{"uid": "1"}]}})
    );
}

#[test]
fn the_patch_must_be_an_object() {
    let e = refused(json!({"a": 1}), json!([1]));
    assert_eq!((e.code(), e), (400, StrategicMergeError::NotAnObject));
}

#[test]
fn long_lists_merge_without_quadratic_work() {
    // 20 000 elements each way: comparing them pairwise would take hundreds of millions of steps.
    let n = 20_000;
    let values: Vec<Value> = (0..n).map(|i| json!(format!("f{i}"))).collect();
    let refs: Vec<Value> = (0..n).map(|i| json!({"uid": format!("u{i}")})).collect();
    let o = json!({"metadata": {"finalizers": values, "ownerReferences": refs}});
    let reversed = |list: &[Value]| list.iter().rev().cloned().collect::<Vec<_>>();
    let p = json!({"metadata": {
        "finalizers": (0..n).map(|i| json!(format!("g{i}"))).collect::<Vec<_>>(),
        "$deleteFromPrimitiveList/finalizers": values[..n / 2].to_vec(),
        "ownerReferences": refs[n / 2..].iter().map(|r| json!({"uid": r["uid"], "name": "x"})).collect::<Vec<_>>(),
        "$setElementOrder/ownerReferences": reversed(&refs),
        "$retainKeys": (0..n).map(|i| json!(format!("k{i}"))).chain([json!("finalizers"), json!("ownerReferences")]).collect::<Vec<_>>(),
    }});
    let out = patched(o, p);
    assert_eq!(out["metadata"]["finalizers"].as_array().unwrap().len(), n / 2 + n);
    let owners = out["metadata"]["ownerReferences"].as_array().unwrap();
    assert_eq!(owners.len(), n);
    assert_eq!(owners[0], json!({"uid": format!("u{}", n - 1), "name": "x"}));
    assert_eq!(owners[n - 1], json!({"uid": "u0"}));
}
