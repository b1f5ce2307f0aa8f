//! set-labels as the catalog's versions behave: v0.2 (the SDK function: a fixed set of fields,
//! selectors updated only where the label is already there) and v0.1.5 (kustomize's
//! LabelTransformer: the `commonLabels` field specs, local-config resources included).

use porch_functions::catalog::Catalog;
use porch_functions::set_labels::SetLabels;
use porch_functions::{FnResult, Function, ResourceList, Severity};
use porch_krm::Stream;

/// One resource of each kind the function knows, and a local-config one.
const RESOURCES: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: web # the front door
spec:
  selector:
    app: web
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    tier: front
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      topologySpreadConstraints:
      - maxSkew: 1
        labelSelector:
          matchLabels:
            app: web
      - maxSkew: 2
        labelSelector:
          matchLabels:
            zone: a
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchLabels:
                app: web
            topologyKey: kubernetes.io/hostname
---
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  selector:
    matchLabels:
      app: pi
      color: red
  template:
    metadata:
      labels:
        app: pi
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      selector:
        matchLabels:
          app: db
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: db
spec:
  selector:
    matchLabels:
      app: db
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
spec:
  podSelector:
    matchLabels:
      role: db
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: web
    - namespaceSelector:
        matchLabels:
          team: a
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  selector:
    app: w
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    config.kubernetes.io/local-config: "true"
data:
  a: b
"#;

const CONFIG: &str = "apiVersion: fn.kpt.dev/v1alpha1
kind: SetLabels
metadata:
  name: my-config
labels:
  color: orange
  app: new
";

/// What v0.2 makes of [`RESOURCES`].
const V0_2_OUTPUT: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: web # the front door
  labels:
    app: new
    color: orange
spec:
  selector:
    app: new
    color: orange
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: new
    tier: front
    color: orange
spec:
  selector:
    matchLabels:
      app: new
      color: orange
  template:
    metadata:
      labels:
        app: new
        color: orange
    spec:
      topologySpreadConstraints:
      - maxSkew: 1
        labelSelector:
          matchLabels:
            app: new
      - maxSkew: 2
        labelSelector:
          matchLabels:
            zone: a
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchLabels:
                app: web
            topologyKey: kubernetes.io/hostname
---
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
  labels:
    app: new
    color: orange
spec:
  selector:
    matchLabels:
      app: new
      color: orange
  template:
    metadata:
      labels:
        app: new
        color: orange
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
  labels:
    app: new
    color: orange
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
        metadata:
          labels:
            app: new
            color: orange
    metadata:
      labels:
        app: new
        color: orange
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  labels:
    app: new
    color: orange
spec:
  selector:
    matchLabels:
      app: new
      color: orange
  template:
    metadata:
      labels:
        app: new
        color: orange
  volumeClaimTemplates:
  - metadata:
      name: data
      labels:
        app: new
        color: orange
    spec:
      selector:
        matchLabels:
          app: db
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: db
  labels:
    app: new
    color: orange
spec:
  selector:
    matchLabels:
      app: new
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  labels:
    app: new
    color: orange
spec:
  podSelector:
    matchLabels:
      role: db
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: new
    - namespaceSelector:
        matchLabels:
          team: a
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  labels:
    app: new
    color: orange
spec:
  selector:
    app: w
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    config.kubernetes.io/local-config: "true"
data:
  a: b
"#;

/// What v0.1.5 makes of [`RESOURCES`].
const V0_1_OUTPUT: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: web # the front door
  labels:
    app: new
    color: orange
spec:
  selector:
    app: new
    color: orange
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: new
    tier: front
    color: orange
spec:
  selector:
    matchLabels:
      app: new
      color: orange
  template:
    metadata:
      labels:
        app: new
        color: orange
    spec:
      topologySpreadConstraints:
      - maxSkew: 1
        labelSelector:
          matchLabels:
            app: new
            color: orange
      - maxSkew: 2
        labelSelector:
          matchLabels:
            zone: a
            app: new
            color: orange
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchLabels:
                app: new
                color: orange
            topologyKey: kubernetes.io/hostname
---
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
  labels:
    app: new
    color: orange
spec:
  selector:
    matchLabels:
      app: new
      color: orange
  template:
    metadata:
      labels:
        app: new
        color: orange
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
  labels:
    app: new
    color: orange
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
        metadata:
          labels:
            app: new
            color: orange
    metadata:
      labels:
        app: new
        color: orange
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  labels:
    app: new
    color: orange
spec:
  selector:
    matchLabels:
      app: new
      color: orange
  template:
    metadata:
      labels:
        app: new
        color: orange
  volumeClaimTemplates:
  - metadata:
      name: data
      labels:
        app: new
        color: orange
    spec:
      selector:
        matchLabels:
          app: db
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: db
  labels:
    app: new
    color: orange
