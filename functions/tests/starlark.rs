//! starlark, from its documented behaviour: scripts that change, add and remove items, the
//! dialect go-starlark runs with in the catalog, `load()`able modules, configs, errors, limits.

use std::time::Duration;

use porch_functions::catalog::Catalog;
use porch_functions::starlark::{Limits, Starlark, Version};
use porch_functions::{FnResult, Function, Outcome, ResourceList, Severity};

/// Two resources with comments, quoting and kpt's annotations, then the function config.
const ITEMS: &str = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: # kpt-merge: shop/web
    name: web
    namespace: shop
    annotations:
      config.k8s.io/id: "1"
      internal.config.kubernetes.io/path: 'web.yaml'
  spec:
    replicas: 3 # scaled by hand
    template:
      spec:
        containers:
        - name: web
          image: "nginx:1.25"
- apiVersion: v1
  kind: Service
  metadata:
    name: web # the front door
    namespace: shop
    annotations:
      config.k8s.io/id: "2"
  spec:
    ports:
    - port: 80
"#;

/// A StarlarkRun config named `name` running `source`, with `params`.
fn starlark_run(name: &str, source: &str, params: &str) -> String {
    let mut config = format!(
        "functionConfig:\n  apiVersion: fn.kpt.dev/v1alpha1\n  kind: StarlarkRun\n  metadata:\n    name: {name}\n"
    );
    config.push_str(params);
    config.push_str("  source: |\n");
    for line in source.lines() {
        config.push_str(&format!("    {line}\n"));
    }
    config
}

fn run_with(function: &Starlark, config: &str) -> (ResourceList, Outcome) {
    let mut list = ResourceList::parse(&format!("{ITEMS}{config}")).unwrap();
    let outcome = function.run(&mut list);
    (list, outcome)
}

fn run(source: &str) -> (ResourceList, Outcome) {
    run_with(&Starlark::new(Version::V0_5_1), &starlark_run("test-script", source, ""))
}

fn text(list: &ResourceList, i: usize) -> String {
    list.items[i].to_text()
}

fn messages(results: &[FnResult]) -> Vec<(Severity, &str)> {
    results.iter().map(|r| (r.severity, r.message.as_str())).collect()
}

/// The one error a failed run reports.
fn failure(outcome: &Outcome) -> &str {
    assert_eq!(outcome.exit_code, 1, "{outcome:?}");
    let last = outcome.results.last().expect("an error result");
    assert_eq!(last.severity, Severity::Error);
    &last.message
}

