//! apply-replacements, from kustomize's documented replacement behaviour: selecting the source
//! and the targets, field paths, delimiters, creation, value types, the errors, what differs
//! between catalog versions, and which images run it.

mod common;

use porch_functions::apply_replacements::{Api, ApplyReplacements};
use porch_functions::catalog::Catalog;
use porch_functions::{Function, ResourceList, Severity};

use common::HEADER;
const CONFIG: &str = "functionConfig:\n  apiVersion: fn.kpt.dev/v1alpha1\n  kind: ApplyReplacements\n  metadata:\n    name: fn\n  replacements:\n";

/// Runs `api` over `items` (list entries, as written under `items:`) with `replacements` (list
/// entries, indented under `replacements:`); returns the items as written after the run.
fn run_with(api: Api, items: &str, replacements: &str) -> Result<String, (String, i32)> {
    let input = format!("{HEADER}{items}{CONFIG}{replacements}");
    let mut list = ResourceList::parse(&input).unwrap();
    let before = list.items.clone();
    let outcome = ApplyReplacements { api }.run(&mut list);
    if outcome.exit_code != 0 {
        assert_eq!(list.items, before, "a failed run leaves the items as they were");
        assert_eq!(outcome.results.len(), 1, "{:?}", outcome.results);
        let result = &outcome.results[0];
        assert_eq!(result.severity, Severity::Error);
        assert_eq!((&result.resource_ref, &result.file), (&None, &None), "a general result");
        return Err((result.message.clone(), outcome.exit_code));
    }
    assert_eq!(outcome.results, vec![], "nothing is reported on success");
    let text = list.to_text();
    let items = text.strip_prefix(HEADER).and_then(|t| t.split("functionConfig:").next()).unwrap_or(&text);
    Ok(items.to_string())
}

fn run(items: &str, replacements: &str) -> String {
    run_with(Api::V0_20, items, replacements).unwrap_or_else(|e| panic!("{e:?}"))
}

fn error(api: Api, items: &str, replacements: &str) -> String {
    match run_with(api, items, replacements) {
        Ok(items) => panic!("expected an error, got\n{items}"),
        Err((message, exit)) => {
            assert_eq!(exit, 1);
            message
        }
    }
}

const APP: &str = r#"- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings # shared settings
    annotations:
      config.kubernetes.io/local-config: "true"
  data:
    image: registry.example.com/shop/cart:1.4.2
    port: "8080"
    debug: "true"
    owner: team-a
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: cart
    labels:
      tier: backend
  spec:
    replicas: 1 # scaled by HPA
    template:
      spec:
        containers:
        - name: cart
          image: placeholder # set by replacement
          ports:
          - containerPort: 80
          env:
          - name: OWNER
            value: nobody
        - name: cart-sidecar
          image: proxy:1
"#;

#[test]
fn a_source_field_is_copied_into_selected_targets_keeping_comments() {
    let out = run(
        APP,
        r#"  - source:
      kind: ConfigMap
      name: settings
      fieldPath: data.image
    targets:
    - select:
        kind: Deployment
      fieldPaths:
      - spec.template.spec.containers.[name=cart].image
"#,
    );
    // The element match is a regular expression searched unanchored, as kyaml does.
    let expected = APP
        .replace(
            "image: placeholder # set by replacement",
            "image: registry.example.com/shop/cart:1.4.2 # set by replacement",
        )
        .replace("image: proxy:1", "image: registry.example.com/shop/cart:1.4.2");
    assert_eq!(out, expected);
}

#[test]
fn field_paths_default_to_metadata_name() {
    let items = r#"- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: placeholder
"#;
    let out = run(
        items,
        "  - source:\n      kind: Namespace\n    targets:\n    - select:\n        kind: ConfigMap\n",
    );
    assert_eq!(out, items.replace("name: placeholder", "name: shop"));
}

