//! Tests of the documents as clients read them, and of pruning against the real schemas.

use super::*;
use crate::server::resources;
use serde_json::json;

const PORCH: &str = "apis/porch.kpt.dev/v1alpha1";
const CONFIG: &str = "apis/config.porch.kpt.dev/v1alpha1";
const CORE: &str = "api/v1";
const REPOSITORY_ITEM: &str =
    "/apis/config.porch.kpt.dev/v1alpha1/namespaces/{namespace}/repositories/{name}";

fn doc(api: &OpenApi, key: &str) -> Value {
    serde_json::from_slice(&api.v3_document(key).expect("document served")).unwrap()
}

fn v2_doc(api: &OpenApi) -> Value {
    let (content_type, body) = api.v2("application/json");
    assert_eq!(content_type, "application/json");
    serde_json::from_slice(&body).unwrap()
}

/// The component schema carrying `x-kubernetes-group-version-kind` for `kind`.
fn kind_schema<'a>(doc: &'a Value, group: &str, kind: &str) -> &'a Value {
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let want = json!([{"group": group, "kind": kind, "version": doc_version(group)}]);
    schemas.values().find(|s| s["x-kubernetes-group-version-kind"] == want).expect("kind schema")
}

fn doc_version(group: &str) -> &'static str {
    if group.is_empty() { "v1" } else { "v1alpha1" }
}

