//! Checks `src/update/k8s_merge_keys.txt` (the built-in merge keys of `porch_krm::update`)
//! against a live kube-apiserver's `/openapi/v2`, started with the control-plane tools
//! (`$PORCH_K8S_TOOLS`, else `<workspace root>/../shared/tools/k8s`; about 4 s).
//!
//! `cargo test -p porch-krm --test update_schema_live` checks it; with `REGENERATE=1` it
//! rewrites the file. Without the tools it prints `SKIPPED:` and passes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The control-plane tools folder, as the e2e crate finds it.
fn tools() -> PathBuf {
    std::env::var_os("PORCH_K8S_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools/k8s"))
}

fn table_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/update/k8s_merge_keys.txt")
}

/// A field of a definition that matters for merge lists.
#[derive(Debug)]
enum Field {
    Object(String),
    MergeList { item: Option<String>, keys: Vec<String> },
}

fn reference(prop: &Value) -> Option<String> {
    let r = prop["$ref"].as_str().or_else(|| prop["allOf"][0]["$ref"].as_str())?;
    Some(r.trim_start_matches("#/definitions/").to_string())
}

fn field(prop: &Value) -> Option<Field> {
    if let Some(strategy) = prop["x-kubernetes-patch-strategy"].as_str()
        && strategy.split(',').any(|s| s == "merge")
    {
        let keys = match (&prop["x-kubernetes-list-map-keys"], &prop["x-kubernetes-patch-merge-key"]) {
            (Value::Array(keys), _) => keys.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            (_, Value::String(key)) => vec![key.clone()],
            _ => Vec::new(),
        };
        return Some(Field::MergeList { item: reference(&prop["items"]), keys });
    }
    if prop["type"] == "array" {
        return None;
    }
    reference(prop).map(Field::Object)
}

/// The table text from an `/openapi/v2` document.
fn generate(openapi: &Value) -> String {
    let defs = openapi["definitions"].as_object().expect("definitions");
    let mut fields: BTreeMap<&str, BTreeMap<String, Field>> = BTreeMap::new();
    for (name, def) in defs {
        let mut f = BTreeMap::new();
        for (field_name, prop) in def["properties"].as_object().into_iter().flatten() {
            if let Some(x) = field(prop) {
                f.insert(field_name.clone(), x);
            }
        }
        if def["additionalProperties"].is_object()
            && let Some(x) = field(&def["additionalProperties"])
        {
            f.insert("*".to_string(), x);
        }
        fields.insert(name, f);
    }
    // The definitions that lead to a merge list (a fixed point: the graph has cycles).
    let mut leads: BTreeSet<&str> = BTreeSet::new();
    loop {
        let before = leads.len();
        for (name, f) in &fields {
            if f.values().any(|x| match x {
                Field::MergeList { .. } => true,
                Field::Object(t) => leads.contains(t.as_str()),
            }) {
                leads.insert(name);
            }
        }
        if leads.len() == before {
            break;
        }
    }
    let version = openapi["info"]["version"].as_str().unwrap_or("?");
    let mut out = format!(
        "# Generated from kube-apiserver {version}'s /openapi/v2 by krm/tests/update_schema_live.rs; do not edit.\n\
         # The fields of built-in kinds that lead to lists with x-kubernetes-patch-strategy merge.\n"
    );
    let mut kinds = BTreeSet::new();
    for (name, def) in defs.iter().filter(|(n, _)| leads.contains(n.as_str())) {
        for gvk in def["x-kubernetes-group-version-kind"].as_array().into_iter().flatten() {
            let group = gvk["group"].as_str().filter(|g| !g.is_empty()).unwrap_or("-");
            let (version, kind) = (gvk["version"].as_str().unwrap_or(""), gvk["kind"].as_str().unwrap_or(""));
            kinds.insert(format!("kind {group} {version} {kind} {name}\n"));
        }
    }
    out.extend(kinds);
    for name in &leads {
        for (field_name, f) in &fields[name] {
            match f {
                Field::Object(t) if leads.contains(t.as_str()) => {
                    out.push_str(&format!("field {name} {field_name} {t}\n"));
                }
                Field::Object(_) => {}
                Field::MergeList { item, keys } => {
                    let item = item.as_deref().filter(|i| leads.contains(i)).unwrap_or("-");
                    let keys = if keys.is_empty() { "-".to_string() } else { keys.join(",") };
                    out.push_str(&format!("list {name} {field_name} {item} {keys}\n"));
                }
            }
        }
    }
    out
}