#[test]
fn a_scalar_target_keeps_its_style_and_type() {
    let out = run(
        APP,
        r#"  - source:
      kind: ConfigMap
      fieldPath: data.port
    targets:
    - select:
        kind: Deployment
      fieldPaths:
      - spec.template.spec.containers.0.ports.0.containerPort
  - source:
      kind: Deployment
      fieldPath: spec.replicas
    targets:
    - select:
        kind: ConfigMap
      fieldPaths:
      - data.port
      - data.owner
"#,
    );
    // "8080" into a number stays a number; 1 into a quoted string stays quoted; 1 into a plain
    // string field is quoted so that it stays a string.
    let expected = APP
        .replace("containerPort: 80", "containerPort: 8080")
        .replace("port: \"8080\"", "port: \"1\"")
        .replace("owner: team-a", "owner: \"1\"");
    assert_eq!(out, expected);
}

#[test]
fn text_a_typed_field_cannot_hold_gets_that_type_tag() {
    let out = run(
        APP,
        r#"  - source:
      kind: ConfigMap
      fieldPath: data.owner
    targets:
    - select:
        kind: Deployment
      fieldPaths:
      - spec.replicas
"#,
    );
    assert_eq!(out, APP.replace("replicas: 1 # scaled by HPA", "replicas: !!int team-a # scaled by HPA"));
}

#[test]
fn a_null_field_found_gets_the_null_tag_as_go_yaml_writes_it() {
    let items = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n  data:\n    key: ~\n";
    let out = run(
        items,
        "  - source:\n      kind: ConfigMap\n    targets:\n    - select:\n        kind: ConfigMap\n      fieldPaths:\n      - data.key\n",
    );
    assert_eq!(out, items.replace("key: ~", "key: !!null a"));
}

#[test]
fn created_scalars_are_plain_and_read_as_their_text() {
    let out = run(
        APP,
        r#"  - source:
      kind: ConfigMap
      fieldPath: data.port
    targets:
    - select:
        kind: Deployment
      fieldPaths:
      - spec.template.spec.containers.[name=cart-sidecar].ports.0.containerPort
      - metadata.annotations.port
      options:
        create: true
"#,
    );
    let expected = APP
        .replace("      tier: backend\n", "      tier: backend\n    annotations:\n      port: 8080\n")
        .replace("image: proxy:1\n", "image: proxy:1\n          ports:\n          - containerPort: 8080\n");
    assert_eq!(out, expected);
}

#[test]
fn a_mapping_source_replaces_or_creates_a_mapping_target() {
    let items = r#"- apiVersion: v1
  kind: Pod
  metadata:
    name: template
  spec:
    containers:
    - name: main # the main one
      image: busybox
    restartPolicy: OnFailure
- apiVersion: batch/v1
  kind: Job
  metadata:
    name: once
"#;
    let out = run(
        items,
        r#"  - source:
      kind: Pod
      fieldPath: spec
    targets:
    - select:
        kind: Job
      fieldPaths:
      - spec.template.spec
      options:
        create: true
"#,
    );
    let expected = format!(
        "{items}  spec:\n    template:\n      spec:\n        containers:\n        - name: main # the main one\n          image: busybox\n        restartPolicy: OnFailure\n"
    );
    assert_eq!(out, expected);
}

#[test]
fn a_source_delimiter_picks_one_part() {
    let config = |index: i64| {
        format!(
            r#"  - source:
      kind: ConfigMap
      fieldPath: data.image
      options:
        delimiter: ':'
        index: {index}
    targets:
    - select:
        kind: Deployment
      fieldPaths:
      - metadata.labels.version
      options:
        create: true
"#
        )
    };
    let out = run(APP, &config(1));
    assert_eq!(out, APP.replace("      tier: backend\n", "      tier: backend\n      version: 1.4.2\n"));
    assert_eq!(
        error(Api::V0_20, APP, &config(2)),
        "options.index 2 is out of bounds for value registry.example.com/shop/cart:1.4.2"
    );
    assert_eq!(
        error(Api::V0_20, APP, &config(-1)),
        "options.index -1 is out of bounds for value registry.example.com/shop/cart:1.4.2"
    );
}

