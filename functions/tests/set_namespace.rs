//! set-namespace, from its documented behaviour: what moves, what does not, and what it reports.

use porch_functions::set_namespace::SetNamespace;
use porch_functions::{FnResult, Function, ResourceList, Severity};

const INPUT: &str = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
- apiVersion: v1
  kind: Service
  metadata:
    name: cart # the cart
    namespace: shop
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: cart
    annotations:
      config.kubernetes.io/depends-on: /namespaces/shop/Service/cart
- apiVersion: apiextensions.k8s.io/v1
  kind: CustomResourceDefinition
  metadata:
    name: carts.shop.example.com
  spec:
    conversion:
      strategy: Webhook
      webhook:
        clientConfig:
          service:
            name: converter
            namespace: shop
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata:
    name: cart-reader
  subjects:
  - kind: ServiceAccount
    name: cart
    namespace: shop
  - kind: User
    name: alice
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
    namespace: shop
    annotations:
      config.kubernetes.io/local-config: "true"
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: fn-config
  data:
    namespace: market
"#;

fn run(input: &str) -> (ResourceList, Vec<FnResult>) {
    let mut list = ResourceList::parse(input).unwrap();
    let outcome = SetNamespace::default().run(&mut list);
    assert_eq!(outcome.exit_code, 0, "set-namespace (v0.4.2 on) exits 0 whatever it reports");
    (list, outcome.results)
}

fn item(list: &ResourceList, i: usize) -> String {
    porch_krm::Stream::new(vec![list.items[i].clone()]).to_text()
}

fn messages(results: &[FnResult]) -> Vec<(Severity, String)> {
    results.iter().map(|r| (r.severity, r.message.clone())).collect()
}

#[test]
fn moves_every_namespace_field_and_depends_on_reference() {
    let (list, results) = run(INPUT);
    assert!(item(&list, 0).contains("  name: market\n"), "{}", item(&list, 0));
    assert!(item(&list, 1).contains("  name: cart # the cart\n  namespace: market\n"), "{}", item(&list, 1));
    let deployment = item(&list, 2);
    assert!(
        deployment.contains("config.kubernetes.io/depends-on: /namespaces/market/Service/cart\n"),
        "{deployment}"
    );
    assert!(
        deployment.ends_with("  namespace: market\n"),
        "a namespaced kind without a namespace gets one: {deployment}"
    );
    assert!(
        item(&list, 3).contains("          name: converter\n          namespace: market\n"),
        "{}",
        item(&list, 3)
    );
    let binding = item(&list, 4);
    assert!(
        binding.contains("  name: cart\n  namespace: market\n- kind: User\n  name: alice\n"),
        "{binding}"
    );
    assert!(item(&list, 5).contains("  namespace: shop\n"), "local config is left alone");

    let warnings = results.iter().filter(|r| r.severity == Severity::Warning).count();
    assert_eq!(warnings, 5, "one per resource without an upstream identity: {results:?}");
    assert_eq!(
        results[0].message,
        "Resource(apiVersion=v1, kind=Namespace, namespace=, name=shop) does not have upstream origin."
    );
    let tail = messages(&results[5..]);
    assert_eq!(
        tail,
        [
            (
                Severity::Info,
                r#"namespace [default shop] updated to "market", 5 value(s) changed"#.to_string()
            ),
            (
                Severity::Info,
                r#"`depends-on` annotation namespace [shop] updated to "market", 1 value(s) changed"#
                    .to_string()
            ),
        ]
    );
}

