//! search-replace, from its documented behaviour: matchers ANDed, mutators applied, what it
//! reports and how it fails, per catalog version.

mod common;

use porch_functions::catalog::Catalog;
use porch_functions::result::{FieldRef, FileRef};
use porch_functions::search_replace::{SearchReplace, Version};
use porch_functions::{FnResult, ResourceList, Severity};

const ITEMS: &str = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: nginx-deployment # the web tier
    namespace: shop-dev
    annotations:
      config.kubernetes.io/path: app/deployment.yaml
  spec:
    replicas: 3
    template:
      spec:
        containers:
        - name: nginx
          image: nginx-1.21
          ports:
          - containerPort: 80
        - name: sidecar
          image: "envoy-1.20"
- apiVersion: v1
  kind: Service
  metadata:
    name: nginx-service
    annotations:
      config.kubernetes.io/path: app/service.yaml
  spec:
    ports: [80, 443]
    selector:
      app: nginx
"#;

fn with_config(items: &str, data: &str) -> String {
    format!(
        "{items}functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: sr\n  data:\n{data}"
    )
}

fn run(version: Version, input: &str) -> (String, Vec<FnResult>, i32) {
    common::run_items(&SearchReplace { version }, input)
}

/// A result as the catalog writes one for a field.
fn field(message: &str, path: &str, file: &str) -> FnResult {
    FnResult {
        field: Some(FieldRef { path: path.into(), ..FieldRef::default() }),
        file: Some(FileRef { path: file.into(), index: 0 }),
        ..FnResult::general(message, Severity::Info)
    }
}

fn error(message: &str) -> FnResult {
    FnResult::general(message, Severity::Error)
}

fn items_of(input: &str) -> String {
    let list = ResourceList::parse(input).unwrap();
    porch_krm::Stream::new(list.items).to_text()
}