#[test]
fn a_target_delimiter_replaces_prepends_or_appends() {
    let items = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: v2\n  data:\n    a: x.y.z\n    b: x.y.z\n    c: x.y.z\n    d: x.y.z\n";
    let target = |field: &str, index: i64| {
        format!(
            "    - select:\n        kind: ConfigMap\n      fieldPaths:\n      - data.{field}\n      options:\n        delimiter: .\n        index: {index}\n"
        )
    };
    let replacements = format!(
        "  - source:\n      kind: ConfigMap\n    targets:\n{}{}{}{}",
        target("a", 1),
        target("b", -1),
        target("c", 3),
        target("d", 9)
    );
    let out = run(items, &replacements);
    assert_eq!(
        out,
        items
            .replace("a: x.y.z", "a: x.v2.z")
            .replace("b: x.y.z", "b: v2.x.y.z")
            .replace("c: x.y.z", "c: x.y.z.v2")
            .replace("d: x.y.z", "d: x.y.z.v2")
    );
}

#[test]
fn delimiters_need_scalars() {
    let source = "  - source:\n      kind: Deployment\n      fieldPath: spec.template\n      options:\n        delimiter: '-'\n    targets:\n    - select:\n        kind: ConfigMap\n";
    assert_eq!(error(Api::V0_20, APP, source), "delimiter option can only be used with scalar nodes");
    let target = "  - source:\n      kind: ConfigMap\n    targets:\n    - select:\n        kind: Deployment\n      fieldPaths:\n      - spec.template\n      options:\n        delimiter: '-'\n";
    assert_eq!(error(Api::V0_20, APP, target), "delimiter option can only be used with scalar nodes");
}

#[test]
fn a_wildcard_reaches_every_element() {
    let out = run(
        APP,
        r#"  - source:
      kind: ConfigMap
      fieldPath: data.image
      options:
        delimiter: /
    targets:
    - select:
        kind: Deployment
      fieldPaths:
      - spec.template.spec.containers.*.image
      options:
        delimiter: /
        index: -1
"#,
    );
    let expected = APP
        .replace("image: placeholder", "image: registry.example.com/placeholder")
        .replace("image: proxy:1", "image: registry.example.com/proxy:1");
    assert_eq!(out, expected);
}

#[test]
fn keys_with_dots_and_scalar_elements_are_addressed() {
    let items = r#"- apiVersion: v1
  kind: Service
  metadata:
    name: api
    annotations:
      example.com/owner: team-b
  spec:
    args:
    - --verbose
    - --port=80
"#;
    let out = run(
        items,
        r#"  - source:
      kind: Service
      fieldPath: metadata.annotations.[example.com/owner]
    targets:
    - select:
        kind: Service
      fieldPaths:
      - metadata.labels.[app.kubernetes.io/part-of]
      - metadata.annotations.team\.name
      - spec.args.[=--verbose]
      options:
        create: true
"#,
    );
    let expected = items
        .replace(
            "      example.com/owner: team-b\n",
            "      example.com/owner: team-b\n      team.name: team-b\n    labels:\n      app.kubernetes.io/part-of: team-b\n",
        )
        .replace("- --verbose", "- team-b");
    assert_eq!(out, expected);
}

#[test]
fn an_index_one_past_the_end_is_appended_when_creating() {
    let items = "- apiVersion: networking.k8s.io/v1\n  kind: Ingress\n  metadata:\n    name: web\n  spec:\n    rules:\n    - host: web.example.com\n";
    let config = |tls: &str| {
        format!(
            "  - source:\n      kind: Ingress\n      fieldPath: spec.rules.0.host\n    targets:\n    - select:\n        kind: Ingress\n      fieldPaths:\n      - spec.tls.{tls}.hosts.0\n      options:\n        create: true\n"
        )
    };
    let out = run(items, &config("0"));
    assert_eq!(out, format!("{items}    tls:\n    - hosts:\n      - web.example.com\n"));
    assert_eq!(
        error(Api::V0_20, items, &config("2")),
        "unable to find or create field \"spec.tls.2.hosts.0\" in replacement target: index 2 specified but only 0 elements found"
    );
}