#[test]
fn a_second_run_changes_nothing() {
    let (once, _) = run(INPUT);
    let (twice, results) = run(&once.to_text());
    assert_eq!(once.items, twice.items);
    let tail = messages(&results[results.len() - 2..]);
    assert_eq!(
        tail,
        [
            (Severity::Info, r#"all matching namespaces are already "market". no value changed"#.to_string()),
            (
                Severity::Info,
                "all `depends-on` annotations are up-to-date. no `namespace` changed".to_string()
            ),
        ]
    );
}

const WITH_ORIGINS: &str = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Service
  metadata:
    name: a
    namespace: team-a
    annotations:
      internal.kpt.dev/upstream-identifier: '|Service|blue|a'
- apiVersion: v1
  kind: Service
  metadata:
    name: b
    namespace: team-b
    annotations:
      internal.kpt.dev/upstream-identifier: '|Service|green|b'
functionConfig:
  apiVersion: fn.kpt.dev/v1alpha1
  kind: SetNamespace
  metadata:
    name: move
  namespace: prod
"#;

#[test]
fn upstream_namespaces_must_agree_without_a_matcher() {
    let (list, results) = run(WITH_ORIGINS);
    assert_eq!(
        messages(&results),
        [(
            Severity::Error,
            "unable to use origin `namespace` to match. expect a single upstream namespace, found [blue green]. please \
             switch to use `namespaceMatcher`to specify the namespace value you want to change"
                .to_string()
        )]
    );
    assert!(item(&list, 0).contains("namespace: team-a"), "nothing changed");
}

#[test]
fn a_matcher_moves_values_equal_to_it_or_from_that_upstream_namespace() {
    let input = WITH_ORIGINS.replace("  namespace: prod\n", "  namespace: prod\n  namespaceMatcher: blue\n");
    let (list, results) = run(&input);
    assert!(item(&list, 0).contains("namespace: prod"), "{}", item(&list, 0));
    assert!(item(&list, 1).contains("namespace: team-b"), "{}", item(&list, 1));
    assert_eq!(
        messages(&results),
        [
            (
                Severity::Info,
                "[Resource(apiVersion=v1, kind=Service, namespace=team-a, name=a)] has matching origin blue"
                    .to_string()
            ),
            (Severity::Info, r#"namespace [team-a] updated to "prod", 1 value(s) changed"#.to_string()),
            (
                Severity::Info,
                "all `depends-on` annotations are up-to-date. no `namespace` changed".to_string()
            ),
        ]
    );
}

#[test]
fn a_bad_configuration_is_an_error_result_about_it() {
    let cases = [
        ("", "FunctionConfig is missing. Expect `ConfigMap.v1` or `SetNamespace.v1alpha1.fn.kpt.dev`"),
        (
            "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n  data:\n    other: x\n",
            "`data.namespace` should not be empty",
        ),
        (
            "functionConfig:\n  apiVersion: fn.kpt.dev/v1alpha1\n  kind: SetNamespace\n  metadata:\n    name: c\n",
            "`namespace` should not be empty",
        ),
        (
            "functionConfig:\n  apiVersion: example.com/v1\n  kind: Other\n  metadata:\n    name: c\n",
            "unknown functionConfig Kind=Other ApiVersion=example.com/v1, expect `ConfigMap.v1` or `SetNamespace.v1alpha1.fn.kpt.dev`",
        ),
    ];
    for (config, message) in cases {
        let input = format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n{config}");
        let (_, results) = run(&input);
        assert_eq!(messages(&results), [(Severity::Error, message.to_string())], "{config}");
        let old = SetNamespace { fails_on_bad_config: true }.run(&mut ResourceList::parse(&input).unwrap());
        assert_eq!(old.exit_code, 1, "v0.4.1 fails on it");
    }
    // The package's own ConfigMap names the namespace in `data.name`.
    let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n    namespace: x\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: kptfile.kpt.dev\n  data:\n    name: pkg\n";
    let (list, _) = run(input);
    assert!(item(&list, 0).contains("namespace: pkg"), "{}", item(&list, 0));
}

#[test]
fn results_are_written_as_kpt_reads_them() {
    let (mut list, results) = run("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n");
    porch_functions::result::record(&mut list, &results);
    let text = list.to_text();
    assert!(
        text.contains("results:\n- message: FunctionConfig is missing. Expect `ConfigMap.v1` or `SetNamespace.v1alpha1.fn.kpt.dev`\n  severity: error\n  resourceRef: {}\n  file:\n    index: -1\n"),
        "{text}"
    );
}

#[test]
fn like_the_catalog_function_it_writes_the_crd_webhook_namespace_even_where_missing() {
    let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: apiextensions.k8s.io/v1\n  \
                 kind: CustomResourceDefinition\n  metadata:\n    name: carts.shop.example.com\n  spec:\n    group: \
                 shop.example.com\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n  data:\n    \
                 namespace: market\n";
    let (list, results) = run(input);
    assert!(
        item(&list, 0).contains(
            "  group: shop.example.com\n  conversion:\n    webhook:\n      clientConfig:\n        service:\n          namespace: market\n"
        ),
        "{}",
        item(&list, 0)
    );
    assert!(
        results.iter().any(|r| r.message == r#"namespace [default] updated to "market", 1 value(s) changed"#)
    );
}