spec:
  selector:
    matchLabels:
      app: new
      color: orange
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  labels:
    app: new
    color: orange
spec:
  podSelector:
    matchLabels:
      role: db
      app: new
      color: orange
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: new
          color: orange
    - namespaceSelector:
        matchLabels:
          team: a
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  labels:
    app: new
    color: orange
spec:
  selector:
    app: w
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    config.kubernetes.io/local-config: "true"
  labels:
    app: new
    color: orange
data:
  a: b
"#;

/// A ResourceList of the resources of a package (a YAML stream) and a configuration.
fn list(resources: &str, config: Option<&str>) -> ResourceList {
    let mut list = ResourceList::new(Stream::parse(resources).unwrap().documents);
    list.function_config = config.map(|c| Stream::parse(c).unwrap().documents.remove(0).root.unwrap());
    list
}

fn run(function: SetLabels, resources: &str, config: Option<&str>) -> (String, Vec<(Severity, String)>, i32) {
    let mut list = list(resources, config);
    let outcome = function.run(&mut list);
    let results = outcome.results.iter().map(|r: &FnResult| (r.severity, r.message.clone())).collect();
    (Stream::new(list.items).to_text(), results, outcome.exit_code)
}

fn info(message: &str) -> (Severity, String) {
    (Severity::Info, message.to_string())
}

fn error(message: &str) -> (Severity, String) {
    (Severity::Error, message.to_string())
}

#[test]
fn v0_2_writes_the_label_fields_of_each_kind() {
    let (output, results, exit_code) = run(SetLabels::V0_2, RESOURCES, Some(CONFIG));
    assert_eq!(output, V0_2_OUTPUT);
    // Service 4, Deployment 10, Job 6, CronJob 8, StatefulSet 10, PodDisruptionBudget 4,
    // NetworkPolicy 8, Widget 2: every label at every field looked at.
    assert_eq!(results, [info("set 52 labels in total")]);
    assert_eq!(exit_code, 0);
}

#[test]
fn v0_1_writes_the_common_labels_field_specs() {
    let (output, results, exit_code) = run(SetLabels::V0_1, RESOURCES, Some(CONFIG));
    assert_eq!(output, V0_1_OUTPUT);
    assert_eq!((results, exit_code), (vec![], 0), "a successful v0.1 run reports nothing");
}

#[test]
fn a_config_map_gives_the_labels_in_its_data() {
    let config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: labels\ndata:\n  color: orange\n";
    let resources =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: the-map\ndata:\n  some-key: some-value\n";
    let expected = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: the-map\n  labels:\n    color: orange\ndata:\n  some-key: some-value\n";
    let (output, results, _) = run(SetLabels::V0_2, resources, Some(config));
    assert_eq!((output.as_str(), results), (expected, vec![info("set 1 labels in total")]));
    let (output, results, _) = run(SetLabels::V0_1, resources, Some(config));
    assert_eq!((output.as_str(), results), (expected, vec![]));
}

#[test]
fn new_values_are_strings_and_untouched_nodes_keep_their_comments_and_styles() {
    let resources = "apiVersion: v1
kind: Pod
metadata:
  name: p # the pod
  labels:
    app: 'old' # was old
    flag: 'yes'
    zone: a
";
    let config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  app: new\n  flag: \"true\"\n  count: \"1\"\n";
    let (output, ..) = run(SetLabels::V0_2, resources, Some(config));
    assert_eq!(
        output,
        "apiVersion: v1
kind: Pod
metadata:
  name: p # the pod
  labels:
    app: new # was old
    flag: \"true\"
    zone: a
    count: \"1\"
"
    );
    // kyaml's setter keeps the style of the value it replaces.
    let (output, ..) = run(SetLabels::V0_1, resources, Some(config));
    assert!(
        output.contains("    app: 'new' # was old\n    flag: 'true'\n    zone: a\n    count: \"1\"\n"),
        "{output}"
    );
}