#[test]
fn a_missing_target_field_is_an_error_unless_created() {
    let replacements = |create: bool| {
        format!(
            "  - source:\n      kind: ConfigMap\n    targets:\n    - select:\n        kind: Deployment\n      fieldPaths:\n      - spec.template.metadata.labels.config\n      options:\n        create: {create}\n"
        )
    };
    assert_eq!(
        error(Api::V0_20, APP, &replacements(false)),
        "unable to find field \"spec.template.metadata.labels.config\" in replacement target"
    );
    let out = run(APP, &replacements(true));
    assert_eq!(out, format!("{APP}      metadata:\n        labels:\n          config: settings\n"));
}

#[test]
fn the_source_must_select_exactly_one_resource() {
    let two = format!("{APP}- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: other\n");
    let config = "  - source:\n      kind: Deployment\n      fieldPath: spec.replicas\n      options:\n        delimiter: '-'\n    targets:\n    - select:\n        kind: ConfigMap\n";
    assert_eq!(
        error(Api::V0_20, &two, config),
        "multiple matches for selector Deployment.[noVer].[noGrp]/[noName].[noNs]:spec.replicas:-(0), create=false"
    );
    let none = "  - source:\n      group: apps\n      version: v1\n      kind: StatefulSet\n      name: db\n      namespace: prod\n    targets:\n    - select:\n        kind: ConfigMap\n";
    assert_eq!(error(Api::V0_20, APP, none), "nothing selected by StatefulSet.v1.apps/db.prod");
}

#[test]
fn an_empty_or_missing_source_field_is_an_error() {
    let items = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: empty\n  data: {}\n";
    let config = "  - source:\n      kind: ConfigMap\n      fieldPath: data\n    targets:\n    - select:\n        kind: ConfigMap\n";
    assert_eq!(
        error(Api::V0_20, items, config),
        "fieldPath `data` is missing for replacement source ConfigMap.[noVer].[noGrp]/[noName].[noNs]"
    );
    let missing = "  - source:\n      kind: ConfigMap\n      fieldPath: data.nothing\n    targets:\n    - select:\n        kind: ConfigMap\n";
    assert_eq!(
        error(Api::V0_10, items, missing),
        "fieldPath `data.nothing` is missing for replacement source ConfigMap.[noVer].[noGrp]/[noName].[noNs]:data.nothing",
        "catalog v0.1.1 names the whole source selector"
    );
    let wildcard = "  - source:\n      kind: ConfigMap\n      fieldPath: data.*\n    targets:\n    - select:\n        kind: ConfigMap\n";
    assert_eq!(
        error(Api::V0_20, items, wildcard),
        "error looking up replacement source: wildcard is not supported in PathGetter"
    );
}

#[test]
fn a_source_value_is_written_as_a_plain_string() {
    let config = "  - sourceValue: \"3\"\n    targets:\n    - select:\n        kind: Deployment\n      fieldPaths:\n      - spec.replicas\n      - metadata.labels.tier\n";
    let out = run(APP, config);
    assert_eq!(out, APP.replace("replicas: 1 #", "replicas: 3 #").replace("tier: backend", "tier: \"3\""));
    let both = "  - sourceValue: x\n    source:\n      kind: ConfigMap\n    targets: []\n";
    assert_eq!(error(Api::V0_20, APP, both), "value and resource selectors are mutually exclusive");
    assert_eq!(
        error(Api::V0_19, APP, config),
        "replacements must specify a source and at least one target",
        "catalog v0.1.2 (kustomize api 0.19) has no sourceValue"
    );
}

#[test]
fn replacements_need_a_source_targets_and_selects() {
    let no_targets = "  - source:\n      kind: ConfigMap\n";
    assert_eq!(
        error(Api::V0_20, APP, no_targets),
        "replacements must specify a source and at least one target"
    );
    let no_select =
        "  - source:\n      kind: ConfigMap\n    targets:\n    - fieldPaths:\n      - metadata.name\n";
    assert_eq!(error(Api::V0_20, APP, no_select), "target must specify resources to select");
    // An empty list of targets is allowed, and writes nothing.
    assert_eq!(run(APP, "  - source:\n      kind: ConfigMap\n    targets: []\n"), APP);
}

