//! One test per schema rule, each asserting kube-apiserver's exact words.

use serde_json::{Map, Value, json};

use super::{Schema, SchemaError};
use crate::status::CauseReason;

fn schema(root: Value) -> Schema {
    Schema::new(root, Map::new()).unwrap()
}

fn with_defs(root: Value, defs: Value) -> Schema {
    let Value::Object(defs) = defs else { unreachable!() };
    Schema::new(root, defs).unwrap()
}

fn errors(schema: &Schema, value: Value) -> Vec<String> {
    schema.validate(&value).iter().map(ToString::to_string).collect()
}

fn spec(props: Value) -> Schema {
    schema(json!({"type": "object", "properties": {"spec": {"type": "object", "properties": props}}}))
}

#[test]
fn a_wrong_type_names_the_field_the_expected_type_and_the_type_sent() {
    let s = spec(json!({
        "deployment": {"type": "boolean"},
        "description": {"type": "string"},
        "git": {"type": "object", "properties": {"author": {"type": "string"}}},
    }));
    assert_eq!(
        errors(&s, json!({"spec": {"deployment": "yes", "description": 5, "git": {"author": []}}})),
        [
            "spec.deployment: Invalid value: \"string\": spec.deployment in body must be of type boolean: \"string\"",
            "spec.description: Invalid value: \"integer\": spec.description in body must be of type string: \"integer\"",
            "spec.git.author: Invalid value: \"array\": spec.git.author in body must be of type string: \"array\"",
        ]
    );
    let causes = s.validate(&json!({"spec": {"git": "x"}}));
    assert_eq!(causes[0].reason, CauseReason::FieldValueTypeInvalid);
    assert_eq!(
        causes[0].body(),
        "Invalid value: \"string\": spec.git in body must be of type object: \"string\""
    );
}

#[test]
fn valid_values_of_every_type_pass() {
    let s = spec(json!({
        "b": {"type": "boolean"}, "s": {"type": "string"}, "i": {"type": "integer"},
        "n": {"type": "number"}, "a": {"type": "array", "items": {"type": "string"}},
        "o": {"type": "object", "additionalProperties": {"type": "string"}},
    }));
    let ok = json!({"spec": {"b": true, "s": "x", "i": -3, "n": 1.5, "a": ["x"], "o": {"k": "v"}}});
    assert!(errors(&s, ok).is_empty());
}

#[test]
fn whole_floats_are_integers_and_integers_are_numbers() {
    let s = spec(json!({"i": {"type": "integer"}, "n": {"type": "number"}}));
    assert!(errors(&s, json!({"spec": {"i": 3.0, "n": 3}})).is_empty());
    let e = errors(&s, json!({"spec": {"i": 3.5}}));
    assert_eq!(e[0], "spec.i: Invalid value: \"number\": spec.i in body must be of type integer: \"number\"");
}

#[test]
fn integers_must_fit_their_format() {
    let s = spec(json!({"small": {"type": "integer", "format": "int32"}, "big": {"type": "integer"}}));
    assert!(errors(&s, json!({"spec": {"small": 2147483647, "big": -9223372036854775808_i64}})).is_empty());
    assert_eq!(
        errors(&s, json!({"spec": {"small": 2147483648_u64, "big": 18446744073709551615_u64}})),
        [
            "<nil>: Invalid value: \"\": Checked value must be of type integer with format int32 in spec.small",
            "<nil>: Invalid value: \"\": Checked value must be of type integer (default format) in spec.big",
        ]
    );
}

#[test]
fn null_is_a_type_error_unless_nullable() {
    let s = spec(json!({"a": {"type": "string"}, "b": {"type": "string", "nullable": true},
                        "c": {"type": ["string", "null"]}}));
    assert!(errors(&s, json!({"spec": {"b": null, "c": null}})).is_empty());
    assert_eq!(
        errors(&s, json!({"spec": {"a": null}})),
        ["spec.a: Invalid value: \"null\": spec.a in body must be of type string: \"null\""]
    );
}

#[test]
fn drop_nulls_removes_the_nulls_the_schema_does_not_allow() {
    let s = spec(json!({
        "a": {"type": "string"},
        "b": {"type": "string", "nullable": true},
        "m": {"type": "object", "additionalProperties": {"type": "string"}},
        "l": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "string"}}}},
    }));
    let mut obj = json!({"spec": {"a": null, "b": null, "m": {"k": null}, "l": [null, {"x": null}],
                                  "undeclared": null}});
    s.drop_nulls(&mut obj);
    assert_eq!(obj, json!({"spec": {"b": null, "m": {}, "l": [null, {}], "undeclared": null}}));
    assert_eq!(
        errors(&s, obj),
        ["spec.l[0]: Invalid value: \"null\": spec.l[0] in body must be of type object: \"null\""]
    );
}