/// Starts the control plane, fetches `/openapi/v2`, stops it.
fn fetch_openapi() -> Value {
    let work = std::env::temp_dir().join(format!("porch-krm-openapi-{}", std::process::id()));
    let start = Command::new(tools().join("start-control-plane.sh")).arg(&work).output().expect("start");
    assert!(start.status.success(), "control plane: {}", String::from_utf8_lossy(&start.stderr));
    let env = String::from_utf8_lossy(&start.stdout).to_string();
    let var = |k: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k}"))
            .to_string()
    };
    let pki = work.join("pki");
    let fetched = Command::new("curl")
        .args(["-sf", "--cacert", &var("K8S_CA_CRT"), "--cert"])
        .arg(pki.join("admin.crt"))
        .arg("--key")
        .arg(pki.join("admin.key"))
        .arg(format!("{}/openapi/v2", var("K8S_APISERVER_URL")))
        .output()
        .expect("curl");
    let stop = Command::new(tools().join("stop-control-plane.sh")).arg(&work).arg("--purge").output();
    assert!(fetched.status.success(), "curl /openapi/v2 failed");
    assert!(stop.is_ok_and(|s| s.status.success()), "stop-control-plane.sh failed");
    serde_json::from_slice(&fetched.stdout).expect("openapi json")
}

#[test]
fn the_merge_key_table_matches_a_live_apiserver() {
    if !tools().join("start-control-plane.sh").exists() {
        println!("SKIPPED: {} is absent, the table is not checked", tools().display());
        return;
    }
    let text = generate(&fetch_openapi());
    if std::env::var_os("REGENERATE").is_some() {
        std::fs::write(table_path(), &text).expect("write table");
        return;
    }
    let committed = std::fs::read_to_string(table_path()).expect("read table");
    assert!(committed == text, "k8s_merge_keys.txt is stale: rerun with REGENERATE=1");
}

#[test]
fn the_generator_keeps_only_what_leads_to_merge_lists() {
    let openapi = serde_json::json!({
        "info": {"version": "test"},
        "definitions": {
            "Thing": {
                "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "Thing"}],
                "properties": {
                    "spec": {"$ref": "#/definitions/Spec"},
                    "meta": {"allOf": [{"$ref": "#/definitions/Plain"}]},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            },
            "Spec": {"properties": {
                "items": {"type": "array", "items": {"$ref": "#/definitions/Item"},
                          "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"},
                "ports": {"type": "array", "items": {"$ref": "#/definitions/Plain"},
                          "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "port",
                          "x-kubernetes-list-map-keys": ["port", "protocol"]},
                "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-patch-strategy": "merge"},
                "replaced": {"type": "array", "items": {"$ref": "#/definitions/Item"},
                             "x-kubernetes-patch-strategy": "replace"}
            }},
            "Item": {"properties": {"env": {"type": "array", "items": {"$ref": "#/definitions/Plain"},
                                           "x-kubernetes-patch-strategy": "merge,retainKeys",
                                           "x-kubernetes-patch-merge-key": "name"}}},
            "Plain": {"properties": {"a": {"type": "string"}}}
        }
    });
    let text = generate(&openapi);
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        lines,
        [
            "kind - v1 Thing Thing",
            "list Item env - name",
            "list Spec items Item name",
            "list Spec ports - port,protocol",
            "list Spec tags - -",
            "field Thing spec Spec",
        ]
    );
}