#[test]
fn targets_are_chosen_by_ids_labels_annotations_and_rejects() {
    let items = r#"- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: a
    labels:
      env: prod
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: b
    namespace: default
    labels:
      env: dev
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: c
    namespace: other
    annotations:
      skip: "yes"
- apiVersion: v1
  kind: Secret
  metadata:
    name: s
"#;
    let write = |select: &str, reject: &str| {
        let out = run(
            items,
            &format!(
                "  - sourceValue: hit\n    targets:\n    - select:\n{select}      reject:\n{reject}      fieldPaths:\n      - data.x\n      options:\n        create: true\n"
            ),
        );
        out.lines()
            .filter(|l| l.trim_start().starts_with("name:") || l.contains("x: hit"))
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        write("        kind: ConfigMap\n", "      - name: b\n"),
        "name: a x: hit name: b name: c x: hit name: s"
    );
    // `default` also selects resources without a namespace.
    assert_eq!(
        write("        namespace: default\n", "      - kind: Secret\n"),
        "name: a x: hit name: b x: hit name: c name: s"
    );
    assert_eq!(
        write("        labelSelector: env in (prod, dev)\n", "      - labelSelector: env=dev\n"),
        "name: a x: hit name: b name: c name: s"
    );
    assert_eq!(
        write("        annotationSelector: '!skip'\n", "      - kind: ConfigMap\n        name: a\n"),
        "name: a name: b x: hit name: c name: s x: hit"
    );
    // A reject's expression rejects on its own, whatever its id fields say.
    assert_eq!(
        write("        kind: ConfigMap\n", "      - name: zzz\n        labelSelector: env\n"),
        "name: a name: b name: c x: hit name: s"
    );
    // Names compare exactly: no patterns.
    assert_eq!(write("        name: a.*\n", "      - name: zzz\n"), "name: a name: b name: c name: s");
}

#[test]
fn a_bad_label_selector_is_an_error() {
    let config = "  - sourceValue: x\n    targets:\n    - select:\n        labelSelector: env in prod\n";
    assert_eq!(error(Api::V0_20, APP, config), "unable to parse requirement: found 'prod' expected: '('");
}

const RENAMED: &str = r#"- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: prefix-settings
    annotations:
      internal.config.kubernetes.io/previousNames: settings
      internal.config.kubernetes.io/previousNamespaces: ""
      internal.config.kubernetes.io/previousKinds: ConfigMap
  data:
    value: renamed
"#;

#[test]
fn previous_names_select_too() {
    let config = "  - source:\n      kind: ConfigMap\n      name: settings\n      fieldPath: data.value\n    targets:\n    - select:\n        name: settings\n      fieldPaths:\n      - data.copy\n      options:\n        create: true\n";
    assert_eq!(run(RENAMED, config), format!("{RENAMED}    copy: renamed\n"));
    let uneven = RENAMED.replace("previousKinds: ConfigMap", "previousKinds: ConfigMap,Secret");
    assert_eq!(
        error(Api::V0_20, &uneven, config),
        "error getting node IDs: number of previous names, number of previous namespaces, number of previous kinds not equal"
    );
}

#[test]
fn a_reject_of_any_id_rejects_from_api_0_19_and_only_the_selected_id_before() {
    let config = "  - source:\n      kind: ConfigMap\n      fieldPath: data.value\n    targets:\n    - select:\n        kind: ConfigMap\n      reject:\n      - name: settings\n      fieldPaths:\n      - data.copy\n      options:\n        create: true\n";
    assert_eq!(run(RENAMED, config), RENAMED, "the previous id is rejected: nothing is written");
    assert_eq!(
        run_with(Api::V0_10, RENAMED, config).unwrap(),
        format!("{RENAMED}    copy: renamed\n"),
        "catalog v0.1.1: the current id is selected and not rejected"
    );
}

