//! upsert-resource, from its documented behaviour: what matches, how a replaced or added resource
//! is written, the List form, and which images run it.

mod common;

use porch_functions::catalog::Catalog;
use porch_functions::upsert_resource::UpsertResource;
use porch_functions::{FnResult, Function, ResourceList, Severity};

use common::HEADER;

/// The package: a Deployment (with kpt's annotations) and a ConfigMap.
const ITEMS: &str = r#"- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web # the web tier
    namespace: shop
    annotations:
      team: blue
      config.kubernetes.io/path: app/deploy.yaml
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: app/deploy.yaml
  spec:
    replicas: 1
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
    namespace: shop
"#;

fn run(function: UpsertResource, items: &str, config: &str) -> (String, Vec<FnResult>, i32) {
    let input = format!("{HEADER}{items}functionConfig:\n{config}");
    let mut list = ResourceList::parse(&input).unwrap();
    let outcome = function.run(&mut list);
    let text = list.to_text();
    let items = text.strip_prefix(HEADER).and_then(|t| t.split("functionConfig:").next()).unwrap_or(&text);
    (items.to_string(), outcome.results, outcome.exit_code)
}

const DEPLOYMENT_CONFIG: &str = r#"  apiVersion: apps/v1
  kind: Deployment
  metadata:
    annotations:
      owner: me # mine
      config.kubernetes.io/function: 'container: {image: x}'
    name: web
    namespace: shop
  spec:
    replicas: 5 # five
"#;

#[test]
fn a_matching_resource_is_replaced_keeping_its_file_annotations() {
    let (items, results, exit) = run(UpsertResource::default(), ITEMS, DEPLOYMENT_CONFIG);
    assert_eq!((exit, results), (0, vec![]));
    let expected = r#"- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
    annotations:
      config.kubernetes.io/index: "0"
      config.kubernetes.io/path: app/deploy.yaml
      owner: me
  spec:
    replicas: 5 # five
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
    namespace: shop
"#;
    assert_eq!(items, expected);
}

#[test]
fn a_new_resource_is_appended_at_its_target_path() {
    let config = "  apiVersion: v1\n  kind: Service\n  metadata:\n    name: web\n    namespace: shop\n    annotations:\n      \
                  config.kubernetes.io/target-path: app/svc.yaml\n      config.kubernetes.io/path: fn-config.yaml\n      \
                  config.kubernetes.io/index: '3'\n  spec:\n    ports:\n    - port: 80\n";
    let (items, _, exit) = run(UpsertResource::default(), ITEMS, config);
    assert_eq!(exit, 0);
    let added = "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: web\n    namespace: shop\n    annotations:\n      \
                 config.kubernetes.io/path: app/svc.yaml\n  spec:\n    ports:\n    - port: 80\n";
    assert_eq!(items, format!("{ITEMS}{added}"));

    // v0.1.0 knows no target path: the copy only loses its path and index.
    let (items, _, _) = run(UpsertResource { v0_1: true }, ITEMS, config);
    let added = "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: web\n    namespace: shop\n    annotations:\n      \
                 config.kubernetes.io/target-path: app/svc.yaml\n  spec:\n    ports:\n    - port: 80\n";
    assert_eq!(items, format!("{ITEMS}{added}"));

    // Without annotations left, the field goes (metadata stays, made if missing).
    let config = "  apiVersion: v1\n  kind: Namespace\n";
    let (items, _, _) = run(UpsertResource::default(), ITEMS, config);
    assert_eq!(items, format!("{ITEMS}- apiVersion: v1\n  kind: Namespace\n  metadata: {{}}\n"));
}

#[test]
fn the_target_path_and_the_group_must_match_from_v0_2() {
    let elsewhere = DEPLOYMENT_CONFIG
        .replace("      owner: me # mine\n", "      config.kubernetes.io/target-path: other.yaml\n");
    let (items, _, _) = run(UpsertResource::default(), ITEMS, &elsewhere);
    assert!(items.starts_with(ITEMS), "not replaced: {items}");
    assert!(
        items.ends_with(
            "    annotations:\n      config.kubernetes.io/path: other.yaml\n  spec:\n    replicas: 5 # five\n"
        ),
        "added at the target path: {items}"
    );
    let here = DEPLOYMENT_CONFIG
        .replace("      owner: me # mine\n", "      config.kubernetes.io/target-path: app/deploy.yaml\n");
    let (items, _, _) = run(UpsertResource::default(), ITEMS, &here);
    assert!(
        items.contains("  spec:\n    replicas: 5 # five\n- apiVersion: v1\n  kind: ConfigMap\n"),
        "replaced: {items}"
    );

    let other_group = DEPLOYMENT_CONFIG.replace("apiVersion: apps/v1", "apiVersion: example.com/v1");
    let (items, _, _) = run(UpsertResource::default(), ITEMS, &other_group);
    assert!(items.starts_with(ITEMS) && items.contains("example.com/v1"), "v0.2 appends: {items}");
    let (items, _, _) = run(UpsertResource { v0_1: true }, ITEMS, &other_group);
    assert!(items.starts_with("- apiVersion: example.com/v1\n"), "v0.1.0 ignores the group: {items}");
}