#[test]
fn v0_2_reports_its_configuration_as_the_catalog_does() {
    let resources = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: the-map\n";
    let case = |config: Option<&str>| {
        let (_, results, exit_code) = run(SetLabels::V0_2, resources, config);
        (results, exit_code)
    };
    assert_eq!(
        case(Some("apiVersion: fn.kpt.dev/v1alpha1\nkind: SetLabels\nlabels:\n- color: orange\n")),
        (
            vec![error(
                "unable to convert object to *setlabels.SetLabels with error: json: cannot unmarshal array into Go \
                 struct field SetLabels.labels of type map[string]string"
            )],
            1
        )
    );
    assert_eq!(
        case(Some("apiVersion: fn.kpt.dev/v1alpha1\nkind: SetLabels\nlabels:\n  b: 1\n  a: yes\n")),
        (
            vec![error(
                "unable to convert object to *setlabels.SetLabels with error: json: cannot unmarshal number into Go \
                 struct field SetLabels.labels of type string"
            )],
            1
        ),
        "kyaml reads YAML 1.2: `yes` is a string, 1 a number"
    );
    assert_eq!(
        case(Some("apiVersion: fn.kpt.dev/v1alpha1\nkind: BadKind\nlabels:\n  color: orange\n")),
        (
            vec![error(
                "unknown FunctionConfig `BadKind.fn.kpt.dev`, expect `SetLabels.fn.kpt.dev` or `ConfigMap.v1`"
            )],
            1
        )
    );
    let not_given = (vec![info("`FunctionConfig` is not given")], 1);
    assert_eq!(case(None), not_given);
    assert_eq!(
        case(Some("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata: {}\n")),
        not_given
    );
    assert_eq!(
        case(Some("apiVersion: fn.kpt.dev/v1alpha1\nkind: SetLabels\nmetadata:\n  name: c\nlabels: {}\n")),
        (vec![(Severity::Warning, "no `labels` arguments are given in FunctionConfig".to_string())], 0)
    );
    assert_eq!(
        case(Some("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: oops\n")),
        (
            vec![error(
                "Resource(apiVersion=, kind=ConfigMap) has unmatched field type \"map[string]string\" in fieldpath .data"
            )],
            1
        )
    );
}

#[test]
fn v0_2_leaves_local_config_alone() {
    let local = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    config.kubernetes.io/local-config: \"true\"
";
    let (output, results, exit_code) = run(SetLabels::V0_2, local, Some(CONFIG));
    assert_eq!((output.as_str(), results, exit_code), (local, vec![info("no input resources")], 0));
    let (output, ..) = run(SetLabels::V0_1, local, Some(CONFIG));
    assert!(output.ends_with("  labels:\n    app: new\n    color: orange\n"), "v0.1 labels it: {output}");
}

#[test]
fn v0_2_reports_a_field_of_another_type_and_goes_on() {
    let resources = "apiVersion: example.com/v1
kind: MyResource
metadata:
  name: listed
  labels:
  - app
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels:
        app: 1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: fine
  labels:
    app: 7
";
    let (output, results, exit_code) = run(SetLabels::V0_2, resources, Some(CONFIG));
    assert_eq!(
        results,
        [
            error(
                "Resource(apiVersion=, kind=MyResource) has unmatched field type \"string\" in fieldpath .metadata.labels.app"
            ),
            error(
                "Resource(apiVersion=, kind=ConfigMap) has unmatched field type \"string\" in fieldpath .metadata.labels.app"
            ),
            // The Deployment: its labels and selector (4); its pod template stops it silently.
            info("set 4 labels in total"),
        ]
    );
    assert_eq!(exit_code, 1);
    let deployment = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: new
    color: orange
spec:
  template:
    metadata:
      labels:
        app: 1
  selector:
    matchLabels:
      app: new
      color: orange
";
    assert!(output.contains(deployment), "the template is left as it was: {output}");
    assert!(output.starts_with(
        "apiVersion: example.com/v1\nkind: MyResource\nmetadata:\n  name: listed\n  labels:\n  - app\n"
    ));
}

#[test]
fn a_cron_job_without_a_job_spec_crashes_v0_2() {
    let resources = "apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  jobTemplate:
    metadata:
      name: x
";
    let (_, results, exit_code) = run(SetLabels::V0_2, resources, Some(CONFIG));
    assert_eq!(results, [error("panic: runtime error: invalid memory address or nil pointer dereference")]);
    assert_eq!(exit_code, 2);
    let (output, _, exit_code) = run(SetLabels::V0_1, resources, Some(CONFIG));
    assert_eq!(exit_code, 0);
    // kustomize creates the job's pod template.
    assert!(
        output.ends_with(
            "  jobTemplate:
    metadata:
      name: x
      labels:
        app: new
        color: orange
    spec:
      template:
        metadata:
          labels:
            app: new
            color: orange
"
        ),
        "{output}"
    );
}