#[test]
fn catalog_v0_1_1_skips_missing_targets_and_copies_the_source_node() {
    let config = r#"  - source:
      kind: ConfigMap
      fieldPath: data.port
    targets:
    - select:
        kind: Deployment
      fieldPaths:
      - spec.template.spec.containers.0.ports.0.containerPort
      - spec.missing.field
      - spec.template.spec.containers.7.image
      - spec.template.spec.containers.[name=cart].env.[name=OWNER].value
      - spec.replicas
"#;
    let out = run_with(Api::V0_10, APP, config).unwrap();
    // The field takes the source node as it is: a quoted string, with its comments (none here,
    // so the target's line comment goes).
    let expected = APP
        .replace("replicas: 1 # scaled by HPA", "replicas: \"8080\"")
        .replace("containerPort: 80", "containerPort: \"8080\"")
        .replace("value: nobody", "value: \"8080\"");
    assert_eq!(out, expected);
    let created = "  - source:\n      kind: ConfigMap\n      fieldPath: data.port\n    targets:\n    - select:\n        kind: Deployment\n      fieldPaths:\n      - metadata.annotations.port\n      - spec.template.spec.containers.[name=init].image\n      options:\n        create: true\n";
    let out = run_with(Api::V0_10, APP, created).unwrap();
    let expected = APP
        .replace("      tier: backend\n", "      tier: backend\n    annotations:\n      port: \"8080\"\n")
        .replace("image: proxy:1\n", "image: proxy:1\n        - name: init\n          image: \"8080\"\n");
    assert_eq!(out, expected);
    // `*` is a key to kyaml 0.13, which a sequence cannot have.
    let wildcard = "  - source:\n      kind: ConfigMap\n    targets:\n    - select:\n        kind: Deployment\n      fieldPaths:\n      - spec.template.spec.containers.*.image\n";
    assert!(
        error(Api::V0_10, APP, wildcard).starts_with(
            "wrong Node Kind for spec.template.spec.containers expected: MappingNode was SequenceNode: value: {- name: cart\n"
        ),
        "{}",
        error(Api::V0_10, APP, wildcard)
    );
    let index = "  - source:\n      kind: ConfigMap\n    targets:\n    - select:\n        kind: Deployment\n      fieldPaths:\n      - spec.tls.0.host\n      options:\n        create: true\n";
    assert_eq!(
        error(Api::V0_10, APP, index),
        "wrong Node Kind for spec.tls expected: SequenceNode was MappingNode: value: {{}}",
        "kyaml 0.13 makes a mapping before an index, then fails on it"
    );
}

#[test]
fn a_write_into_the_source_field_changes_what_later_targets_get() {
    let items =
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: app\n  data:\n    a: one\n    b: two\n";
    let config = "  - source:\n      kind: ConfigMap\n      fieldPath: data.a\n    targets:\n    - select:\n        kind: ConfigMap\n      fieldPaths:\n      - data.a\n      - data.b\n      options:\n        delimiter: '-'\n        index: -1\n";
    assert_eq!(run(items, config), items.replace("a: one", "a: one-one").replace("b: two", "b: one-one-two"));
}

#[test]
fn the_configuration_is_read_as_the_catalog_reads_it() {
    let input = |config: &str| format!("{HEADER}{APP}{config}");
    let message = |config: &str| {
        let mut list = ResourceList::parse(&input(config)).unwrap();
        let outcome = ApplyReplacements { api: Api::V0_20 }.run(&mut list);
        assert_eq!(outcome.exit_code, 1);
        outcome.results[0].message.clone()
    };
    assert_eq!(message(""), "FunctionConfig is missing. Expect `ApplyReplacements`");
    assert_eq!(
        message("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n"),
        "received functionConfig of kind ConfigMap and apiVersion v1, only functionConfig of kind ApplyReplacements and apiVersion fn.kpt.dev/v1alpha1 is supported"
    );
    assert_eq!(
        message(&format!(
            "{CONFIG}  - source:\n      kind: ConfigMap\n    targets:\n    - select:\n        kind: Deployment\n      options:\n        index: \"1\"\n"
        )),
        "unable to convert functionConfig to replacements:\nunable to convert object to *replacements.Replacements with error: json: cannot unmarshal string into Go struct field FieldOptions.replacements.targets.options.index of type int"
    );
    assert_eq!(
        message(&format!("{CONFIG}  - source: cm\n    targets: []\n")),
        "unable to convert functionConfig to replacements:\nunable to convert object to *replacements.Replacements with error: json: cannot unmarshal string into Go struct field Replacement.replacements.source of type types.SourceSelector"
    );
    // Keys match case-insensitively and unknown keys are ignored, as Go's decoder does.
    let out = run(
        APP,
        "  - Source:\n      KIND: ConfigMap\n      fieldpath: data.owner\n      color: blue\n    targets:\n    - select:\n        kind: Deployment\n      fieldPaths: [metadata.labels.tier]\n",
    );
    assert_eq!(out, APP.replace("tier: backend", "tier: team-a"));
}