#[test]
fn a_label_set_on_every_deployment_changes_only_that() {
    let original = ResourceList::parse(&format!("{ITEMS}{}", starlark_run("x", "pass", ""))).unwrap();
    let (list, outcome) = run(r#"
for r in ctx.resource_list["items"]:
    if r["apiVersion"] == "apps/v1" and r["kind"] == "Deployment":
        r["metadata"].setdefault("labels", {})["tier"] = "frontend"
"#);
    assert_eq!(outcome, Outcome { results: Vec::new(), exit_code: 0 });
    assert_eq!(
        text(&list, 0),
        r#"apiVersion: apps/v1
kind: Deployment
metadata: # kpt-merge: shop/web
  name: web
  namespace: shop
  annotations:
    config.k8s.io/id: "1"
    internal.config.kubernetes.io/path: 'web.yaml'
  labels:
    tier: frontend
spec:
  replicas: 3 # scaled by hand
  template:
    spec:
      containers:
      - name: web
        image: "nginx:1.25"
"#
    );
    assert_eq!(text(&list, 1), text(&original, 1), "the Service is written back byte for byte");
}

#[test]
fn params_of_a_starlark_run_are_read_from_the_function_config() {
    let source = r#"
params = ctx.resource_list["functionConfig"]["params"]
for r in ctx.resource_list["items"]:
    if r["kind"] == "Deployment":
        r["spec"]["replicas"] = params["replicas"]
        r["metadata"]["labels"] = params["labels"]
"#;
    let params = "  params:\n    replicas: 5\n    labels:\n      zone: b\n      app: web\n";
    let (list, outcome) = run_with(&Starlark::new(Version::V0_5_1), &starlark_run("p", source, params));
    assert_eq!(outcome.exit_code, 0, "{outcome:?}");
    let deployment = text(&list, 0);
    assert!(deployment.contains("  replicas: 5 # scaled by hand\n"), "{deployment}");
    assert!(
        deployment.contains(
            "    internal.config.kubernetes.io/path: 'web.yaml'\n  labels:\n    app: web\n    zone: b\nspec:"
        ),
        "a new mapping goes last, its keys in go-yaml's order: {deployment}"
    );
}

#[test]
fn a_config_map_config_holds_the_source_and_string_params() {
    let config = r#"functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: scale
  data:
    replicas: "7"
    source: |
      for r in ctx.resource_list["items"]:
          if r["kind"] == "Deployment":
              r["spec"]["replicas"] = int(ctx.resource_list["functionConfig"]["data"]["replicas"])
"#;
    let (list, outcome) = run_with(&Starlark::new(Version::V0_4), config);
    assert_eq!(outcome.exit_code, 0, "{outcome:?}");
    assert!(text(&list, 0).contains("  replicas: 7 # scaled by hand\n"));
}

#[test]
fn krmfn_matches_by_the_sdk_of_each_version() {
    let source = r#"
load("krmfn.star", "krmfn")
for r in ctx.resource_list["items"]:
    print(krmfn.match_gvk(r, "apps/v1", "Deployment"), krmfn.match_gvk(r, "v1", "Service"),
          krmfn.match_gvk(r, "", "Service"), krmfn.match_name(r, "web"), krmfn.match_namespace(r, "shop"))
"#;
    let config = starlark_run("m", source, "");
    let (_, old) = run_with(&Starlark::new(Version::V0_4), &config);
    assert_eq!(
        messages(&old.results),
        [(Severity::Info, "True False False True True"), (Severity::Info, "False True True True True")]
    );
    let (_, new) = run_with(&Starlark::new(Version::V0_5_1), &config);
    assert_eq!(
        messages(&new.results),
        [(Severity::Info, "False False False True True"), (Severity::Info, "False True False True True")],
        "from v0.5.1 a resource with an API group never matches (group \"\" is compared)"
    );
}

#[test]
fn recursion_sets_and_global_reassignment_run_as_in_the_catalog() {
    let (_, outcome) = run(r#"
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
seen = set(["foo", "bar"])
seen.add("foo")
print(seen)
total = 0
total = fib(10)
print(total)
"#);
    assert_eq!(
        messages(&outcome.results),
        [(Severity::Info, r#"set(["foo", "bar"])"#), (Severity::Info, "55")]
    );
    assert_eq!(outcome.exit_code, 0);
}

#[test]
fn top_level_for_if_and_while_loops_run() {
    let (list, outcome) = run(r#"
count = 0
for r in ctx.resource_list["items"]:
    if r["kind"] == "Service":
        r["spec"]["ports"][0]["port"] = 8080
    count += 1
i = 0
while True:
    i += 1
    if i < 3:
        continue
    break
def countdown(n):
    steps = []
    while n > 0: n -= 1
    return n
print(count, i, countdown(4))
"#);
    assert_eq!(messages(&outcome.results), [(Severity::Info, "2 3 0")]);
    assert!(text(&list, 1).ends_with("  ports:\n  - port: 8080\n"), "{}", text(&list, 1));
}

#[test]
fn fail_stops_the_run_with_its_message() {
    let (list, outcome) = run(r#"
print("checking")
for r in ctx.resource_list["items"]:
    r["metadata"]["namespace"] = "changed"
    if r["kind"] == "Service":
        fail("services are not allowed:", r["metadata"]["name"])
"#);
    assert_eq!(failure(&outcome), "fail: services are not allowed: web");
    assert_eq!(messages(&outcome.results)[0], (Severity::Info, "checking"), "what was printed stays");
    assert!(text(&list, 0).contains("  namespace: shop\n"), "a failed run leaves the items alone");
}

#[test]
fn syntax_and_name_errors_name_the_script_and_the_position() {
    let (_, outcome) = run("x = 1\nif x ==:\n    pass\n");
    let message = failure(&outcome);
    assert!(message.starts_with("test-script:2:"), "{message}");
    let (_, outcome) = run("i = 0\nwhile i < 1:\n    i += 1\nprint(missing)\n");
    assert_eq!(
        failure(&outcome),
        "test-script:4:7: Variable `missing` not found",
        "lines as written, `while` or not"
    );
    // Without a name the catalog's default names the script, with v0.4's misspelling.
    let config =
        "functionConfig:\n  apiVersion: fn.kpt.dev/v1alpha1\n  kind: StarlarkRun\n  source: 'x = ('\n";
    let (_, old) = run_with(&Starlark::new(Version::V0_4), config);
    assert!(failure(&old).starts_with("stalark-function-run:1:"), "{old:?}");
    let (_, new) = run_with(&Starlark::new(Version::V0_5_1), config);
    assert!(failure(&new).starts_with("starlark-function-run:1:"), "{new:?}");
}

#[test]
fn runtime_errors_fail_the_run_with_the_interpreter_message() {
    let (_, outcome) = run("x = {}\nprint(x['missing'])\n");
    assert!(failure(&outcome).contains("missing"), "{outcome:?}");
    let (_, outcome) = run("ctx.resource_list['items'][0]['spec']['seen'] = set([1])\n");
    assert_eq!(
        failure(&outcome),
        "unmarshaling starlark value: unmarshaling starlark value: unmarshaling starlark value: sets aren't yet supported",
        "as the catalog's util.Unmarshal: one prefix per dict around the set"
    );
}

#[test]
fn a_script_adds_an_item_written_with_sorted_keys() {
    let (list, outcome) = run(r#"
ctx.resource_list["items"].append({
    "kind": "PodDisruptionBudget",
    "apiVersion": "policy/v1",
    "metadata": {"name": "web"},
    "spec": {"selector": {"matchLabels": {"app": "web"}}, "minAvailable": 1},
})
"#);
    assert_eq!(outcome.exit_code, 0, "{outcome:?}");
    assert_eq!(list.items.len(), 3);
    assert_eq!(
        text(&list, 2),
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app: web\n"
    );
}

#[test]
fn a_script_removes_items_and_the_rest_keep_their_text() {
    let original = ResourceList::parse(&format!("{ITEMS}{}", starlark_run("x", "pass", ""))).unwrap();
    let (list, outcome) = run(r#"
items = ctx.resource_list["items"]
ctx.resource_list["items"] = [r for r in items if r["kind"] != "Deployment"]
"#);
    assert_eq!(outcome.exit_code, 0, "{outcome:?}");
    assert_eq!(list.items.len(), 1);
    assert_eq!(text(&list, 0), text(&original, 1));
    let (list, _) = run("ctx.resource_list['items'].pop(1)\n");
    assert_eq!(list.items.len(), 1);
    assert_eq!(text(&list, 0), text(&original, 0), "comments, quotes and kpt's annotations stay");
}

#[test]
fn new_keys_go_last_and_comments_on_mapping_keys_stay() {
    let (list, _) = run(r#"
for r in ctx.resource_list["items"]:
    r["metadata"]["namespace"] = "prod"
    r["metadata"]["annotations"]["b.example.com/x"] = "1"
    r["metadata"]["annotations"]["a.example.com/x"] = "2"
"#);
    assert_eq!(
        text(&list, 1),
        r#"apiVersion: v1
kind: Service
metadata:
  name: web # the front door
  namespace: prod
  annotations:
    config.k8s.io/id: "2"
    a.example.com/x: "2"
    b.example.com/x: "1"
spec:
  ports:
  - port: 80
"#
    );
    assert!(
        text(&list, 0)
            .starts_with("apiVersion: apps/v1\nkind: Deployment\nmetadata: # kpt-merge: shop/web\n")
    );
}

#[test]
fn a_copy_of_an_item_is_matched_by_kpts_annotations() {
    let original = ResourceList::parse(&format!("{ITEMS}{}", starlark_run("x", "pass", ""))).unwrap();
    let (list, outcome) = run(r#"
load("encoding/json.star", "json")
copies = [json.decode(json.encode(r)) for r in ctx.resource_list["items"]]
copies[0]["spec"]["replicas"] = 4
ctx.resource_list["items"] = copies
"#);
    assert_eq!(outcome.exit_code, 0, "{outcome:?}");
    assert_eq!(
        text(&list, 0),
        text(&original, 0).replace("replicas: 3 #", "replicas: 4 #"),
        "matched by its id annotation: comments and key order come back"
    );
    assert_eq!(text(&list, 1), text(&original, 1));
}

#[test]
fn function_config_changes_are_not_kept() {
    let (list, outcome) = run("ctx.resource_list['functionConfig']['source'] = 'changed'\n");
    assert_eq!(outcome.exit_code, 0);
    let source = list.function_config.unwrap().get("source").and_then(|s| s.as_str().map(str::to_string));
    assert_eq!(source.as_deref(), Some("ctx.resource_list['functionConfig']['source'] = 'changed'\n"));
}

#[test]
fn modules_json_yaml_re_base64_and_math_load() {
    let (_, outcome) = run(r#"
load("encoding/json.star", "json")
load("encoding/yaml.star", "yaml")
load("re.star", "re")
load("encoding/base64.star", "base64")
load("math.star", "math")
print(json.encode({"b": [1, 2.5, None], "a": True}))
print(json.decode('{"x": [1, "y"]}')["x"][1], json.decode("nope", default = 0))
print(yaml.loads("a: 1\nb: [x, y]\n")["b"])
print(yaml.dumps({"name": "x", "image": "y"}))
print(re.findall("[0-9]+", "a1b22"), re.search("b", "abc"), re.compile("[a-z]+").sub("_", "ab1cd"))
print(base64.encode("hello"), base64.decode("aGVsbG8="), base64.encode("hi", "url_raw"))
print(math.ceil(1.5), math.floor(2.5), math.sqrt(16))
"#);
    assert_eq!(
        messages(&outcome.results),
        [
            (Severity::Info, r#"{"a":true,"b":[1,2.5,null]}"#),
            (Severity::Info, "y 0"),
            (Severity::Info, r#"["x", "y"]"#),
            (Severity::Info, "image: \"y\"\nname: x\n"), // `y` would read back as a YAML 1.1 bool
            (Severity::Info, r#"("1", "22") [1, 2] _1_"#),
            (Severity::Info, "aGVsbG8= hello aGk"),
            (Severity::Info, "2 2 4.0"),
        ]
    );
}

#[test]
fn modules_the_catalog_has_but_a_builtin_does_not_say_so() {
    let (_, outcome) = run("load('http.star', 'http')\n");
    assert!(failure(&outcome).starts_with("cannot load http.star: "), "{outcome:?}");
    let (_, outcome) = run("load('nothing.star', 'thing')\n");
    assert_eq!(failure(&outcome), "load: name thing not found in module nothing.star");
}

#[test]
fn ctx_offers_the_environment_and_an_open_api_dict() {
    let mut function = Starlark::new(Version::V0_5_1);
    function.environment.insert("STAGE".into(), "prod".into());
    let (_, outcome) = run_with(
        &function,
        &starlark_run("env", "print(ctx.environment['STAGE'], type(ctx.open_api))\n", ""),
    );
    assert_eq!(messages(&outcome.results), [(Severity::Info, "prod dict")]);
}

#[test]
fn config_errors_are_the_catalogs() {
    let function = Starlark::new(Version::V0_5_1);
    let (_, outcome) = run_with(&function, "");
    assert_eq!(failure(&outcome), "FunctionConfig is missing. Expect `ConfigMap` or `StarlarkRun`");
    let (_, outcome) = run_with(&function, "functionConfig:\n  apiVersion: apps/v1\n  kind: Deployment\n");
    assert_eq!(
        failure(&outcome),
        "`functionConfig` must be either /v1, Kind=ConfigMap or fn.kpt.dev/v1alpha1, Kind=StarlarkRun, but we got: apps/v1, Kind=Deployment"
    );
    let (_, outcome) =
        run_with(&function, "functionConfig:\n  apiVersion: fn.kpt.dev/v1alpha1\n  kind: StarlarkRun\n");
    assert_eq!(failure(&outcome), "`source` must not be empty");
    let (_, outcome) = run_with(
        &function,
        "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    source: pass\n    replicas: 3\n",
    );
    assert_eq!(
        failure(&outcome),
        "unable to convert object to *v1.ConfigMap with error: json: cannot unmarshal number into Go struct field ConfigMap.data of type string"
    );
    // Another version of the kinds' groups: accepted from v0.5.1 only.
    let config = "functionConfig:\n  apiVersion: fn.kpt.dev/v1beta1\n  kind: StarlarkRun\n  source: pass\n";
    assert_eq!(run_with(&function, config).1.exit_code, 0);
    let (_, old) = run_with(&Starlark::new(Version::V0_4), config);
    assert!(failure(&old).ends_with("but we got: fn.kpt.dev/v1beta1, Kind=StarlarkRun"), "{old:?}");
}

#[test]
fn limits_stop_runaway_scripts() {
    let mut function = Starlark::new(Version::V0_5_1);
    function.limits = Limits { ticks: 10_000, ..Limits::default() };
    let (_, outcome) = run_with(&function, &starlark_run("loop", "while True:\n    pass\n", ""));
    assert_eq!(failure(&outcome), "the script made more than 10000 calls and loop iterations");
    function.limits = Limits { call_depth: 50, ..Limits::default() };
    let (_, outcome) =
        run_with(&function, &starlark_run("deep", "def f(n):\n    return f(n + 1)\nf(0)\n", ""));
    assert_eq!(failure(&outcome), "Starlark call stack overflow: more than 50 nested calls");
    function.limits = Limits { time: Duration::from_millis(50), ..Limits::default() };
    let (_, outcome) =
        run_with(&function, &starlark_run("slow", "for i in range(100000000):\n    pass\n", ""));
    assert_eq!(failure(&outcome), "the script ran longer than 0.05 s");
    let (_, outcome) = run(&format!("x = {}1", "-".repeat(5000)));
    assert_eq!(failure(&outcome), "test-script:1:1003: the script nests more than 1000 levels deep");
    let (_, outcome) =
        run("x = []\nfor i in range(100000):\n    x = [x]\nctx.resource_list['items'].append({'x': x})\n");
    assert!(
        failure(&outcome).contains("nested more than 200 deep"),
        "a value deeper than the catalog writes"
    );
}

#[test]
fn the_catalog_answers_starlark_tags() {
    let catalog = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", false);
    for tag in ["v0.4.3", "v0.4", "v0.5.0", "v0.5", "v0.5.1", "v0.5.2", "v0.5.5"] {
        assert!(catalog.find(&format!("starlark:{tag}")).is_some(), "{tag}");
        assert!(catalog.find(&format!("gcr.io/kpt-fn/starlark:{tag}")).is_some(), "{tag}");
    }
    for tag in ["v0.3.0", "v0.4.2", "v0.6.0", "latest"] {
        assert!(catalog.find(&format!("starlark:{tag}")).is_none(), "{tag}");
    }
    assert!(Catalog::new("ghcr.io/kptdev/krm-functions-catalog", true).find("starlark").is_some());
    // The tag decides the behaviour: v0.4.3 reads only `v1` ConfigMaps.
    let mut list = ResourceList::parse(&format!(
        "{ITEMS}functionConfig:\n  apiVersion: v2\n  kind: ConfigMap\n  data:\n    source: pass\n"
    ))
    .unwrap();
    assert_eq!(catalog.find("starlark:v0.4.3").unwrap().run(&mut list.clone()).exit_code, 1);
    assert_eq!(catalog.find("starlark:v0.5.5").unwrap().run(&mut list).exit_code, 0);
}