#[test]
fn int_or_string_takes_either() {
    let s = spec(json!({"port": {"x-kubernetes-int-or-string": true}}));
    assert!(errors(&s, json!({"spec": {"port": 80}})).is_empty());
    assert!(errors(&s, json!({"spec": {"port": "http"}})).is_empty());
    assert_eq!(
        errors(&s, json!({"spec": {"port": true}})),
        [
            "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\""
        ]
    );
}

#[test]
fn preserve_unknown_fields_and_untyped_schemas_accept_anything() {
    let s = spec(json!({"free": {"x-kubernetes-preserve-unknown-fields": true}, "any": {}}));
    assert!(
        errors(&s, json!({"spec": {"free": {"a": [1, {"b": null}]}, "any": 5, "undeclared": []}})).is_empty()
    );
}

#[test]
fn a_bad_date_time_is_reported_with_the_format_and_the_value() {
    let s = spec(json!({"sync": {"type": "object", "nullable": true, "properties": {
        "runOnceAt": {"type": "string", "format": "date-time", "nullable": true}}}}));
    assert!(errors(&s, json!({"spec": {"sync": {"runOnceAt": "2026-12-04T15:10:06Z"}}})).is_empty());
    assert_eq!(
        errors(&s, json!({"spec": {"sync": {"runOnceAt": "tomorrow"}}})),
        [
            "spec.sync.runOnceAt: Invalid value: \"tomorrow\": spec.sync.runOnceAt in body must be of type date-time: \"tomorrow\""
        ]
    );
    assert_eq!(
        errors(&s, json!({"spec": {"sync": {"runOnceAt": 5}}})),
        [
            "spec.sync.runOnceAt: Invalid value: \"int64\": spec.sync.runOnceAt in body must be of type date-time: \"int64\""
        ]
    );
    assert_eq!(
        errors(&s, json!({"spec": {"sync": {"runOnceAt": ["x"]}}})),
        [
            "spec.sync.runOnceAt: Invalid value: \"array\": spec.sync.runOnceAt in body must be of type string: \"array\""
        ]
    );
}

#[test]
fn required_fields_are_named_in_full() {
    let s = schema(json!({"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object",
        "properties": {"git": {"type": "object", "required": ["repo"], "properties": {"repo": {"type": "string"}}}}}}}));
    assert_eq!(errors(&s, json!({})), ["spec: Required value"]);
    let causes = s.validate(&json!({"spec": {"git": {}}}));
    assert_eq!(causes[0].to_string(), "spec.git.repo: Required value");
    assert_eq!(causes[0].reason, CauseReason::FieldValueRequired);
}

#[test]
fn an_unknown_enum_value_lists_the_supported_ones() {
    let s = spec(json!({"type": {"type": "string", "enum": ["git", "oci"], "nullable": true},
                        "n": {"type": "integer", "enum": [1, 2]}}));
    assert!(errors(&s, json!({"spec": {"type": "oci", "n": 2.0}})).is_empty());
    let causes = s.validate(&json!({"spec": {"type": "svn", "n": 3}}));
    let text: Vec<String> = causes.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "spec.type: Unsupported value: \"svn\": supported values: \"git\", \"oci\"",
            "spec.n: Unsupported value: 3: supported values: \"1\", \"2\"",
        ]
    );
    assert_eq!(causes[0].reason, CauseReason::FieldValueNotSupported);
    assert_eq!(
        errors(&s, json!({"spec": {"type": null}})),
        ["spec.type: Unsupported value: \"null\": supported values: \"git\", \"oci\""]
    );
}

#[test]
fn string_lengths_count_characters() {
    let s = spec(json!({"branch": {"type": "string", "minLength": 1, "maxLength": 3}}));
    assert!(errors(&s, json!({"spec": {"branch": "äöü"}})).is_empty());
    assert_eq!(
        errors(&s, json!({"spec": {"branch": ""}})),
        ["spec.branch: Invalid value: \"\": spec.branch in body should be at least 1 chars long"]
    );
    let causes = s.validate(&json!({"spec": {"branch": "main"}}));
    assert_eq!(causes[0].to_string(), "spec.branch: Too long: must have at most 3 bytes");
    assert_eq!(causes[0].reason, CauseReason::FieldValueTooLong);
}

