//! create-setters, from its documented behaviour: which fields get `# kpt-set:` comments, how the
//! two versions build scalar patterns, what it reports, and which images run it.

mod common;

use porch_functions::catalog::Catalog;
use porch_functions::create_setters::CreateSetters;
use porch_functions::result::{FieldRef, FileRef};
use porch_functions::{FnResult, ResourceList, Severity};

/// A list with `items` (indented as list items) and a ConfigMap config with `data`.
fn list(items: &str, data: &str) -> String {
    common::config_map_list(items, data)
}

fn run(function: CreateSetters, input: &str) -> (String, Vec<FnResult>, i32) {
    common::run_list(&function, input)
}

/// A result as create-setters writes one.
fn added(comment: &str, value: &str, path: &str, file: &str) -> FnResult {
    FnResult {
        field: Some(FieldRef { path: path.into(), ..FieldRef::default() }),
        file: Some(FileRef { path: file.into(), index: 0 }),
        ..FnResult::general(
            format!("Added line comment {comment:?} for field with value {value:?}"),
            Severity::Info,
        )
    }
}

const DEPLOYMENT: &str = r#"- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: shop-web
    annotations:
      config.kubernetes.io/path: web.yaml
  spec:
    replicas: 3 # three
    template:
      spec:
        containers:
        - name: web
          image: nginx:1.7.1
          args: [--serve, nginx]
        zones:
        - west
        - east
        roles: [west, east]
        none: []
"#;

const DATA: &str = "    app: shop\n    image: nginx\n    tag: 1.7.1\n    replicas: '3'\n    zones: '[east, west]'\n    \
                    nothing: '[]'\n    labels: 'a: b'\n";

#[test]
fn marks_scalars_and_lists_holding_setter_values() {
    let (text, results, exit) = run(CreateSetters::default(), &list(DEPLOYMENT, DATA));
    assert_eq!(exit, 0, "{results:?}");
    let expected_items = r#"- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: shop-web # kpt-set: ${app}-web
    annotations:
      config.kubernetes.io/path: web.yaml
  spec:
    replicas: 3 # kpt-set: ${replicas}
    template:
      spec:
        containers:
        - name: web
          image: nginx:1.7.1 # kpt-set: ${image}:${tag}
          args:
          - --serve
          - nginx # kpt-set: ${image}
        zones: # kpt-set: ${zones}
        - west
        - east
        roles: # kpt-set: ${zones}
        - west
        - east
        none: [] # kpt-set: ${nothing}
"#;
    assert_eq!(text, list(expected_items, DATA));
    assert_eq!(
        results,
        [
            added("kpt-set: ${app}-web", "shop-web", "metadata.name", "web.yaml"),
            added("kpt-set: ${replicas}", "3", "spec.replicas", "web.yaml"),
            // A mapping's list fields come before the fields below them.
            added("kpt-set: ${zones}", "[east west]", "spec.template.spec.zones", "web.yaml"),
            added("kpt-set: ${zones}", "[east west]", "spec.template.spec.roles", "web.yaml"),
            added("kpt-set: ${nothing}", "[]", "spec.template.spec.none", "web.yaml"),
            added(
                "kpt-set: ${image}:${tag}",
                "nginx:1.7.1",
                "spec.template.spec.containers[0].image",
                "web.yaml"
            ),
            added("kpt-set: ${image}", "nginx", "spec.template.spec.containers[0].args[1]", "web.yaml"),
        ]
    );
}

