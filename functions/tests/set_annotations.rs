//! set-annotations v0.1.4 as the catalog has it: kustomize's AnnotationsTransformer with the
//! `commonAnnotations` field specs and the configuration's own, on every resource.

use porch_functions::catalog::Catalog;
use porch_functions::set_annotations::SetAnnotations;
use porch_functions::{Function, ResourceList, Severity};
use porch_krm::Stream;

const RESOURCES: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
---
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    note: keep # kept
    fruit: 'pear'
spec:
  selector:
    app: web
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    config.kubernetes.io/local-config: "true"
---
apiVersion: example.com/v1
kind: MyResource
metadata:
  name: r
spec:
  selector:
    annotations:
      foo: bar
"#;

const CONFIG: &str = "apiVersion: fn.kpt.dev/v1alpha1
kind: SetAnnotations
metadata:
  name: my-config
annotations:
  fruit: apple
  color: orange
additionalAnnotationFields:
- kind: MyResource
  path: spec/selector/annotations
";

const OUTPUT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    color: orange
    fruit: apple
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
      annotations:
        color: orange
        fruit: apple
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
  annotations:
    color: orange
    fruit: apple
spec:
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
        metadata:
          annotations:
            color: orange
            fruit: apple
    metadata:
      annotations:
        color: orange
        fruit: apple
---
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    note: keep # kept
    fruit: 'apple'
    color: orange
spec:
  selector:
    app: web
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    config.kubernetes.io/local-config: "true"
    color: orange
    fruit: apple
---
apiVersion: example.com/v1
kind: MyResource
metadata:
  name: r
  annotations:
    color: orange
    fruit: apple
spec:
  selector:
    annotations:
      foo: bar
      color: orange
      fruit: apple
"#;

fn run(resources: &str, config: Option<&str>) -> (String, Vec<(Severity, String)>, i32) {
    let mut list = ResourceList::new(Stream::parse(resources).unwrap().documents);
    list.function_config = config.map(|c| Stream::parse(c).unwrap().documents.remove(0).root.unwrap());
    let outcome = SetAnnotations.run(&mut list);
    let results = outcome.results.iter().map(|r| (r.severity, r.message.clone())).collect();
    (Stream::new(list.items).to_text(), results, outcome.exit_code)
}

/// The one error of a failed run.
fn failure(resources: &str, config: Option<&str>) -> String {
    let (_, results, exit_code) = run(resources, config);
    assert_eq!(exit_code, 1);
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].0, Severity::Error);
    results[0].1.clone()
}

#[test]
fn writes_metadata_pod_templates_and_the_additional_fields() {
    let (output, results, exit_code) = run(RESOURCES, Some(CONFIG));
    assert_eq!(output, OUTPUT);
    assert_eq!((results, exit_code), (vec![], 0));
}

#[test]
fn a_config_map_or_the_legacy_kind_configures_it() {
    let resources =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: the-map\ndata:\n  some-key: some-value\n";
    let expected = "apiVersion: v1
kind: ConfigMap
metadata:
  name: the-map
  annotations:
    color: orange
    fruit: apple
data:
  some-key: some-value
";
    for config in [
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata:\n  color: orange\n  fruit: apple\n",
        "apiVersion: fn.kpt.dev/v1alpha1\nkind: SetAnnotationConfig\nannotations:\n  fruit: apple\n  color: orange\n\
         fieldSpecs:\n- kind: Widget\n  path: spec/annotations\n  create: true\n",
    ] {
        let (output, results, exit_code) = run(resources, Some(config));
        assert_eq!((output.as_str(), results, exit_code), (expected, vec![], 0), "{config}");
    }
}

#[test]
fn fails_as_the_catalog_function_does() {
    let resources = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: the-map\n";
    assert_eq!(
        failure(resources, None),
        "failed to configure function: `functionConfig` must be a `ConfigMap` or `SetAnnotations`"
    );
    assert_eq!(
        failure(resources, Some("apiVersion: fn.kpt.dev/v1alpha1\nkind: SetLabels\nannotations:\n  a: b\n")),
        "failed to configure function: `functionConfig` must be a `ConfigMap` or `SetAnnotations`"
    );
    assert_eq!(
        failure(resources, Some("apiVersion: fn.kpt.dev/v1alpha1\nkind: SetAnnotations\nannotations: {}\n")),
        "failed to configure function: input annotation list cannot be empty"
    );
    assert_eq!(
        failure(resources, Some("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\n")),
        "failed to configure function: input annotation list cannot be empty"
    );
    assert_eq!(
        failure(
            resources,
            Some(
                "apiVersion: fn.kpt.dev/v1alpha1\nkind: SetAnnotations\nannotations:\n  a: b\nfieldSpecs:\n- path: x\n\
                 additionalAnnotationFields:\n- path: y\n"
            )
        ),
        "failed to configure function: `fieldSpecs` has been deprecated, please rename it to \
         `additionalAnnotationFields`"
    );
    assert_eq!(
        failure(
            resources,
            Some(
                "apiVersion: fn.kpt.dev/v1alpha1\nkind: SetAnnotations\nannotations:\n  a: b\n\
                 additionalAnnotationFields:\n- path: x\n  create: \"true\"\n"
            )
        ),
        "failed to configure function: failed to unmarshal config \"apiVersion: fn.kpt.dev/v1alpha1\\nkind: \
         SetAnnotations\\nannotations:\\n  a: b\\nadditionalAnnotationFields:\\n- path: x\\n  create: \
         \\\"true\\\"\\n\": error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go \
         struct field FieldSpec.additionalAnnotationFields.create of type bool"
    );
}

#[test]
fn a_scalar_where_the_path_goes_on_fails_the_run() {
    let resources = "apiVersion: example.com/v1
kind: MyResource
metadata:
  name: r
spec:
  rules:
  - annotations: {}
  - oops
";
    let config = "apiVersion: fn.kpt.dev/v1alpha1
kind: SetAnnotations
annotations:
  a: b
additionalAnnotationFields:
- kind: MyResource
  path: spec/rules/annotations
";
    assert_eq!(
        failure(resources, Some(config)),
        "failed to run function: failed to run transformer: considering field 'spec/rules/annotations' of object
apiVersion: example.com/v1
kind: MyResource
metadata:
  name: r
spec:
  rules:
  - annotations: {a: b}
  - oops
: visit traversal on path: [annotations]: expected sequence or mapping node"
    );
}

#[test]
fn the_catalog_answers_its_tags() {
    let pinned = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", false);
    for image in ["set-annotations:v0.1", "gcr.io/kpt-fn/set-annotations:v0.1.4"] {
        assert!(pinned.find(image).is_some(), "{image}");
    }
    for image in ["set-annotations:v0.1.3", "set-annotations:latest", "set-annotations:v0.2.0"] {
        assert!(pinned.find(image).is_none(), "{image}");
    }
    assert!(Catalog::new("gcr.io/kpt-fn", true).find("set-annotations").is_some());
}