/// Follows a `$ref` or a lone `allOf: [{$ref}]`, as kubectl explain does.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let reference = schema["$ref"].as_str().or_else(|| schema["allOf"][0]["$ref"].as_str());
    match reference {
        Some(r) => {
            let name = r.strip_prefix("#/components/schemas/").expect("components ref");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn field<'a>(doc: &'a Value, schema: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(schema, |s, name| {
        let s = resolve(doc, s);
        let s = if s["type"] == "array" { resolve(doc, &s["items"]) } else { s };
        &s["properties"][name]
    })
}

fn index_keys(api: &OpenApi) -> Vec<String> {
    api.v3_index()["paths"].as_object().unwrap().keys().cloned().collect()
}

#[test]
fn the_index_lists_every_served_group_version_with_a_hashed_url() {
    let api = OpenApi::build(true);
    assert_eq!(index_keys(&api), vec![PORCH, CONFIG, CORE]);
    for key in [PORCH, CONFIG, CORE] {
        let url = api.v3_index()["paths"][key]["serverRelativeURL"].as_str().unwrap().to_string();
        let hash = url.strip_prefix(&format!("/openapi/v3/{key}?hash=")).expect("url of the document");
        assert_eq!(hash.len(), 32);
        assert!(api.v3_document(key).is_some());
    }
    assert!(api.v3_document("apis/unknown.dev/v1").is_none());
}

#[test]
fn aggregated_mode_has_no_config_or_core_documents() {
    let api = OpenApi::build(false);
    assert_eq!(index_keys(&api), vec![PORCH]);
    assert!(api.v3_document(CONFIG).is_none());
    assert!(api.v3_document(CORE).is_none());
    let v2 = v2_doc(&api);
    for (name, schema) in v2["definitions"].as_object().unwrap() {
        assert!(
            !name.starts_with("dev.kpt.porch.config.") && !name.starts_with("io.k8s.api.core."),
            "{name}"
        );
        if let Some(gvk) = schema["x-kubernetes-group-version-kind"].as_array() {
            assert_eq!(gvk[0]["group"], "porch.kpt.dev", "{name}");
        }
    }
    assert!(v2["paths"].as_object().unwrap().keys().all(|p| p.starts_with("/apis/porch.kpt.dev/")));
}

#[test]
fn the_config_document_has_the_repository_schema_and_a_validating_patch() {
    let api = OpenApi::build(true);
    let doc = doc(&api, CONFIG);
    assert_eq!(doc["openapi"], "3.0.0");
    assert_eq!(doc["info"], json!({"title": "Porch", "version": "0.1"}));
    let repository = kind_schema(&doc, "config.porch.kpt.dev", "Repository");
    for known in ["apiVersion", "kind", "metadata", "spec", "status"] {
        assert!(repository["properties"].get(known).is_some(), "{known}");
    }
    kind_schema(&doc, "config.porch.kpt.dev", "RepositoryList");

    let patch = &doc["paths"][REPOSITORY_ITEM]["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "config.porch.kpt.dev", "version": "v1alpha1", "kind": "Repository"})
    );
    assert_eq!(patch["x-kubernetes-action"], "patch");
    let params: Vec<&str> =
        patch["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in ["fieldValidation", "dryRun", "fieldManager", "force"] {
        assert!(params.contains(&name), "{name}");
    }
    let content: Vec<&String> = patch["requestBody"]["content"].as_object().unwrap().keys().collect();
    assert_eq!(
        content,
        vec!["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
    );
    assert!(!String::from_utf8_lossy(&api.v3_document(CONFIG).unwrap()).contains("strategic-merge-patch"));
    let status_patch = &doc["paths"][format!("{REPOSITORY_ITEM}/status")]["patch"];
    assert_eq!(status_patch["x-kubernetes-group-version-kind"]["kind"], "Repository");
    let post =
        &doc["paths"]["/apis/config.porch.kpt.dev/v1alpha1/namespaces/{namespace}/repositories"]["post"];
    assert_eq!(post["x-kubernetes-action"], "post");
    assert!(post["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "fieldValidation"));
}

#[test]
fn field_descriptions_survive_for_kubectl_explain() {
    let api = OpenApi::build(true);
    let config = doc(&api, CONFIG);
    let repository = kind_schema(&config, "config.porch.kpt.dev", "Repository");
    for path in ["spec.git", "spec.git.repo", "spec.git.secretRef.name", "metadata.labels"] {
        let description = field(&config, repository, path)["description"].as_str().unwrap_or("");
        assert!(!description.is_empty(), "{path} has no description");
    }
    let porch = doc(&api, PORCH);
    let revision = kind_schema(&porch, "porch.kpt.dev", "PackageRevision");
    let tasks = field(&porch, revision, "spec.tasks");
    assert!(!tasks["description"].as_str().unwrap_or("").is_empty());
    assert!(resolve(&porch, &tasks["items"])["properties"].get("type").is_some());
    let core = doc(&api, CORE);
    let secret = kind_schema(&core, "", "Secret");
    assert!(!field(&core, secret, "data")["description"].as_str().unwrap_or("").is_empty());
}

/// Calls `f` on every object under `value`.
fn walk(value: &Value, f: &mut dyn FnMut(&serde_json::Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            f(map);
            map.values().for_each(|v| walk(v, f));
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, f)),
        _ => {}
    }
}

fn assert_refs_resolve(doc: &Value, prefix: &str, definitions: &Value, bare_refs: bool) {
    let mut count = 0;
    walk(doc, &mut |map| {
        if let Some(reference) = map.get("$ref") {
            let name = reference.as_str().and_then(|r| r.strip_prefix(prefix)).expect("local ref");
            assert!(definitions.get(name).is_some(), "dangling ref {name}");
            if bare_refs {
                assert_eq!(map.len(), 1, "$ref with siblings: {map:?}");
            }
            count += 1;
        }
    });
    assert!(count > 0);
}

#[test]
fn every_ref_in_every_document_resolves() {
    for standalone in [true, false] {
        let api = OpenApi::build(standalone);
        for key in index_keys(&api) {
            let doc = doc(&api, &key);
            assert_refs_resolve(&doc, "#/components/schemas/", &doc["components"]["schemas"], true);
            walk(&doc["components"], &mut |map| {
                assert!(!map.contains_key("$defs") && !map.contains_key("$schema"));
                assert!(!map.get("type").is_some_and(Value::is_array), "type array in {map:?}");
                assert!(map.get("type") != Some(&Value::from("null")), "null type in {map:?}");
            });
        }
        let v2 = v2_doc(&api);
        assert_eq!(v2["swagger"], "2.0");
        assert_refs_resolve(&v2, "#/definitions/", &v2["definitions"], false);
    }
}

#[test]
fn kubectl_gets_an_empty_protobuf_v2_document() {
    let api = OpenApi::build(true);
    let (content_type, body) = api.v2("application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
    assert_eq!(content_type, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
    assert!(body.is_empty());
    let v2 = v2_doc(&api);
    let secret = v2["definitions"]["io.k8s.api.core.v1.Secret"]["x-kubernetes-group-version-kind"].clone();
    assert_eq!(secret, json!([{"group": "", "kind": "Secret", "version": "v1"}]));
}

fn prune(api: &OpenApi, resource: (&str, &str), mut object: Value) -> (Vec<String>, Value) {
    let def = resources::find(resource.0, "v1alpha1", resource.1)
        .or_else(|| resources::find(resource.0, "v1", resource.1))
        .unwrap();
    let unknown = api.prune_unknown_fields(def, &mut object);
    (unknown, object)
}

const REPOSITORIES: (&str, &str) = ("config.porch.kpt.dev", "repositories");

fn repository() -> Value {
    json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1",
        "kind": "Repository",
        "metadata": {
            "name": "blueprints",
            "namespace": "default",
            "labels": {"a": "b"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:git": {}}}}],
        },
        "spec": {
            "description": "d",
            "type": "git",
            "content": "Package",
            "deployment": false,
            "sync": {"schedule": "*/10 * * * *"},
            "git": {"repo": "https://example.com/r.git", "branch": "main", "directory": "/",
                    "createBranch": true, "secretRef": {"name": "creds"}},
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "reason": "Ready", "message": "",
                            "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1}],
            "packageCount": 3,
            "gitCommitHash": "abc",
        },
    })
}

#[test]
fn a_valid_repository_with_status_has_no_unknown_fields() {
    let api = OpenApi::build(true);
    let (unknown, pruned) = prune(&api, REPOSITORIES, repository());
    assert_eq!(unknown, Vec::<String>::new());
    assert_eq!(pruned, repository());
}

#[test]
fn unknown_repository_fields_are_pruned_and_named_in_document_order() {
    let api = OpenApi::build(true);
    let mut object = repository();
    object["bogus"] = json!(1);
    object["metadata"]["bogus"] = json!(1);
    object["spec"]["bogus"] = json!({"deep": 1});
    object["spec"]["git"]["bogus"] = json!("x");
    object["status"]["conditions"][0]["bogus"] = json!(true);
    let (unknown, pruned) = prune(&api, REPOSITORIES, object);
    assert_eq!(
        unknown,
        vec![".metadata.bogus", ".spec.git.bogus", ".spec.bogus", ".status.conditions[0].bogus", ".bogus"]
    );
    assert_eq!(pruned, repository());
}

#[test]
fn secret_data_keys_are_kept() {
    let api = OpenApi::build(true);
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "type": "kubernetes.io/basic-auth",
        "data": {"username": "dQ==", "password": "cA=="}, "stringData": {"token": "t"},
    });
    let mut with_bogus = secret.clone();
    with_bogus["spec"] = json!({});
    let (unknown, pruned) = prune(&api, ("", "secrets"), with_bogus);
    assert_eq!(unknown, vec![".spec"]);
    assert_eq!(pruned, secret);
}

#[test]
fn package_revision_tasks_are_checked_element_by_element() {
    let api = OpenApi::build(false);
    let object = json!({
        "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision",
        "metadata": {"name": "r.p.ws", "namespace": "default"},
        "spec": {
            "packageName": "p", "repository": "r", "workspaceName": "ws", "lifecycle": "Draft",
            "tasks": [{"type": "init", "init": {"description": "d", "bogus": 1}}],
        },
    });
    let (unknown, _) = prune(&api, ("porch.kpt.dev", "packagerevisions"), object);
    assert_eq!(unknown, vec![".spec.tasks[0].init.bogus"]);
}

#[test]
fn empty_spec_structs_are_closed_but_kubernetes_free_form_objects_are_not() {
    let api = OpenApi::build(true);
    let object = json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "PackageRev",
        "metadata": {"name": "p", "managedFields": [{"fieldsV1": {"f:metadata": {"f:labels": {}}}}]},
        "spec": {"bogus": 1},
    });
    let (unknown, pruned) = prune(&api, ("config.porch.kpt.dev", "packagerevs"), object);
    assert_eq!(unknown, vec![".spec.bogus"]);
    assert_eq!(pruned["metadata"]["managedFields"][0]["fieldsV1"], json!({"f:metadata": {"f:labels": {}}}));
}