#[test]
fn replacements_apply_in_order() {
    let items = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: first\n  data:\n    copy: x\n";
    let config = "  - sourceValue: second\n    targets:\n    - select:\n        kind: ConfigMap\n  - source:\n      kind: ConfigMap\n    targets:\n    - select:\n        kind: ConfigMap\n      fieldPaths:\n      - data.copy\n";
    assert_eq!(
        run(items, config),
        items.replace("name: first", "name: second").replace("copy: x", "copy: second")
    );
}

#[test]
fn catalog_v0_1_2_writes_as_later_versions_do() {
    let config = r#"  - source:
      kind: ConfigMap
      fieldPath: data.debug
    targets:
    - select:
        kind: Deployment
      fieldPaths:
      - spec.template.spec.containers.*.tty
      options:
        create: true
"#;
    let expected = APP
        .replace("            value: nobody\n", "            value: nobody\n          tty: true\n")
        .replace("image: proxy:1\n", "image: proxy:1\n          tty: true\n");
    assert_eq!(run_with(Api::V0_19, APP, config).unwrap(), expected);
    assert_eq!(run(APP, config), expected);
}

#[test]
fn null_entries_fail_as_the_go_code_does() {
    let null_target = "  - source:\n      kind: ConfigMap\n    targets:\n    - null\n";
    assert_eq!(
        error(Api::V0_20, APP, null_target),
        "runtime error: invalid memory address or nil pointer dereference"
    );
    let null_source = "  - source: null\n    targets: []\n";
    assert_eq!(
        error(Api::V0_20, APP, null_source),
        "replacements must specify a source and at least one target"
    );
    let bad_annotations =
        "  - sourceValue: x\n    targets:\n    - select:\n        annotationSelector: a=-x\n";
    assert_eq!(
        error(Api::V0_20, APP, bad_annotations),
        "unable to parse requirement: invalid label value: \"-x\": at key: \"a\": a valid label must be an empty string \
         or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character \
         (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is \
         '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    );
}

#[test]
fn the_catalog_finds_it_for_its_tags() {
    let catalog = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", false);
    for tag in ["v0.1", "v0.1.1", "v0.1.2", "v0.1.3", "v0.1.4", "v0.1.5"] {
        for prefix in ["ghcr.io/kptdev/krm-functions-catalog/", "gcr.io/kpt-fn/", ""] {
            let image = format!("{prefix}apply-replacements:{tag}");
            assert!(catalog.find(&image).is_some(), "{image}");
        }
    }
    for image in [
        "gcr.io/kpt-fn/apply-replacements:v0.1.0",
        "gcr.io/kpt-fn/apply-replacements:v0.2",
        "gcr.io/kpt-fn/apply-replacements:latest",
        "ghcr.io/kptdev/krm-functions-catalog/apply-replacements",
        "example.com/fns/apply-replacements:v0.1.5",
    ] {
        assert!(catalog.find(image).is_none(), "{image}");
    }
    let floating = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", true);
    assert!(floating.find("gcr.io/kpt-fn/apply-replacements:unstable").is_some());
    assert!(floating.find("apply-replacements").is_some());
}
