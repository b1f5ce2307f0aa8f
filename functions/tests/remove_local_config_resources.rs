//! remove-local-config-resources, from its documented behaviour: which items go, which stay, what
//! it reports, and which images run it.

mod common;

use common::HEADER;
use porch_functions::catalog::Catalog;
use porch_functions::remove_local_config_resources::RemoveLocalConfigResources;
use porch_functions::result::FileRef;
use porch_functions::{FnResult, Severity};

fn run(items: &str) -> (String, Vec<FnResult>) {
    let (text, results, exit_code) =
        common::run_list(&RemoveLocalConfigResources, &format!("{HEADER}{items}"));
    assert_eq!(exit_code, 0, "it never fails");
    (text, results)
}

fn pruned(name: &str, path: &str) -> FnResult {
    FnResult {
        file: Some(FileRef { path: path.into(), index: 0 }),
        ..FnResult::general(format!("Resource name: [{name}]"), Severity::Info)
    }
}

/// A ConfigMap named `name` with a `local-config` annotation `value` (none when empty) and a
/// path annotation `path` (none when empty).
fn config_map(name: &str, value: &str, path: &str) -> String {
    let mut annotations = String::new();
    if !value.is_empty() {
        annotations.push_str(&format!("      config.kubernetes.io/local-config: {value}\n"));
    }
    if !path.is_empty() {
        annotations.push_str(&format!("      internal.config.kubernetes.io/path: {path}\n"));
    }
    let annotations =
        if annotations.is_empty() { String::new() } else { format!("    annotations:\n{annotations}") };
    format!(
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: {name} # keep me\n{annotations}  data:\n    a: b\n"
    )
}

#[test]
fn items_marked_true_in_any_case_are_removed_and_counted() {
    let items = [
        config_map("setters", "\"true\"", "setters.yaml"),
        config_map("app", "", "app.yaml"),
        config_map("upper", "\"TRUE\"", ""),
        config_map("not-local", "\"false\"", "n.yaml"),
        config_map("yes", "\"yes\"", "y.yaml"),
        config_map("mixed", "True", "m.yaml"),
        config_map("empty", "\"\"", "e.yaml"),
    ]
    .concat();
    let (text, results) = run(&items);
    let kept = [
        config_map("app", "", "app.yaml"),
        config_map("not-local", "\"false\"", "n.yaml"),
        config_map("yes", "\"yes\"", "y.yaml"),
        config_map("empty", "\"\"", "e.yaml"),
    ]
    .concat();
    assert_eq!(text, format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{kept}"));
    assert_eq!(
        results,
        [
            FnResult::general("Number of resources pruned: 3", Severity::Info),
            pruned("setters", "setters.yaml"),
            pruned("upper", ""),
            pruned("mixed", "m.yaml"),
        ]
    );
}

#[test]
fn the_legacy_path_names_the_file_when_the_internal_one_is_missing() {
    let item = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: old\n    annotations:\n      \
                config.kubernetes.io/local-config: 'true'\n      config.kubernetes.io/path: old.yaml\n";
    let (text, results) = run(item);
    assert_eq!(text, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n");
    assert_eq!(results[1], pruned("old", "old.yaml"));
}

#[test]
fn nothing_to_remove_is_a_warning() {
    let items = config_map("app", "\"false\"", "app.yaml");
    let (text, results) = run(&items);
    assert_eq!(text, format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{items}"));
    assert_eq!(
        results,
        [FnResult::general(
            "Found no resources to prune with the local config annotation",
            Severity::Warning
        )]
    );
}

#[test]
fn the_catalog_answers_its_tags() {
    let catalog = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", false);
    for image in [
        "ghcr.io/kptdev/krm-functions-catalog/remove-local-config-resources:v0.1.0",
        "gcr.io/kpt-fn/remove-local-config-resources:v0.1",
        "remove-local-config-resources:v0.1.0",
    ] {
        assert!(catalog.find(image).is_some(), "{image}");
    }
    for image in [
        "gcr.io/kpt-fn/remove-local-config-resources:v0.1.1",
        "gcr.io/kpt-fn/remove-local-config-resources:latest",
        "gcr.io/kpt-fn/remove-local-config-resource:v0.1.0",
    ] {
        assert!(catalog.find(image).is_none(), "{image}");
    }
    assert!(Catalog::new("", true).find("gcr.io/kpt-fn/remove-local-config-resources:unstable").is_some());
}