#[test]
fn numbers_respect_bounds_and_multiples() {
    let s = spec(json!({
        "a": {"type": "integer", "minimum": 1, "maximum": 5},
        "b": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1.5, "exclusiveMaximum": true},
        "c": {"type": "integer", "multipleOf": 3},
    }));
    assert!(errors(&s, json!({"spec": {"a": 5, "b": 1, "c": 9}})).is_empty());
    assert_eq!(
        errors(&s, json!({"spec": {"a": 7, "b": 0, "c": 4}})),
        [
            "spec.a: Invalid value: 7: spec.a in body should be less than or equal to 5",
            "spec.b: Invalid value: 0: spec.b in body should be greater than 0",
            "spec.c: Invalid value: 4: spec.c in body should be a multiple of 3",
        ]
    );
    assert_eq!(
        errors(&s, json!({"spec": {"a": 0, "b": 1.5}})),
        [
            "spec.a: Invalid value: 0: spec.a in body should be greater than or equal to 1",
            "spec.b: Invalid value: 1.5: spec.b in body should be less than 1.5",
        ]
    );
}

#[test]
fn lists_check_items_sizes_and_uniqueness() {
    let s = spec(json!({"l": {"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": true,
                              "items": {"type": "string"}}}));
    assert!(errors(&s, json!({"spec": {"l": ["a", "b"]}})).is_empty());
    assert_eq!(
        errors(&s, json!({"spec": {"l": ["a", 1, "a"]}})),
        [
            "spec.l[1]: Invalid value: \"integer\": spec.l[1] in body must be of type string: \"integer\"",
            "spec.l: Too many: 3: must have at most 2 items",
            "spec.l: Invalid value: \"\": spec.l in body shouldn't contain duplicates",
        ]
    );
    assert_eq!(
        errors(&s, json!({"spec": {"l": []}})),
        ["spec.l: Invalid value: 0: spec.l in body should have at least 1 items"]
    );
    assert_eq!(
        s.validate(&json!({"spec": {"l": ["a", "b", "c"]}}))[0].reason,
        CauseReason::FieldValueTooMany
    );
}

#[test]
fn objects_check_property_counts_additional_properties_and_forbidden_keys() {
    let s = spec(json!({
        "labels": {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}},
        "closed": {"type": "object", "minProperties": 1, "properties": {"a": {"type": "string"}},
                   "additionalProperties": false},
    }));
    assert!(errors(&s, json!({"spec": {"labels": {"k": "v"}, "closed": {"a": "x"}}})).is_empty());
    assert_eq!(
        errors(&s, json!({"spec": {"labels": {"k": "v", "n": 1}, "closed": {"b": "x"}}})),
        [
            "spec.labels: Too many: 2: must have at most 1 items",
            "spec.labels.n: Invalid value: \"integer\": spec.labels.n in body must be of type string: \"integer\"",
            "spec.closed: Invalid value: \"b\": spec.closed.b in body is a forbidden property",
        ]
    );
    assert_eq!(
        errors(&s, json!({"spec": {"closed": {}}})),
        ["spec.closed: Invalid value: 0: spec.closed in body should have at least 1 properties"]
    );
}

#[test]
fn refs_are_followed_into_the_definitions() {
    let s = with_defs(
        json!({"type": "object", "properties": {"metadata": {"$ref": "#/components/schemas/Meta"}}}),
        json!({"Meta": {"type": "object", "properties": {"owners": {"type": "array",
                "items": {"$ref": "#/definitions/Owner"}}}},
               "Owner": {"type": "object", "properties": {"uid": {"type": "string"}}}}),
    );
    assert_eq!(
        errors(&s, json!({"metadata": {"owners": [{"uid": 1}]}})),
        [
            "metadata.owners[0].uid: Invalid value: \"integer\": metadata.owners[0].uid in body must be of type string: \"integer\""
        ]
    );
    assert_eq!(
        errors(&s, json!({"metadata": {"owners": "x"}})),
        [
            "metadata.owners: Invalid value: \"string\": metadata.owners in body must be of type array: \"string\""
        ]
    );
}

#[test]
fn a_value_inside_a_larger_object_is_named_by_its_full_path() {
    let s = schema(json!({"type": "object", "properties": {"labels": {"type": "object",
        "additionalProperties": {"type": "string"}}}}));
    let causes = s.validate_at(&json!({"labels": {"a": 1}}), "metadata");
    assert_eq!(causes[0].field, "metadata.labels.a");
}

