//! ensure-name-substring, from its documented behaviour: names get the substring once,
//! references and `depends-on` annotations follow, some kinds are left alone, and how it fails.

mod common;

use porch_functions::catalog::Catalog;
use porch_functions::ensure_name_substring::{EnsureNameSubstring, Version};
use porch_functions::{FnResult, Function, ResourceList, Severity};

const HEADER: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n";

const PACKAGE: &str = r#"items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: cm # the settings
    namespace: shop
  data:
    color: blue
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
    annotations:
      note: 'hello'
      config.kubernetes.io/depends-on: /namespaces/shop/ConfigMap/cm
  spec:
    template:
      spec:
        serviceAccountName: sa
        containers:
        - name: app
          envFrom:
          - configMapRef:
              name: cm
        volumes:
        - name: settings
          configMap:
            name: "cm"
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: sa
    namespace: shop
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata:
    name: reader
  rules:
  - resources: [configmaps]
    resourceNames: [cm, other]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata:
    name: read-all
    annotations:
      config.kubernetes.io/depends-on: rbac.authorization.k8s.io/ClusterRole/reader
  roleRef:
    apiGroup: rbac.authorization.k8s.io
    kind: ClusterRole
    name: reader
  subjects:
  - kind: ServiceAccount
    name: sa
    namespace: shop
- apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata:
    name: web
    namespace: shop
  spec:
    scaleTargetRef:
      apiVersion: apps/v1
      kind: Deployment
      name: web
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: prod-flags
    namespace: shop
- apiVersion: kpt.dev/v1
  kind: Kptfile
  metadata:
    name: pkg
"#;

const RENAMED: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: prod-cm # the settings
  namespace: shop
data:
  color: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: prod-web
  namespace: shop
  annotations:
    note: hello
    config.kubernetes.io/depends-on: /namespaces/shop/ConfigMap/prod-cm
spec:
  template:
    spec:
      serviceAccountName: prod-sa
      containers:
      - name: app
        envFrom:
        - configMapRef:
            name: prod-cm
      volumes:
      - name: settings
        configMap:
          name: "prod-cm"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: prod-sa
  namespace: shop
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: prod-reader
rules:
- resources: [configmaps]
  resourceNames: [prod-cm, other]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: prod-read-all
  annotations:
    config.kubernetes.io/depends-on: rbac.authorization.k8s.io/ClusterRole/prod-reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: prod-reader
subjects:
- kind: ServiceAccount
  name: prod-sa
  namespace: shop
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: prod-web
  namespace: shop
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: prod-web
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: prod-flags
  namespace: shop
---
apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: pkg
"#;

fn config_map(data: &str) -> String {
    format!(
        "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: fn\n  data:\n{data}"
    )
}

fn run(version: Version, input: &str) -> (String, Vec<FnResult>, i32) {
    common::run_items(&EnsureNameSubstring { version }, input)
}

fn error(message: &str) -> FnResult {
    FnResult::general(message, Severity::Error)
}

#[test]
fn names_get_the_prefix_and_references_follow() {
    let (out, results, code) =
        run(Version::V0_2, &format!("{HEADER}{PACKAGE}{}", config_map("    prepend: prod-\n")));
    assert_eq!((results, code), (vec![], 0));
    assert_eq!(out, RENAMED);
}

#[test]
fn a_second_run_changes_nothing() {
    let mut list =
        ResourceList::parse(&format!("{HEADER}{PACKAGE}{}", config_map("    prepend: prod-\n"))).unwrap();
    let function = EnsureNameSubstring { version: Version::V0_2 };
    assert_eq!(function.run(&mut list).exit_code, 0);
    let once = list.items.clone();
    assert_eq!(function.run(&mut list).exit_code, 0);
    assert_eq!(porch_krm::Stream::new(list.items).to_text(), porch_krm::Stream::new(once).to_text());
}

#[test]
fn v0_1_1_renames_kptfiles_and_leaves_depends_on_alone() {
    let (out, _, _) =
        run(Version::V0_1_1, &format!("{HEADER}{PACKAGE}{}", config_map("    prepend: prod-\n")));
    assert!(out.ends_with("kind: Kptfile\nmetadata:\n  name: prod-pkg\n"), "{out}");
    assert!(out.contains("    config.kubernetes.io/depends-on: /namespaces/shop/ConfigMap/cm\n"), "{out}");
    assert!(
        out.contains("    config.kubernetes.io/depends-on: rbac.authorization.k8s.io/ClusterRole/reader\n"),
        "{out}"
    );
    assert!(out.contains("          name: \"prod-cm\"\n"), "references are fixed as in v0.2.0: {out}");
}

const OWN_KIND: &str = r#"functionConfig:
  apiVersion: fn.kpt.dev/v1alpha1
  kind: EnsureNameSubstring
  metadata:
    name: fn
  substring: -eu
  editMode: append
  additionalNameFields:
  - kind: Deployment
    path: spec/template/spec/containers[]/name
  - kind: ConfigMap
    path: data/color
    create: true
"#;

