//! apply-setters, from its documented behaviour: which fields change, how they are written, what
//! it reports, and which images run it.

mod common;

use porch_functions::apply_setters::ApplySetters;
use porch_functions::catalog::Catalog;
use porch_functions::result::{FieldRef, FileRef};
use porch_functions::{FnResult, ResourceList, Severity};

/// A list with `items` (indented as list items) and a ConfigMap config with `data`.
fn list(items: &str, data: &str) -> String {
    common::config_map_list(items, data)
}

fn run(function: ApplySetters, input: &str) -> (String, Vec<FnResult>, i32) {
    common::run_list(&function, input)
}

/// A result as apply-setters writes one.
fn set(value: &str, path: &str, file: &str) -> FnResult {
    FnResult {
        field: Some(FieldRef { path: path.into(), ..FieldRef::default() }),
        file: Some(FileRef { path: file.into(), index: 0 }),
        ..FnResult::general(format!("set field value to {value}"), Severity::Info)
    }
}

const DEPLOYMENT: &str = r#"- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: shop-web # kpt-set: ${app}-web
    annotations:
      config.kubernetes.io/path: web.yaml
      internal.config.kubernetes.io/path: web.yaml
  spec:
    replicas: 1 # kpt-set: ${replicas}
    # the containers
    template:
      spec:
        containers:
        - name: web
          image: nginx:1.7.1 # kpt-set: ${image}:${tag}
          args: # kpt-set: ${args}
          - --verbose
        tolerations: [a, b] # kpt-set: ${tolerations}
"#;