#[test]
fn composites_report_their_sub_errors_and_a_pathless_summary() {
    let s = spec(json!({
        "all": {"allOf": [{"type": "string"}, {"maxLength": 2}]},
        "any": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]},
        "one": {"oneOf": [{"type": "string"}, {"maxLength": 5}]},
        "not": {"not": {"type": "string"}},
    }));
    assert!(errors(&s, json!({"spec": {"all": "ab", "any": true, "not": 1}})).is_empty());
    assert_eq!(
        errors(&s, json!({"spec": {"all": "abc", "any": "x", "one": "x", "not": "x"}})),
        [
            "spec.all: Too long: must have at most 2 bytes",
            "<nil>: Invalid value: \"\": \"spec.all\" must validate all the schemas (allOf)",
            "<nil>: Invalid value: \"\": \"spec.any\" must validate at least one schema (anyOf)",
            "spec.any: Invalid value: \"string\": spec.any in body must be of type integer: \"string\"",
            "<nil>: Invalid value: \"\": \"spec.one\" must validate one and only one schema (oneOf). Found 2 valid alternatives",
            "<nil>: Invalid value: \"\": \"spec.not\" must not validate the schema (not)",
        ]
    );
}

#[test]
fn byte_strings_must_be_base64() {
    let s = schema(json!({"type": "object", "properties": {"data": {"type": "object",
        "additionalProperties": {"type": "string", "format": "byte"}}}}));
    assert!(errors(&s, json!({"data": {"k": "eA=="}})).is_empty());
    assert_eq!(
        errors(&s, json!({"data": {"k": "%%%"}})),
        ["data.k: Invalid value: \"%%%\": data.k in body must be of type byte: \"%%%\""]
    );
}

#[test]
fn unsupported_keywords_dangling_refs_and_ref_loops_are_refused_at_load() {
    let e = Schema::new(json!({"properties": {"a": {"type": "string", "pattern": "^a$"}}}), Map::new())
        .unwrap_err();
    assert_eq!(e, SchemaError::UnsupportedKeyword { keyword: "pattern".into(), at: "#/properties/a".into() });
    let e = Schema::new(json!({"items": [{"type": "string"}]}), Map::new()).unwrap_err();
    assert!(matches!(e, SchemaError::UnsupportedKeyword { .. }));
    let e = Schema::new(json!({"$ref": "#/definitions/Nope"}), Map::new()).unwrap_err();
    assert_eq!(e.to_string(), "failed to load the schema: \"#/definitions/Nope\" at # names no definition");
    let Value::Object(defs) =
        json!({"A": {"$ref": "#/definitions/B"}, "B": {"allOf": [{"$ref": "#/definitions/A"}]}})
    else {
        unreachable!()
    };
    assert!(matches!(
        Schema::new(json!({"$ref": "#/definitions/A"}), defs).unwrap_err(),
        SchemaError::RefCycle { .. }
    ));
    // A property called `pattern` is a name, not a keyword; recursion through values is fine.
    let Value::Object(defs) = json!({"Node": {"type": "object", "properties": {
        "pattern": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/definitions/Node"}}}}})
    else {
        unreachable!()
    };
    let tree = Schema::new(json!({"$ref": "#/definitions/Node"}), defs).unwrap();
    assert_eq!(tree.validate(&json!({"children": [{"children": [{"pattern": 1}]}]})).len(), 1);
}

#[test]
fn builtin_schemas_check_types_but_not_presence() {
    let secret = Schema::builtin::<k8s_openapi::api::core::v1::Secret>().unwrap();
    assert!(errors(&secret, json!({"data": {"k": "eA=="}})).is_empty(), "metadata is not required");
    assert_eq!(
        errors(&secret, json!({"immutable": "yes", "metadata": {"ownerReferences": [{"kind": 1}]}})),
        [
            "immutable: Invalid value: \"string\": immutable in body must be of type boolean: \"string\"",
            "metadata.ownerReferences[0].kind: Invalid value: \"integer\": metadata.ownerReferences[0].kind in body must be of type string: \"integer\"",
        ]
    );
    let mut with_nulls = json!({"metadata": {"creationTimestamp": null, "labels": null}, "type": null});
    secret.drop_nulls(&mut with_nulls);
    assert_eq!(with_nulls, json!({"metadata": {}}));
}
