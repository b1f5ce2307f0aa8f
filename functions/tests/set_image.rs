//! set-image, from its documented behaviour: which image fields change and how, what the JSON
//! round trip does to the rest, what it reports and how it fails.

mod common;

use porch_functions::catalog::Catalog;
use porch_functions::result::{FieldRef, FileRef, ResourceRef};
use porch_functions::set_image::{SetImage, Version};
use porch_functions::{FnResult, Severity};

const HEADER: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n";

const WORKLOADS: &str = r#"items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: web # the pod
    annotations:
      internal.config.kubernetes.io/path: pod.yaml
  spec:
    containers:
    - name: app
      image: nginx:1.20.2 # pinned
      ports: [{containerPort: 8080}]
    - name: cache
      image: 'redis:6'
    initContainers:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: api
    namespace: shop
    annotations:
      internal.config.kubernetes.io/path: deploy.yaml
  spec:
    replicas: 1000000
    template:
      spec:
        containers:
        - name: api
          image: nginx
        - name: ingress
          image: nginx-ingress:1.0
- apiVersion: apiextensions.k8s.io/v1
  kind: CustomResourceDefinition
  metadata:
    name: things.example.com
  spec: {containers: [{image: nginx:1.0}]}
"#;

const CONFIG_MAP: &str = r#"functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: fn
  data:
    name: nginx
    newTag: 1.21
"#;

fn run(version: Version, input: &str) -> (String, Vec<FnResult>, i32) {
    common::run_items(&SetImage { version }, input)
}

fn set(resource: [&str; 4], field: &str, from: &str, to: &str, file: (&str, i64)) -> FnResult {
    FnResult {
        message: format!("set image from {from} to {to}"),
        severity: Severity::Info,
        resource_ref: Some(ResourceRef {
            api_version: resource[0].into(),
            kind: resource[1].into(),
            name: resource[2].into(),
            namespace: resource[3].into(),
        }),
        field: Some(FieldRef {
            path: field.into(),
            current_value: Some(from.into()),
            proposed_value: Some(to.into()),
        }),
        file: Some(FileRef { path: file.0.into(), index: file.1 }),
    }
}

fn error(message: &str) -> FnResult {
    FnResult::general(message, Severity::Error)
}

#[test]
fn matching_images_get_the_new_tag_and_every_item_goes_through_json() {
    let (out, results, code) = run(Version::V0_1_1, &format!("{HEADER}{WORKLOADS}{CONFIG_MAP}"));
    assert_eq!(code, 0);
    let expected = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: things.example.com
spec:
  containers:
  - image: nginx:1.0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  annotations:
    internal.config.kubernetes.io/path: deploy.yaml
spec:
  replicas: 1e+06
  template:
    spec:
      containers:
      - name: api
        image: nginx:1.21
      - name: ingress
        image: nginx-ingress:1.0
---
apiVersion: v1
kind: Pod
metadata:
  name: web # the pod
  annotations:
    internal.config.kubernetes.io/path: pod.yaml
spec:
  containers:
  - name: app
    image: nginx:1.21 # pinned
    ports:
    - containerPort: 8080
  - name: cache
    image: redis:6
  initContainers: []
"#;
    assert_eq!(out, expected);
    assert_eq!(
        results,
        [
            set(
                ["apps/v1", "Deployment", "api", "shop"],
                "spec.template.spec.containers.image",
                "nginx",
                "nginx:1.21",
                ("deploy.yaml", 0)
            ),
            set(
                ["v1", "Pod", "web", ""],
                "spec.containers.image",
                "nginx:1.20.2",
                "nginx:1.21",
                ("pod.yaml", 0)
            ),
        ]
    );
}

const CUSTOM: &str = r#"items:
- apiVersion: dev.example.com/v1
  kind: MyKind
  metadata:
    name: the-resource
    namespace: the-namespace
    annotations:
      config.kubernetes.io/path: resources.yaml
      config.kubernetes.io/index: '1'
  spec:
    manifest:
      images:
      - image: nginx:1.20.2
      - image: postgres:14.1
- apiVersion: v1
  kind: Pod
  metadata:
    name: the-pod
    annotations:
      config.kubernetes.io/path: resources.yaml
      config.kubernetes.io/index: '0'
  spec:
    containers:
    - name: server
      image: nginx@sha256:0000
"#;

fn set_image_config(image: &str) -> String {
    format!(
        "functionConfig:\n  apiVersion: fn.kpt.dev/v1alpha1\n  kind: SetImage\n  metadata:\n    name: my-func-config\n  image:\n{image}  additionalImageFields:\n  - group: dev.example.com\n    kind: MyKind\n    path: spec/manifest/images[]/image\n"
    )
}

#[test]
fn additional_fields_and_digests_are_set_and_results_sort_by_file() {
    let input = format!(
        "{HEADER}{CUSTOM}{}",
        set_image_config("    name: nginx\n    newName: bitnami/nginx\n    digest: sha256:1234\n")
    );
    let (out, results, code) = run(Version::V0_1_0, &input);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(
            "apiVersion: dev.example.com/v1\nkind: MyKind\nmetadata:\n  name: the-resource\n  namespace: the-namespace\n  annotations:\n    config.kubernetes.io/path: resources.yaml\n    config.kubernetes.io/index: \"1\"\nspec:\n  manifest:\n    images:\n    - image: bitnami/nginx@sha256:1234\n    - image: postgres:14.1\n---\n"
        ),
        "{out}"
    );
    assert!(out.ends_with("  - name: server\n    image: bitnami/nginx@sha256:1234\n"), "{out}");
    assert_eq!(
        results,
        [
            set(
                ["v1", "Pod", "the-pod", ""],
                "spec.containers.image",
                "nginx@sha256:0000",
                "bitnami/nginx@sha256:1234",
                ("resources.yaml", 0)
            ),
            set(
                ["dev.example.com/v1", "MyKind", "the-resource", "the-namespace"],
                "spec.manifest.images.image",
                "nginx:1.20.2",
                "bitnami/nginx@sha256:1234",
                ("resources.yaml", 1)
            ),
        ]
    );
}