#[test]
fn sets_scalars_from_patterns_and_lists_from_yaml() {
    let data = "    app: cart\n    replicas: \"4\"\n    image: ubuntu\n    args: '[--quiet, \"--port=80\"]'\n    \
                tolerations: |\n      - x\n      - y\n";
    let (text, results, exit) = run(ApplySetters::default(), &list(DEPLOYMENT, data));
    assert_eq!(exit, 0);
    let expected_items = r#"- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: cart-web # kpt-set: ${app}-web
    annotations:
      config.kubernetes.io/path: web.yaml
      internal.config.kubernetes.io/path: web.yaml
  spec:
    replicas: 4 # kpt-set: ${replicas}
    # the containers
    template:
      spec:
        containers:
        - name: web
          image: ubuntu:1.7.1 # kpt-set: ${image}:${tag}
          args: # kpt-set: ${args}
          - --quiet
          - "--port=80"
        tolerations: # kpt-set: ${tolerations}
        - x
        - y
"#;
    assert_eq!(text, list(expected_items, data));
    assert_eq!(
        results,
        [
            set(r#""cart-web""#, "metadata.name", "web.yaml"),
            set(r#""4""#, "spec.replicas", "web.yaml"),
            // A mapping's list fields come before the fields below them.
            set(r#""- x\n- y\n""#, "spec.template.spec.tolerations", "web.yaml"),
            set(r#""[--quiet, \"--port=80\"]""#, "spec.template.spec.containers[0].args", "web.yaml"),
            set(r#""ubuntu:1.7.1""#, "spec.template.spec.containers[0].image", "web.yaml"),
        ]
    );
}

#[test]
fn empty_values_give_empty_strings_and_empty_flow_lists() {
    let data = "    app: ''\n    args: ~\n    tolerations: \"\"\n    image: ''\n";
    let (text, results, exit) = run(ApplySetters::default(), &list(DEPLOYMENT, data));
    assert_eq!(exit, 0);
    let expected_items = DEPLOYMENT
        .replace("name: shop-web #", "name: -web #")
        .replace("args: # kpt-set: ${args}\n          - --verbose\n", "args: [] # kpt-set: ${args}\n")
        .replace("tolerations: [a, b] #", "tolerations: [] #")
        .replace("image: nginx:1.7.1 #", "image: :1.7.1 #");
    assert_eq!(text, list(&expected_items, data));
    let values: Vec<&str> = results.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(
        values,
        [
            r#"set field value to "-web""#,
            r#"set field value to """#,
            r#"set field value to """#,
            r#"set field value to ":1.7.1""#
        ]
    );

    // An empty result is written `""`; an empty list takes a list value again.
    let item = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm\n  data:\n    \
                owner: team # kpt-set: ${owner}\n  roles: [] # kpt-set: ${roles}\n";
    let data = "    owner: ''\n    roles: '[admin]'\n";
    let (text, _, _) = run(ApplySetters::default(), &list(item, data));
    let expected = item
        .replace("owner: team #", "owner: \"\" #")
        .replace("roles: [] # kpt-set: ${roles}\n", "roles: # kpt-set: ${roles}\n  - admin\n");
    assert_eq!(text, list(&expected, data));
}

#[test]
fn setters_not_given_are_read_from_the_current_value() {
    // Each `${name}` matches greedily from the left, as the catalog's regular expression does:
    // `api.${env}.${domain}` reads `api.dev.example.com` as env `dev.example`, domain `com`.
    let item = "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n  spec:\n    \
                image: registry:5000/team/app:1.2 # kpt-set: ${image}:${tag}\n    \
                host: api.dev.example.com # kpt-set: api.${env}.${domain}\n";
    let data = "    tag: '2.0'\n    env: prod\n";
    let (text, results, exit) = run(ApplySetters::default(), &list(item, data));
    assert_eq!(exit, 0, "{results:?}");
    let expected =
        item.replace("app:1.2 #", "app:2.0 #").replace("host: api.dev.example.com #", "host: api.prod.com #");
    assert_eq!(text, list(&expected, data));
    assert_eq!(results[1], set(r#""api.prod.com""#, "spec.host", ""));
}

#[test]
fn values_keep_the_scalar_style_but_not_its_type() {
    // As kyaml does: the style stays and the tag goes, so a plain field takes whatever type its
    // new text reads as.
    let item = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm\n  data:\n    \
                a: 'one' # kpt-set: ${a}\n    b: two # kpt-set: ${b}\n    c: !!str three # kpt-set: ${c}\n";
    let data = "    a: '1'\n    b: 'true'\n    c: 'x: y'\n";
    let (text, _, exit) = run(ApplySetters::default(), &list(item, data));
    assert_eq!(exit, 0);
    let expected = item
        .replace("a: 'one' #", "a: '1' #")
        .replace("b: two #", "b: true #")
        .replace("c: !!str three #", "c: 'x: y' #");
    assert_eq!(text, list(&expected, data));
}

#[test]
fn fields_naming_no_given_setter_are_left_alone() {
    let item = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm\n  data:\n    \
                a: x # kpt-set: ${a}\n    b: y # kpt-set ${b}\n    c: z # note\n";
    let data = "    b: changed\n    c: changed\n";
    let (text, results, exit) = run(ApplySetters::default(), &list(item, data));
    assert_eq!((exit, text), (0, list(item, data)));
    assert_eq!(results, [FnResult::general("no matches for input setter(s)", Severity::Info)]);

    // v0.1.1 fails on it, and on an empty configuration.
    let (_, results, exit) = run(ApplySetters { strict: true }, &list(item, data));
    assert_eq!(exit, 1);
    assert_eq!(
        results,
        [FnResult::general(
            "failed to apply setters: no matches for the input list of setters",
            Severity::Error
        )]
    );
    let (_, results, exit) = run(ApplySetters { strict: true }, &list(item, "    {}\n"));
    assert_eq!(exit, 1);
    assert_eq!(results[0].message, "failed to apply setters: input setters list cannot be empty");
    let (_, results, exit) = run(ApplySetters::default(), &list(item, "    {}\n"));
    assert_eq!(exit, 0);
    assert_eq!(results[0].message, "no matches for input setter(s)");
}

#[test]
fn what_cannot_be_set_fails_the_run() {
    let cases = [
        (
            "    image: nginx # kpt-set: ${image}:${tag}\n",
            "    image: ubuntu\n",
            "values for setters [${tag}] must be provided",
        ),
        (
            "    image: nginx # kpt-set: ${registry}/${image}:${tag}\n",
            "    image: ubuntu\n",
            "values for setters [${registry} ${tag}] must be provided",
        ),
        (
            "  envs: # kpt-set: ${env}-${region}\n  - a\n",
            "    env: dev\n",
            r#"invalid setter pattern for array node: "${env}-${region}""#,
        ),
        (
            "  envs: # kpt-set: ${env}\n  - a\n",
            "    env: dev\n",
            r#"input to array setter must be an array of values, but found "dev""#,
        ),
    ];
    for (fields, data, reason) in cases {
        let item = format!("- apiVersion: v1\n  kind: Thing\n  metadata:\n    name: t\n  spec:\n{fields}");
        let item = item.replace("  spec:\n  envs", "  envs");
        let (_, results, exit) = run(ApplySetters::default(), &list(&item, data));
        assert_eq!(exit, 1, "{item}");
        assert_eq!(
            results,
            [FnResult::general(format!("failed to apply setters: {reason}"), Severity::Error)],
            "{item}"
        );
    }
}

#[test]
fn every_item_is_walked_and_named_by_its_legacy_path() {
    let items = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    annotations:\n      \
                 config.kubernetes.io/local-config: \"true\"\n      config.kubernetes.io/path: a.yaml\n  data:\n    \
                 x: '1' # kpt-set: ${x}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n    \
                 annotations:\n      internal.config.kubernetes.io/path: b.yaml\n  data:\n    y: '1' # kpt-set: ${x}\n";
    let (_, results, exit) = run(ApplySetters::default(), &list(items, "    x: '2'\n"));
    assert_eq!(exit, 0);
    // The kyaml the catalog builds on reads the legacy key only.
    assert_eq!(results, [set(r#""2""#, "data.x", "a.yaml"), set(r#""2""#, "data.y", "")]);
}

#[test]
fn results_are_written_with_their_field_and_file() {
    let (_, results, _) = run(ApplySetters::default(), &list(DEPLOYMENT, "    replicas: '2'\n"));
    let mut out =
        ResourceList::parse("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n").unwrap();
    porch_functions::result::record(&mut out, &results);
    assert_eq!(
        out.to_text(),
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nresults:\n- message: set field value to \
         \"2\"\n  severity: info\n  field:\n    path: spec.replicas\n  file:\n    path: web.yaml\n"
    );
}

#[test]
fn the_catalog_answers_its_tags() {
    let catalog = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", false);
    for image in [
        "ghcr.io/kptdev/krm-functions-catalog/apply-setters:v0.2.1",
        "gcr.io/kpt-fn/apply-setters:v0.2.0",
        "gcr.io/kpt-fn/apply-setters:v0.2",
        "apply-setters:v0.1.1",
        "gcr.io/kpt-fn/apply-setters:v0.1",
    ] {
        assert!(catalog.find(image).is_some(), "{image}");
    }
    for image in [
        "gcr.io/kpt-fn/apply-setters:v0.1.0",
        "gcr.io/kpt-fn/apply-setters:v0.2.9",
        "gcr.io/kpt-fn/apply-setters",
        "gcr.io/kpt-fn/apply-setters:unstable",
    ] {
        assert!(catalog.find(image).is_none(), "{image}");
    }
    let floating = Catalog::new("", true);
    assert!(floating.find("gcr.io/kpt-fn/apply-setters:latest").is_some());

    // v0.1 is the strict one.
    let item = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm\n";
    let exit = |image: &str| {
        let mut l = ResourceList::parse(&list(item, "    a: b\n")).unwrap();
        catalog.find(image).unwrap().run(&mut l).exit_code
    };
    assert_eq!((exit("gcr.io/kpt-fn/apply-setters:v0.1"), exit("gcr.io/kpt-fn/apply-setters:v0.2")), (1, 0));
}