#[test]
fn the_versions_build_overlapping_patterns_differently() {
    let item = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm\n  data:\n    \
                image: nginx-abc-dev\n    script: |\n      run nginx\n";
    let data = "    full: nginx-abc\n    image: nginx\n";
    // v0.1.0 sorts `full` after `image` and replaces in turn; main replaces the longest first.
    let (text, results, _) = run(CreateSetters::default(), &list(item, data));
    assert_eq!(
        results[0].message,
        r#"Added line comment "kpt-set: ${image}-abc-dev" for field with value "nginx-abc-dev""#
    );
    assert!(text.contains("    image: nginx-abc-dev # kpt-set: ${image}-abc-dev\n"), "{text}");
    // v0.1.0 marks multi-line values too: the message has the whole pattern, the comment (as
    // go-yaml writes it) ends at the line break.
    assert_eq!(results[1], added("kpt-set: run ${image}\n", "run nginx\n", "data.script", ""), "{results:?}");
    assert!(text.contains("    script: | # kpt-set: run ${image}\n      run nginx\n"), "{text}");

    let (text, results, _) = run(CreateSetters { main: true }, &list(item, data));
    assert_eq!(
        results,
        [added("kpt-set: ${full}-dev", "nginx-abc-dev", "data.image", "")],
        "main skips values with line breaks"
    );
    let expected = item.replace("image: nginx-abc-dev\n", "image: nginx-abc-dev # kpt-set: ${full}-dev\n");
    assert_eq!(text, list(&expected, data));
}

#[test]
fn a_flow_list_with_a_setter_value_becomes_a_block_list() {
    let item = "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n  spec:\n    args: [a, --image=nginx] # flags\n";
    let (text, results, exit) = run(CreateSetters::default(), &list(item, "    image: nginx\n"));
    assert_eq!(exit, 0);
    let expected = item.replace(
        "    args: [a, --image=nginx] # flags\n",
        "    args:\n    - a\n    - --image=nginx # kpt-set: --image=${image}\n",
    );
    assert_eq!(text, list(&expected, "    image: nginx\n"));
    assert_eq!(results, [added("kpt-set: --image=${image}", "--image=nginx", "spec.args[1]", "")]);
}

#[test]
fn bad_configurations_and_no_matches_fail_the_run() {
    let item = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm\n  data:\n    a: x\n";
    for (data, reason) in [
        ("    {}\n", "config map cannot be empty"),
        ("    image: ''\n", "parsing error"),
        ("    image: '[a'\n", "parsing error"),
        ("    image: nginx\n", "no matches for the input list of setters"),
        // A value that reads as a mapping is no setter at all.
        ("    image: 'x: y'\n", "no matches for the input list of setters"),
    ] {
        for main in [false, true] {
            let (_, results, exit) = run(CreateSetters { main }, &list(item, data));
            assert_eq!(exit, 1, "{data}");
            assert_eq!(
                results,
                [FnResult::general(format!("failed to create setters: {reason}"), Severity::Error)],
                "{data}"
            );
        }
    }
    let bare = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n";
    let (_, results, _) = run(CreateSetters::default(), bare);
    assert_eq!(results[0].message, "failed to create setters: config map cannot be empty");
}

#[test]
fn the_catalog_answers_its_tags() {
    let catalog = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", false);
    for image in [
        "ghcr.io/kptdev/krm-functions-catalog/create-setters:v0.1.0",
        "gcr.io/kpt-fn/create-setters:v0.1",
        "create-setters:v0.1.0",
    ] {
        assert!(catalog.find(image).is_some(), "{image}");
    }
    for image in
        ["gcr.io/kpt-fn/create-setters:v0.1.1", "gcr.io/kpt-fn/create-setters:v0.2.0", "create-setters"]
    {
        assert!(catalog.find(image).is_none(), "{image}");
    }
    let floating = Catalog::new("", true);
    // `unstable` is the main branch: it skips multi-line values.
    let item = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm\n  data:\n    s: |\n      x\n      y\n";
    let exit = |image: &str| {
        let mut l = ResourceList::parse(&list(item, "    v: x\n")).unwrap();
        floating.find(image).unwrap().run(&mut l).exit_code
    };
    assert_eq!(
        (exit("gcr.io/kpt-fn/create-setters:latest"), exit("gcr.io/kpt-fn/create-setters:unstable")),
        (0, 1)
    );
}