#[test]
fn nothing_matching_is_reported_as_such() {
    let input = format!("{HEADER}{CUSTOM}{}", set_image_config("    name: redis\n    newTag: '7'\n"));
    let (_, results, code) = run(Version::V0_1_1, &input);
    assert_eq!((results, code), (vec![FnResult::general("no images changed", Severity::Info)], 0));
}

#[test]
fn bad_configurations_fail_with_the_catalogs_messages() {
    let cases = [
        (
            "  apiVersion: v1\n  kind: Secret\n  metadata:\n    name: x\n",
            "`functionConfig` must be a `ConfigMap` or `SetImage`",
        ),
        (
            "  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n  data:\n    newTag: v2\n",
            "missing image name",
        ),
        (
            "  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n  data:\n    name: a\n",
            "missing image newName, newTag, or digest",
        ),
        (
            "  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n  data:\n    name: a\n    newTag: b\n    digest: c\n",
            "image newTag and digest both set",
        ),
    ];
    for (config, message) in cases {
        for version in [Version::V0_1_0, Version::V0_1_1] {
            let input = format!("{HEADER}{CUSTOM}functionConfig:\n{config}");
            assert_eq!(run(version, &input).1, [error(message)], "{version:?} {config}");
        }
    }
    let no_data = format!(
        "{HEADER}{CUSTOM}functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n"
    );
    assert_eq!(run(Version::V0_1_0, &no_data).1, [error("unable to get field data from functionConfig")]);
    assert_eq!(run(Version::V0_1_1, &no_data).1, [error("missing image name")]);

    let number_tag = format!("{HEADER}{CUSTOM}{}", set_image_config("    name: nginx\n    newTag: 1.21\n"));
    assert_eq!(
        run(Version::V0_1_0, &number_tag).1,
        [error(
            "unable to convert functionConfig to fn.kpt.dev/v1alpha1 SetImage:\nunable to convert object to *main.SetImage with error: json: cannot unmarshal number into Go struct field Image.image.newTag of type string"
        )]
    );
    assert_eq!(
        run(Version::V0_1_1, &number_tag).1,
        [error(
            "Resource(apiVersion=fn.kpt.dev/v1alpha1, kind=SetImage, Name=my-func-config) has unmatched field type: `"
        )]
    );
}

#[test]
fn kustomizes_walk_errors_fail_the_run() {
    let input = format!(
        "{HEADER}items:\n- apiVersion: example.com/v1\n  kind: Thing\n  metadata:\n    name: odd\n  spec: just-a-string\n{CONFIG_MAP}"
    );
    let (_, results, code) = run(Version::V0_1_1, &input);
    assert_eq!(code, 1);
    assert_eq!(
        results,
        [error(
            "considering field 'spec/containers[]/image' of object example.com_v1_Thing|~X|odd: expected sequence or mapping node"
        )]
    );
    let infinite = format!(
        "{HEADER}items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: odd\n  data:\n    x: .inf\n{CONFIG_MAP}"
    );
    assert_eq!(run(Version::V0_1_1, &infinite).1, [error("json: unsupported value: +Inf")]);
    let int_key = format!(
        "{HEADER}items:\n- apiVersion: v1\n  kind: List\n  metadata:\n    name: odd\n  data:\n    1: a\n{CONFIG_MAP}"
    );
    assert_eq!(
        run(Version::V0_1_1, &int_key).1,
        [error("json: unsupported type: map[interface {}]interface {}")]
    );
}

#[test]
fn the_catalog_answers_the_tags_implemented() {
    let catalog = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", true);
    for tag in ["v0.1", "v0.1.0", "v0.1.1", "latest"] {
        assert!(catalog.find(&format!("set-image:{tag}")).is_some(), "{tag}");
        assert!(catalog.find(&format!("gcr.io/kpt-fn/set-image:{tag}")).is_some(), "{tag}");
    }
    for tag in ["unstable", "v0.1.2", "v0.2"] {
        assert!(catalog.find(&format!("set-image:{tag}")).is_none(), "{tag}");
    }
}

#[test]
fn anchors_are_expanded_merges_applied_and_values_retyped() {
    let input = format!(
        "{HEADER}items:\n- apiVersion: example.com/v1\n  kind: Thing\n  metadata:\n    name: t\n  spec:\n    defaults: &d {{a: 1.0, b: two}}\n    merged:\n      <<: *d\n      b: three\n    copy: *d # shared\n    when: 2021-01-01\n    empty:\n    flag: 'on'\n    big: 123456789\n{CONFIG_MAP}"
    );
    let (out, _, code) = run(Version::V0_1_1, &input);
    assert_eq!(code, 0);
    let expected = r#"apiVersion: example.com/v1
kind: Thing
metadata:
  name: t
spec:
  defaults:
    a: 1
    b: two
  merged:
    b: three
    a: 1
  copy: # shared
    a: 1
    b: two
  when: "2021-01-01"
  empty: null
  flag: "on"
  big: 1.23456789e+08
"#;
    assert_eq!(out, expected);
    let laughs = format!(
        "{HEADER}items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: lol\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n  e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n{CONFIG_MAP}"
    );
    assert_eq!(run(Version::V0_1_1, &laughs).1, [error("yaml: document contains excessive aliasing")]);
}