#[test]
fn function_configs_are_never_replaced() {
    let items =
        ITEMS.replace("      team: blue\n", "      config.k8s.io/function: 'container: {image: x}'\n");
    let (out, _, _) = run(UpsertResource::default(), &items, DEPLOYMENT_CONFIG);
    assert!(out.starts_with(&items), "{out}");
    assert!(out.ends_with("      owner: me\n  spec:\n    replicas: 5 # five\n"), "appended: {out}");
}

#[test]
fn a_list_upserts_each_of_its_items() {
    let config = "  apiVersion: v1\n  kind: List\n  metadata:\n    name: changes\n  items:\n  - apiVersion: v1\n    \
                  kind: ConfigMap\n    metadata:\n      name: settings\n      namespace: shop\n    data:\n      a: b\n  \
                  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: token\n";
    let (items, results, exit) = run(UpsertResource::default(), ITEMS, config);
    assert_eq!((exit, results), (0, vec![]));
    let (deployment, _) = ITEMS.split_once("- apiVersion: v1\n  kind: ConfigMap").unwrap();
    let expected = format!(
        "{deployment}- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: settings\n    namespace: shop\n    \
         annotations:\n      config.kubernetes.io/index: \"\"\n      config.kubernetes.io/path: \"\"\n  data:\n    a: b\n\
         - apiVersion: v1\n  kind: Secret\n  metadata:\n    name: token\n"
    );
    assert_eq!(items, expected);

    // v0.1.0 upserts the List itself.
    let (items, _, _) = run(UpsertResource { v0_1: true }, ITEMS, config);
    assert!(items.starts_with(ITEMS) && items.contains("- apiVersion: v1\n  kind: List\n"), "{items}");
}

#[test]
fn a_config_without_metadata_fails_the_run() {
    let error = FnResult::general("failed to upsert resource: missing Resource metadata", Severity::Error);
    for config in ["  {}\n", "  apiVersion: v1\n  kind: List\n  items:\n  - just a string\n"] {
        let (items, results, exit) = run(UpsertResource::default(), ITEMS, config);
        assert_eq!((exit, results), (1, vec![error.clone()]), "{config}");
        assert_eq!(items, ITEMS);
    }
    let mut list = ResourceList::parse(&format!("{HEADER}{ITEMS}")).unwrap();
    let outcome = UpsertResource::default().run(&mut list);
    assert_eq!((outcome.exit_code, outcome.results), (1, vec![error]), "no config at all");
}

#[test]
fn the_catalog_answers_its_tags() {
    let catalog = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", false);
    for image in [
        "ghcr.io/kptdev/krm-functions-catalog/upsert-resource:v0.2.0",
        "gcr.io/kpt-fn/upsert-resource:v0.2",
        "gcr.io/kpt-fn/upsert-resource:v0.1.0",
        "upsert-resource:v0.1",
    ] {
        assert!(catalog.find(image).is_some(), "{image}");
    }
    for image in
        ["gcr.io/kpt-fn/upsert-resource:v0.2.1", "gcr.io/kpt-fn/upsert-resource:latest", "upsert-resource"]
    {
        assert!(catalog.find(image).is_none(), "{image}");
    }
    // v0.1 upserts a List as it is; v0.2 unwraps it.
    let config = "  apiVersion: v1\n  kind: List\n  metadata:\n    name: l\n  items: []\n";
    let floating = Catalog::new("", true);
    let count = |image: &str| {
        let mut list = ResourceList::parse(&format!("{HEADER}{ITEMS}functionConfig:\n{config}")).unwrap();
        floating.find(image).unwrap().run(&mut list);
        list.items.len()
    };
    assert_eq!(
        (count("gcr.io/kpt-fn/upsert-resource:v0.1"), count("gcr.io/kpt-fn/upsert-resource:unstable")),
        (3, 2)
    );
}