#[test]
fn search_by_value_reports_and_changes_nothing() {
    let input = with_config(ITEMS, "    by-value: \"80\"\n");
    let (out, results, code) = run(Version::V0_2, &input);
    assert_eq!(code, 0);
    assert_eq!(out, items_of(ITEMS));
    assert_eq!(
        results,
        [
            field(
                r#"Matched field value "80""#,
                "spec.template.spec.containers[0].ports[0].containerPort",
                "app/deployment.yaml"
            ),
            field(r#"Matched field value "80""#, "spec.ports[0]", "app/service.yaml"),
        ]
    );
}

#[test]
fn a_regex_is_searched_and_its_groups_fill_value_and_comment() {
    let input = with_config(
        ITEMS,
        "    by-value-regex: (\\w+)-(\\d+)\\.(\\d+)\n    put-value: ${1}:${2}.${3}\n    put-comment: 'kpt-set: ${1}:${tag}'\n",
    );
    let (out, results, code) = run(Version::V0_2, &input);
    assert_eq!(code, 0);
    let expected = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment # the web tier
  namespace: shop-dev
  annotations:
    config.kubernetes.io/path: app/deployment.yaml
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: nginx
        image: nginx:1.21 # kpt-set: nginx:${tag}
        ports:
        - containerPort: 80
      - name: sidecar
        image: "envoy:1.20" # kpt-set: envoy:${tag}
---
apiVersion: v1
kind: Service
metadata:
  name: nginx-service
  annotations:
    config.kubernetes.io/path: app/service.yaml
spec:
  ports: [80, 443]
  selector:
    app: nginx
"#;
    assert_eq!(out, expected);
    assert_eq!(
        results,
        [
            field(
                r#"Mutated field value to "nginx:1.21 # kpt-set: nginx:${tag}""#,
                "spec.template.spec.containers[0].image",
                "app/deployment.yaml"
            ),
            field(
                r#"Mutated field value to "\"envoy:1.20\" # kpt-set: envoy:${tag}""#,
                "spec.template.spec.containers[1].image",
                "app/deployment.yaml"
            ),
        ]
    );
}

#[test]
fn path_patterns_and_values_are_anded() {
    let input = with_config(
        ITEMS,
        "    by-path: spec.**.containers[*].name\n    by-value: sidecar\n    put-value: proxy\n",
    );
    let (out, results, _) = run(Version::V0_2, &input);
    assert!(out.contains("      - name: nginx\n"), "{out}");
    assert!(out.contains("      - name: proxy\n        image: \"envoy-1.20\"\n"), "{out}");
    assert_eq!(
        results,
        [field(
            r#"Mutated field value to "proxy""#,
            "spec.template.spec.containers[1].name",
            "app/deployment.yaml"
        )]
    );
    let one_star = with_config(ITEMS, "    by-path: spec.*.replicas\n");
    assert_eq!(run(Version::V0_2, &one_star).1, [FnResult::general("no matches", Severity::Info)]);
}

#[test]
fn a_value_put_by_path_creates_the_field_and_stays_untyped() {
    let input = with_config(ITEMS, "    by-path: metadata.labels.tier\n    put-value: '3'\n");
    let (out, results, _) = run(Version::V0_2, &input);
    let expected_deployment_metadata = r#"metadata:
  name: nginx-deployment # the web tier
  namespace: shop-dev
  annotations:
    config.kubernetes.io/path: app/deployment.yaml
  labels:
    tier: 3
"#;
    assert!(out.contains(expected_deployment_metadata), "{out}");
    assert!(out.ends_with("  selector:\n    app: nginx\n"), "the Service keeps its fields: {out}");
    assert_eq!(
        results,
        [
            field(r#"Mutated field value to "3""#, "metadata.labels.tier", "app/deployment.yaml"),
            field(r#"Mutated field value to "3""#, "metadata.labels.tier", "app/service.yaml"),
        ]
    );
    let replaced = with_config(ITEMS, "    by-path: metadata.name\n    put-value: web\n");
    let (out, _, _) = run(Version::V0_2, &replaced);
    assert!(out.contains("  name: web # the web tier\n"), "{out}");
}

#[test]
fn putting_through_a_scalar_fails_with_kyamls_message() {
    let input = with_config(ITEMS, "    by-path: spec.replicas.count\n    put-value: '1'\n");
    let (_, results, code) = run(Version::V0_2, &input);
    assert_eq!(code, 1);
    assert_eq!(
        results,
        [error(
            r#"failed to perform search-replace operation: "wrong Node Kind for spec.replicas expected: MappingNode was ScalarNode: value: {3}""#
        )]
    );
}

#[test]
fn a_comment_on_a_sequence_field_goes_on_its_key() {
    let input = with_config(ITEMS, "    by-path: spec.ports\n    put-comment: 'kpt-set: ${ports}'\n");
    let (out, results, _) = run(Version::V0_2, &input);
    assert!(
        out.ends_with("spec:\n  ports: # kpt-set: ${ports}\n  - 80\n  - 443\n  selector:\n    app: nginx\n"),
        "{out}"
    );
    assert_eq!(
        results,
        [field(
            r#"Mutated field value to "[80, 443]""#,
            "spec.ports # kpt-set: ${ports}",
            "app/service.yaml"
        )]
    );
}

#[test]
fn by_file_path_picks_items_by_their_file() {
    let input = with_config(
        ITEMS,
        "    by-file-path: '**/service.yaml'\n    by-value: '80'\n    put-value: '8080'\n",
    );
    let (out, results, _) = run(Version::V0_2, &input);
    assert!(out.contains("        - containerPort: 80\n"), "{out}");
    assert!(out.contains("  ports: [8080, 443]\n"), "{out}");
    assert_eq!(results, [field(r#"Mutated field value to "8080""#, "spec.ports[0]", "app/service.yaml")]);
    let bad = with_config(ITEMS, "    by-file-path: 'app/[.yaml'\n    by-value: '80'\n");
    assert_eq!(
        run(Version::V0_2, &bad).1,
        [error(r#"failed to perform search-replace operation: "syntax error in pattern""#)]
    );
}

#[test]
fn fields_of_items_without_a_path_change_but_are_not_reported() {
    let input = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: cm
  data:
    color: blue
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: sr
  data:
    by-value: blue
    put-value: green
"#;
    let (out, results, _) = run(Version::V0_1_1, input);
    assert!(out.ends_with("  color: green\n"), "{out}");
    assert_eq!(results, [FnResult::general("no matches", Severity::Info)]);
    assert_eq!(run(Version::V0_1_0, input).1, [], "v0.1.0 reports nothing");
}

#[test]
fn configurations_are_checked_as_each_version_checks_them() {
    let unknown = with_config(ITEMS, "    by-vaule: x\n");
    assert_eq!(
        run(Version::V0_2, &unknown),
        (
            items_of(ITEMS),
            vec![error(
                r#"failed to perform search-replace operation: "invalid matcher \"by-vaule\", must be one of [\"by-value\" \"by-file-path\" \"by-value-regex\" \"by-path\" \"put-value\" \"put-comment\"]""#
            )],
            1
        )
    );
    assert_eq!(
        run(Version::V0_1_1, &unknown).1,
        [error(
            r#"failed to perform search-replace operation: "invalid matcher \"by-vaule\", must be one of [\"by-value\" \"by-value-regex\" \"by-path\" \"put-value\" \"put-comment\"]""#
        )]
    );
    assert_eq!(run(Version::V0_1_0, &unknown).1, [], "v0.1.0 ignores unknown keys");

    let no_matcher = with_config(ITEMS, "    put-value: x\n");
    assert_eq!(
        run(Version::V0_1_1, &no_matcher).1,
        [error(
            r#"failed to perform search-replace operation: "at least one of [\"by-value\", \"by-value-regex\", \"by-path\"] must be provided""#
        )]
    );
    assert_eq!(run(Version::V0_2, &no_matcher).1, [FnResult::general("no matches", Severity::Info)]);

    let both = with_config(ITEMS, "    by-value: a\n    by-value-regex: a\n");
    let only_one = r#"failed to perform search-replace operation: "only one of [\"by-value\", \"by-value-regex\"] can be provided""#;
    for version in [Version::V0_1_0, Version::V0_1_1, Version::V0_2] {
        assert_eq!(run(version, &both).1, [error(only_one)], "{version:?}");
    }

    let unresolved = with_config(ITEMS, "    by-value-regex: nginx-(.*)\n    put-value: ${1}-${2}\n");
    assert_eq!(
        run(Version::V0_2, &unresolved).1,
        [error(r#"failed to perform search-replace operation: "unable to resolve capture groups""#)]
    );
}

#[test]
fn an_item_without_metadata_fails_the_run() {
    let input = with_config(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- spec:\n    a: b\n",
        "    by-value: b\n",
    );
    assert_eq!(
        run(Version::V0_2, &input).1,
        [error(r#"failed to perform search-replace operation: "missing Resource metadata""#)]
    );
}

#[test]
fn the_catalog_answers_the_tags_implemented() {
    let catalog = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", true);
    for tag in ["v0.1", "v0.1.0", "v0.1.1", "v0.2", "v0.2.0", "latest", "unstable"] {
        assert!(catalog.find(&format!("search-replace:{tag}")).is_some(), "{tag}");
        assert!(catalog.find(&format!("gcr.io/kpt-fn/search-replace:{tag}")).is_some(), "{tag}");
    }
    for tag in ["v0.2.1", "v0.3", "v0.1.2"] {
        assert!(catalog.find(&format!("search-replace:{tag}")).is_none(), "{tag}");
    }
    let with_runner = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", false);
    assert!(with_runner.find("search-replace:latest").is_none());
    assert!(with_runner.find("search-replace:v0.2").is_some());
}