#[test]
fn suffixes_go_on_additional_fields_and_bracket_paths_are_never_idempotent() {
    let input = format!(
        "{HEADER}items:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web-eu\n  spec:\n    template:\n      spec:\n        containers:\n        - name: app\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm\n    annotations:\n      owner: 'ops' # who\n{OWN_KIND}"
    );
    let (out, results, code) = run(Version::V0_2, &input);
    assert_eq!((results, code), (vec![], 0));
    let expected = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-eu
spec:
  template:
    spec:
      containers:
      - name: app-eu
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-eu
  annotations:
    owner: ops # who
data:
  color: -eu
"#;
    assert_eq!(out, expected);
    let mut list = ResourceList::parse(&input).unwrap();
    let function = EnsureNameSubstring { version: Version::V0_2 };
    function.run(&mut list);
    function.run(&mut list);
    let twice = porch_krm::Stream::new(list.items).to_text();
    assert!(twice.contains("      - name: app-eu-eu\n"), "{twice}");
    assert!(twice.contains("  color: -eu\n"), "a field found holding the substring is kept: {twice}");
}

#[test]
fn a_renamed_resource_without_annotations_gets_none_and_empty_items_go() {
    let input = format!(
        "{HEADER}items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    annotations: {{}}\n- {{}}\n- kind: Widget\n  spec: {{}}\n{}",
        config_map("    append: -x\n")
    );
    let (out, _, code) = run(Version::V0_2, &input);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a-x\n---\nkind: Widget\nspec: {}\nmetadata: {}\n"
    );
}

#[test]
fn bad_configurations_fail_with_the_catalogs_messages() {
    let load = |e: &str| error(&format!("failed to load the `functionConfig`: {e}"));
    let cases = [
        (String::new(), load("substring must not be empty")),
        (config_map("    prepend: a\n    append: b\n"), load("only 1 entry is allowed in the ConfigMap, but got: 2")),
        (config_map("    insert: a\n"), load("unknown editMode: insert, only prepend and append are allowed")),
        (config_map("    prepend: ''\n"), load("substring must not be empty")),
        (
            config_map("    prepend: [a]\n"),
            load(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field ConfigMap.data of type string",
            ),
        ),
        (
            "functionConfig:\n  apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n".to_string(),
            load(
                "function config must be either /v1, Kind=ConfigMap or fn.kpt.dev/v1alpha1, Kind=EnsureNameSubstring, but we got: /v1, Kind=Secret",
            ),
        ),
        (
            "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    labels:\n      a: b\n  data:\n    prepend: x\n"
                .to_string(),
            load("missing metadata.name in object {{v1 ConfigMap} {{ } map[a:b] map[]}}"),
        ),
        (
            "functionConfig:\n  apiVersion: fn.kpt.dev/v1alpha1\n  kind: EnsureNameSubstring\n  metadata:\n    name: f\n  substring: x\n  fieldSpecs: []\n  additionalNameFields: []\n".to_string(),
            load("`fieldSpecs` has been deprecated, please rename it to `additionalNameFields`"),
        ),
        (
            "functionConfig:\n  apiVersion: fn.kpt.dev/v1alpha1\n  kind: EnsureNameSubstring\n  metadata:\n    name: f\n  substring: x\n  additionalNameFields:\n  - path: a\n    create: 'yes'\n".to_string(),
            load(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field FieldSpec.additionalNameFields.create of type bool",
            ),
        ),
    ];
    for (config, expected) in cases {
        let (_, results, code) = run(Version::V0_2, &format!("{HEADER}{PACKAGE}{config}"));
        assert_eq!((results, code), (vec![expected], 1), "{config}");
    }
}

#[test]
fn two_resources_with_one_id_fail_the_run() {
    let input = format!(
        "{HEADER}items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    namespace: default\n{}",
        config_map("    prepend: x-\n")
    );
    assert_eq!(
        run(Version::V0_2, &input).1,
        [error(
            "failed to convert items to resource map: may not add resource with an already registered id: ~G_v1_ConfigMap|default|a"
        )]
    );
}

#[test]
fn a_name_that_is_not_a_scalar_fails_the_transform() {
    let input = format!(
        "{HEADER}items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: {{first: a}}\n{}",
        config_map("    prepend: x-\n")
    );
    assert_eq!(
        run(Version::V0_2, &input).1,
        [error(
            "failed to transform name substring: considering field 'metadata/name' of object\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {first: a}\n: wrong Node Kind for metadata.name expected: ScalarNode was MappingNode: value: {{first: a}}"
        )]
    );
}

#[test]
fn the_catalog_answers_the_tags_implemented() {
    let catalog = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", true);
    for tag in ["v0.1", "v0.1.1", "v0.2", "v0.2.0", "latest", "unstable"] {
        assert!(catalog.find(&format!("ensure-name-substring:{tag}")).is_some(), "{tag}");
        assert!(catalog.find(&format!("gcr.io/kpt-fn/ensure-name-substring:{tag}")).is_some(), "{tag}");
    }
    for tag in ["v0.1.0", "v0.2.1", "v0.3"] {
        assert!(catalog.find(&format!("ensure-name-substring:{tag}")).is_none(), "{tag}");
    }
}
