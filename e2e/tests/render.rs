//! Render through kubectl, as a user meets it: clone a blueprint whose Kptfile runs catalog
//! functions (set-namespace, apply-replacements, set-labels, starlark), see the rendered package and the
//! Kptfile's render status, edit a resource and see the pipeline run again, see a function that
//! cannot run refuse the edit, and find the render in `/metrics`.

use std::path::Path;

use anyhow::{Context, Result};
use porch_e2e::git::{file_url, git, remote_with_packages};
use porch_e2e::{Endpoint, Kubectl, register};
use serde_json::{Value, json};

const KPTFILE: &str = "\
apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: shop
  annotations:
    config.kubernetes.io/local-config: \"true\"
pipeline:
  mutators:
  - image: set-namespace:v0.4
    configMap:
      namespace: shop-prod
  - image: gcr.io/kpt-fn/apply-replacements:v0.1.5
    configPath: replacements.yaml
  - image: ghcr.io/kptdev/krm-functions-catalog/set-labels:v0.2.1
    configMap:
      app: shop
  - image: gcr.io/kpt-fn/starlark:v0.5.5
    configPath: scale.yaml
";

const STARLARK: &str = "\
apiVersion: fn.kpt.dev/v1alpha1
kind: StarlarkRun
metadata:
  name: scale
  annotations:
    config.kubernetes.io/local-config: \"true\"
params:
  replicas: 3