#[test]
fn v0_1_takes_additional_label_fields_and_the_legacy_kind() {
    let resources = "apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  selector:
    labels:
      foo: bar
";
    let expected = "apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  labels:
    color: orange
spec:
  selector:
    labels:
      foo: bar
      color: orange
";
    let fields =
        "- kind: Widget\n  group: example.com\n  version: v1\n  path: spec/selector/labels\n  create: true\n";
    for config in [
        format!(
            "apiVersion: fn.kpt.dev/v1alpha1\nkind: SetLabels\nlabels:\n  color: orange\nadditionalLabelFields:\n{fields}"
        ),
        format!(
            "apiVersion: fn.kpt.dev/v1alpha1\nkind: SetLabelConfig\nlabels:\n  color: orange\nfieldSpecs:\n{fields}"
        ),
    ] {
        let (output, results, exit_code) = run(SetLabels::V0_1, resources, Some(&config));
        assert_eq!((output.as_str(), results, exit_code), (expected, vec![], 0), "{config}");
    }
}

#[test]
fn v0_1_reads_its_kind_as_sigs_yaml_does() {
    let resources = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n";
    let config =
        "apiVersion: fn.kpt.dev/v1alpha1\nkind: SetLabels\nlabels:\n  version: 1.0\n  enabled: yes\n";
    let (output, ..) = run(SetLabels::V0_1, resources, Some(config));
    assert!(output.ends_with("  labels:\n    enabled: \"true\"\n    version: \"1\"\n"), "{output}");
}

#[test]
fn v0_1_fails_as_the_catalog_function_does() {
    let resources = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";
    let case = |resources: &str, config: Option<&str>| {
        let (_, results, exit_code) = run(SetLabels::V0_1, resources, config);
        assert_eq!(exit_code, 1);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].0, Severity::Error);
        results[0].1.clone()
    };
    assert_eq!(
        case(resources, None),
        "failed to configure function: `functionConfig` must be either a `ConfigMap` or `SetLabels`"
    );
    assert_eq!(
        case(resources, Some("apiVersion: fn.kpt.dev/v1alpha1\nkind: SetLabels\nlabels: {}\n")),
        "failed to configure function: input label list cannot be empty"
    );
    assert_eq!(
        case(
            resources,
            Some("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata: {}\n")
        ),
        "failed to configure function: input label list cannot be empty"
    );
    assert_eq!(
        case(
            resources,
            Some(
                "apiVersion: fn.kpt.dev/v1alpha1\nkind: SetLabelConfig\nlabels:\n  a: b\nadditionalLabelFields: []\nfieldSpecs: []\n"
            )
        ),
        "failed to configure function: `fieldSpecs` has been deprecated, please rename it to `additionalLabelFields`"
    );
    assert_eq!(
        case(resources, Some("apiVersion: fn.kpt.dev/v1alpha1\nkind: SetLabels\nlabels:\n  a: [x]\n")),
        "failed to configure function: failed to unmarshal config \"apiVersion: fn.kpt.dev/v1alpha1\\nkind: \
         SetLabels\\nlabels:\\n  a: [x]\\n\": error unmarshaling JSON: while decoding JSON: json: cannot unmarshal \
         array into Go struct field plugin.labels of type string"
    );
    assert_eq!(
        case(
            &format!(
                "{resources}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\n"
            ),
            Some(CONFIG)
        ),
        "failed to run function: may not add resource with an already registered id: apps_v1_Deployment|default|web"
    );
    let message = case("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: flat\n", Some(CONFIG));
    assert_eq!(
        message,
        "failed to run function: failed to run transformer: considering field 'metadata/labels' of object\n\
         apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: flat\n: wrong Node Kind for metadata.labels \
         expected: MappingNode was ScalarNode: value: {flat}"
    );
}

#[test]
fn the_catalog_answers_the_implemented_tags() {
    let pinned = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", false);
    for image in [
        "set-labels:v0.1",
        "set-labels:v0.1.5",
        "set-labels:v0.2",
        "gcr.io/kpt-fn/set-labels:v0.2.0",
        "ghcr.io/kptdev/krm-functions-catalog/set-labels:v0.2.1",
    ] {
        assert!(pinned.find(image).is_some(), "{image}");
    }
    for image in ["set-labels:v0.1.4", "set-labels:v0.2.2", "set-labels", "gcr.io/kpt-fn/set-labels:unstable"]
    {
        assert!(pinned.find(image).is_none(), "{image}");
    }
    let floating = Catalog::new("gcr.io/kpt-fn", true);
    let exit = |image: &str| {
        let mut list = list("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n", None);
        floating.find(image).unwrap().run(&mut list).exit_code
    };
    // Without a configuration v0.1 fails to configure and v0.2 fails after its info result:
    // both exit 1; `latest` is v0.2.
    assert_eq!(exit("set-labels"), 1);
    let mut list = list("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n", Some(CONFIG));
    let outcome = floating.find("set-labels:unstable").unwrap().run(&mut list);
    assert_eq!(outcome.results[0].message, "set 2 labels in total");
}