source: |
  def scale(resources, replicas):
    for r in resources:
      if r[\"kind\"] == \"Deployment\":
        r[\"spec\"][\"replicas\"] = replicas
  scale(ctx.resource_list[\"items\"], ctx.resource_list[\"functionConfig\"][\"params\"][\"replicas\"])
";

const SETTINGS: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings # what the shop talks to
  namespace: shop
data:
  db-host: db.example.com
";

const REPLACEMENTS: &str = "\
apiVersion: fn.kpt.dev/v1alpha1
kind: ApplyReplacements
metadata:
  name: wire-db
  annotations:
    config.kubernetes.io/local-config: \"true\"
replacements:
- source:
    kind: ConfigMap
    name: settings
    fieldPath: data.db-host
  targets:
  - select:
      kind: Deployment
      name: web
    fieldPaths:
    - spec.template.spec.containers.[name=web].env.[name=DB_HOST].value
";

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: web # the storefront
        image: shop/web:1.0
        env:
        - name: DB_HOST
          value: to-be-set
";

/// A remote holding the blueprint `shop`, tagged `shop/v1`.
fn blueprint_remote(dir: &Path) -> Result<std::path::PathBuf> {
    let remote = remote_with_packages(dir, "blueprints", &[])?;
    let work = dir.join("blueprints-work");
    let pkg = work.join("shop");
    std::fs::create_dir_all(&pkg)?;
    for (file, text) in [
        ("Kptfile", KPTFILE),
        ("settings.yaml", SETTINGS),
        ("replacements.yaml", REPLACEMENTS),
        ("deployment.yaml", DEPLOYMENT),
        ("scale.yaml", STARLARK),
    ] {
        std::fs::write(pkg.join(file), text)?;
    }
    git(&work, &["add", "-A"])?;
    git(&work, &["commit", "-q", "-m", "shop v1"])?;
    git(&work, &["tag", "shop/v1"])?;
    git(&work, &["push", "-q", &remote.display().to_string(), "main", "--tags"])?;
    Ok(remote)
}

fn get_json(k: &Kubectl, resource: &str, name: &str) -> Result<Value> {
    let text = k.run(&["get", resource, name, "-o", "json"]).success()?;
    serde_json::from_str(&text).context("kubectl printed JSON")
}

fn resource<'a>(prr: &'a Value, file: &str) -> &'a str {
    prr["spec"]["resources"][file].as_str().unwrap_or_default()
}

#[test]
fn a_cloned_blueprint_renders_its_pipeline_and_renders_again_on_edit() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let blueprints = blueprint_remote(ep.scratch())?;
    let deploy = remote_with_packages(ep.scratch(), "deploy", &[])?;
    register(&k, "blueprints", &file_url(&blueprints))?;
    register(&k, "deploy", &file_url(&deploy))?;

    let clone = json!({
        "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision", "metadata": {"name": "x"},
        "spec": {"repository": "deploy", "packageName": "shop", "workspaceName": "prod",
                 "tasks": [{"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "blueprints.shop.v1"}}}}]},
    });
    k.with_manifest(&["create", "-f", "-"], &clone.to_string()).success()?;
    let name = "deploy.shop.prod";
    let prr = get_json(&k, "packagerevisionresources", name)?;

    let deployment = resource(&prr, "deployment.yaml");
    assert!(deployment.contains("  namespace: shop-prod\n"), "{deployment}");
    assert!(deployment.contains("          value: db.example.com\n"), "{deployment}");
    assert!(deployment.contains("      - name: web # the storefront\n"), "comments stay: {deployment}");
    assert!(deployment.contains("  labels:\n    app: shop\n"), "{deployment}");
    assert!(deployment.contains("  replicas: 3\n"), "{deployment}");
    let kptfile = resource(&prr, "Kptfile");
    assert!(kptfile.contains("reason: RenderSuccess"), "{kptfile}");
    for image in [
        "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4",
        "gcr.io/kpt-fn/apply-replacements:v0.1.5",
        "ghcr.io/kptdev/krm-functions-catalog/set-labels:v0.2.1",
        "gcr.io/kpt-fn/starlark:v0.5.5",
    ] {
        assert!(kptfile.contains(&format!("- image: {image}\n      exitCode: 0\n")), "{image} in {kptfile}");
    }

    // An edit of the draft's resources runs the pipeline again; the response carries the status.
    let mut edited = prr.clone();
    let settings = resource(&prr, "settings.yaml").replace("db.example.com", "db.internal");
    edited["spec"]["resources"]["settings.yaml"] = Value::String(settings);
    let out = k.with_manifest(&["replace", "-f", "-", "-o", "json"], &edited.to_string()).success()?;
    let replied: Value = serde_json::from_str(&out)?;
    let steps = replied["status"]["renderStatus"]["result"]["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(steps.len(), 4, "{out}");
    assert!(steps.iter().all(|s| s["exitCode"].as_i64().unwrap_or(0) == 0), "{out}");
    let after = get_json(&k, "packagerevisionresources", name)?;
    assert!(resource(&after, "deployment.yaml").contains("value: db.internal\n"));

    // A function no runtime serves refuses the edit, with kpt's words, and nothing is stored.
    let mut broken = after.clone();
    broken["spec"]["resources"]["Kptfile"] =
        Value::String(KPTFILE.replace("set-namespace:v0.4", "example.com/fn/no-such-fn:v1"));
    let err = k.with_manifest(&["replace", "-f", "-"], &broken.to_string()).failure()?;
    assert!(err.contains("error rendering package in kpt function pipeline"), "{err}");
    assert!(err.contains("example.com/fn/no-such-fn:v1") && err.contains("not found"), "{err}");
    assert_eq!(get_json(&k, "packagerevisionresources", name)?["spec"], after["spec"]);

    // The render and each function run are timed on /metrics.
    if let Some(addr) = ep.host_port() {
        let m = porch_e2e::http_request(addr, "GET", "/metrics", &[], b"")?;
        let text = m.text();
        assert!(text.lines().any(|l| l.starts_with("porch_render_duration_seconds")), "{text}");
        assert!(
            text.lines().any(|l| l.starts_with("porch_function_duration_seconds")
                && l.contains("function=\"apply-replacements\"")
                && l.contains("runtime=\"builtin\"")),
            "{text}"
        );
    }
    Ok(())
}
