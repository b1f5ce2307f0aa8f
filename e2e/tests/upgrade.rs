//! The upgrade task through kubectl, as a user of a blueprint walks it: clone v1 of a blueprint
//! into a deployment repository, edit it locally and publish it; the blueprint publishes v2 with
//! changes that overlap the local ones; then upgrade the local revision to v2 with each strategy
//! and check the merged files, the Kptfile's upstream lock and the commit on the draft branch.

use anyhow::{Context, Result};
use porch_e2e::git::{file_url, git, remote_with_packages};
use porch_e2e::{Endpoint, Kubectl, register};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const KPTFILE: &str =
    "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\ninfo:\n  description: app blueprint\n";

fn deployment(image: &str, sidecar: bool) -> String {
    let mut text = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    \
         spec:\n      containers:\n      - name: web\n        image: {image}\n        env:\n        - name: MODE\n          \
         value: blue\n"
    );
    if sidecar {
        text.push_str("      - name: proxy\n        image: proxy:1\n");
    }
    text
}

fn config_map(name: &str, data: &[(&str, &str)]) -> String {
    let mut text = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n");
    for (k, v) in data {
        text.push_str(&format!("  {k}: {v}\n"));
    }
    text
}

/// The blueprint repository: package `app` tagged `app/v1`, then `app/v2` with a new image and
/// a sidecar, `size` changed, `old.yaml` deleted, `new.yaml` added and a new README. Returns
/// the bare repository and the commit of `app/v2`.
fn blueprints(dir: &Path) -> Result<(PathBuf, String)> {
    let remote = remote_with_packages(dir, "blueprints", &[])?;
    let work = dir.join("blueprints-work");
    let pkg = work.join("app");
    std::fs::create_dir_all(&pkg)?;
    let write = |name: &str, text: &str| std::fs::write(pkg.join(name), text);
    write("Kptfile", KPTFILE)?;
    write("deployment.yaml", &deployment("web:1.0", false))?;
    write("config.yaml", &config_map("settings", &[("color", "blue"), ("size", "small")]))?;
    write("old.yaml", &config_map("legacy", &[("x", "\"1\"")]))?;
    write("README.md", "app v1\n")?;
    git(&work, &["add", "-A"])?;
    git(&work, &["commit", "-q", "-m", "app v1"])?;
    git(&work, &["tag", "app/v1"])?;
    write("deployment.yaml", &deployment("web:2.0", true))?;
    write("config.yaml", &config_map("settings", &[("color", "blue"), ("size", "medium")]))?;
    std::fs::remove_file(pkg.join("old.yaml"))?;
    write("new.yaml", &config_map("fresh", &[("y", "\"2\"")]))?;
    write("README.md", "app v2\n")?;
    git(&work, &["add", "-A"])?;
    git(&work, &["commit", "-q", "-m", "app v2"])?;
    git(&work, &["tag", "app/v2"])?;
    git(&work, &["push", "-q", &remote.display().to_string(), "main", "--tags"])?;
    let commit = git(&remote, &["rev-parse", "app/v2^{commit}"])?;
    Ok((remote, commit))
}

fn create(k: &Kubectl, package: &str, workspace: &str, task: Value) -> porch_e2e::Output {
    let pr = json!({"apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision", "metadata": {"name": "x"},
                    "spec": {"repository": "deploy", "packageName": package, "workspaceName": workspace,
                             "tasks": [task]}});
    k.run_with_stdin(&["create", "-f", "-"], &pr.to_string())
}

fn upgrade_task(local: &str, strategy: Option<&str>) -> Value {
    let mut upgrade = json!({"oldUpstreamRef": {"name": "blueprints.app.v1"},
                             "newUpstreamRef": {"name": "blueprints.app.v2"},
                             "localPackageRevisionRef": {"name": local}});
    if let Some(strategy) = strategy {
        upgrade["strategy"] = json!(strategy);
    }
    json!({"type": "upgrade", "upgrade": upgrade})
}

fn resources(k: &Kubectl, name: &str) -> Result<serde_json::Map<String, Value>> {
    let text = k.run(&["get", "packagerevisionresources", name, "-o", "json"]).success()?;
    let prr: Value = serde_json::from_str(&text).context("kubectl printed JSON")?;
    Ok(prr["spec"]["resources"].as_object().cloned().unwrap_or_default())
}

fn file<'a>(files: &'a serde_json::Map<String, Value>, path: &str) -> &'a str {
    files.get(path).and_then(Value::as_str).unwrap_or_else(|| panic!("no {path} in {:?}", files.keys()))
}

/// Proposes and approves `name` (the approval through its subresource, as porchctl does).
fn publish(ep: &Endpoint, k: &Kubectl, name: &str) -> Result<()> {
    k.run(&["patch", "packagerevision", name, "--type=merge", "-p", r#"{"spec":{"lifecycle":"Proposed"}}"#])
        .success()?;
    let text = k.run(&["get", "packagerevision", name, "-o", "json"]).success()?;
    let mut pr: Value = serde_json::from_str(&text)?;
    pr["spec"]["lifecycle"] = json!("Published");
    let path = format!(
        "/apis/porch.kpt.dev/v1alpha1/namespaces/{}/packagerevisions/{name}/approval",
        ep.namespace()
    );
    k.run_with_stdin(&["replace", "--raw", &path, "-f", "-"], &pr.to_string()).success()?;
    Ok(())
}

/// Clones v1 as `package`, applies `edit` to its files, publishes it; returns its name.
fn downstream(
    ep: &Endpoint,
    k: &Kubectl,
    package: &str,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Result<String> {
    let clone =
        json!({"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "blueprints.app.v1"}}}});
    create(k, package, "v1", clone).success()?;
    let name = format!("deploy.{package}.v1");
    let text = k.run(&["get", "packagerevisionresources", &name, "-o", "json"]).success()?;
    let mut prr: Value = serde_json::from_str(&text)?;
    let files = prr["spec"]["resources"].as_object_mut().context("resources")?;
    edit(files);
    k.run_with_stdin(&["replace", "-f", "-"], &prr.to_string()).success()?;
    publish(ep, k, &name)?;
    Ok(name)
}

/// The local edits: 3 replicas, an extra env var, another color, a local-only file.
fn local_edits(files: &mut serde_json::Map<String, Value>) {
    let edit = |files: &mut serde_json::Map<String, Value>, path: &str, from: &str, to: &str| {
        let text = files[path].as_str().unwrap().replace(from, to);
        assert_ne!(text, files[path].as_str().unwrap(), "{path} holds {from:?}");
        files.insert(path.into(), json!(text));
    };
    edit(files, "deployment.yaml", "replicas: 1", "replicas: 3");
    edit(
        files,
        "deployment.yaml",
        "value: blue\n",
        "value: blue\n        - name: LOCAL\n          value: \"yes\"\n",
    );
    edit(files, "config.yaml", "color: blue", "color: red");
    files.insert("local.yaml".into(), json!(config_map("mine", &[("z", "\"3\"")])));
}

/// Runs the README's discovery command (kubectl's list piped through its jq program).
fn discover(k: &Kubectl) -> Result<String> {
    let readme = std::fs::read_to_string(porch_e2e::workspace_root().join("README.md"))?;
    let block = readme.split("<!-- discover-upgrades").nth(1).context("the README's discovery block")?;
    let program =
        block.split("jq -r '").nth(1).and_then(|p| p.split("'\n").next()).context("its jq program")?;
    let list = k.run(&["get", "packagerevisions", "-o", "json"]).success()?;
    let mut jq = std::process::Command::new("jq")
        .args(["-r", program])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("running jq (the README's discovery recipe needs it; .ci/run installs it)")?;
    use std::io::Write as _;
    jq.stdin.take().context("jq's stdin")?.write_all(list.as_bytes())?;
    let out = jq.wait_with_output()?;
    anyhow::ensure!(out.status.success(), "jq failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8(out.stdout)?)
}

/// A server with the blueprint and deploy repositories registered, and `deploy.app.v1`: v1
/// cloned, edited locally ([`local_edits`]) and published.
struct World {
    ep: Endpoint,
    k: Kubectl,
    deploy_remote: PathBuf,
    v2_commit: String,
    edited: String,
}

impl World {
    fn start() -> Result<Self> {
        let ep = Endpoint::start()?;
        let k = ep.kubectl();
        let (blueprint_remote, v2_commit) = blueprints(ep.scratch())?;
        let deploy_remote = remote_with_packages(ep.scratch(), "deploy", &[])?;
        register(&k, "blueprints", &file_url(&blueprint_remote))?;
        register(&k, "deploy", &file_url(&deploy_remote))?;
        let edited = downstream(&ep, &k, "app", local_edits)?;
        Ok(Self { ep, k, deploy_remote, v2_commit, edited })
    }
}

/// What every upgrade leaves, whatever its strategy: the Kptfile's upstream and lock on v2 and
/// its commit (no `updateStrategy`), the PackageRevision's upgrade task and `upstreamLock`, and
/// the draft branch's commit with Porch's message and `kpt:` trailer.
fn check_upgraded(w: &World, package: &str, workspace: &str, local: &str) -> Result<()> {
    let name = format!("deploy.{package}.{workspace}");
    let kptfile =
        resources(&w.k, &name)?.get("Kptfile").and_then(Value::as_str).unwrap_or_default().to_string();
    assert!(kptfile.contains("  ref: app/v2\n"), "{kptfile}");
    assert!(kptfile.contains(&format!("commit: {}", w.v2_commit)), "{kptfile}");
    assert!(!kptfile.contains("updateStrategy"), "{kptfile}");
    let pr: Value =
        serde_json::from_str(&w.k.run(&["get", "packagerevision", &name, "-o", "json"]).success()?)?;
    assert_eq!(pr["spec"]["tasks"][0]["type"], "upgrade");
    assert_eq!(pr["status"]["upstreamLock"]["git"]["ref"], "app/v2");
    assert_eq!(pr["status"]["upstreamLock"]["git"]["commit"], w.v2_commit.as_str());
    let branch = format!("drafts/{package}/{workspace}");
    let message = git(&w.deploy_remote, &["log", "-1", "--format=%B", &branch])?;
    assert!(message.starts_with("Upgrading revision\n\nkpt:"), "{message}");
    for part in [
        format!(r#""package":"{package}""#),
        format!(r#""workspaceName":"{workspace}""#),
        r#""type":"upgrade""#.to_string(),
        format!(r#""localPackageRevisionRef":{{"name":"{local}"}}"#),
    ] {
        assert!(message.contains(&part), "{part} in {message}");
    }
    Ok(())
}

/// Clone's merge keys, then resource-merge (the default) with its Kptfile lock and commit.
#[test]
fn resource_merge_keeps_local_edits_and_takes_upstream_changes() -> Result<()> {
    let w = World::start()?;
    let (k, edited) = (&w.k, &w.edited);
    // Clone adds the merge keys a later upgrade matches resources by.
    let cloned = resources(k, edited)?;
    let deployment = file(&cloned, "deployment.yaml");
    assert!(deployment.contains("metadata: # kpt-merge: /web\n"), "{deployment}");
    assert!(
        deployment.contains("internal.kpt.dev/upstream-identifier: apps|Deployment|default|web"),
        "{deployment}"
    );
    assert!(
        file(&cloned, "Kptfile")
            .contains("internal.kpt.dev/upstream-identifier: kpt.dev|Kptfile|default|app")
    );

    // resource-merge (the default): local edits kept, upstream changes taken, where both changed
    // a field upstream wins; deleted upstream and untouched locally → deleted.
    create(k, "app", "merged", upgrade_task(edited, None)).success()?;
    let merged = resources(k, "deploy.app.merged")?;
    let deployment = file(&merged, "deployment.yaml");
    for line in
        ["replicas: 3", "image: web:2.0", "name: LOCAL", "name: proxy", "image: proxy:1", "# kpt-merge: /web"]
    {
        assert!(deployment.contains(line), "{line:?} in\n{deployment}");
    }
    let config = file(&merged, "config.yaml");
    assert!(config.contains("color: red") && config.contains("size: medium"), "{config}");
    assert!(file(&merged, "new.yaml").contains("name: fresh"));
    assert!(file(&merged, "local.yaml").contains("name: mine"));
    assert_eq!(file(&merged, "README.md"), "app v2\n");
    assert!(!merged.contains_key("old.yaml"), "{:?}", merged.keys());
    check_upgraded(&w, "app", "merged", &w.edited)?;

    Ok(())
}

/// copy-merge: the new upstream's files win; local-only files stay.
#[test]
fn copy_merge_copies_upstream_files_over_local_ones() -> Result<()> {
    let w = World::start()?;
    let (k, edited) = (&w.k, &w.edited);
    // copy-merge: upstream files copied over local ones; local-only files survive.
    create(k, "app", "copied", upgrade_task(edited, Some("copy-merge"))).success()?;
    let copied = resources(k, "deploy.app.copied")?;
    let deployment = file(&copied, "deployment.yaml");
    assert!(deployment.contains("replicas: 1") && !deployment.contains("LOCAL"), "{deployment}");
    assert!(file(&copied, "config.yaml").contains("color: blue"));
    check_upgraded(&w, "app", "copied", edited)?;
    assert!(
        copied.contains_key("local.yaml")
            && copied.contains_key("new.yaml")
            && !copied.contains_key("old.yaml")
    );

    Ok(())
}

/// force-delete-replace: local edits and local-only files dropped.
#[test]
fn force_delete_replace_makes_the_package_the_new_upstream() -> Result<()> {
    let w = World::start()?;
    let (k, edited) = (&w.k, &w.edited);
    // force-delete-replace: the package becomes the new upstream.
    create(k, "app", "replaced", upgrade_task(edited, Some("force-delete-replace"))).success()?;
    let replaced = resources(k, "deploy.app.replaced")?;
    assert!(
        !replaced.contains_key("local.yaml") && !replaced.contains_key("old.yaml"),
        "{:?}",
        replaced.keys()
    );
    assert!(file(&replaced, "deployment.yaml").contains("replicas: 1"));
    check_upgraded(&w, "app", "replaced", edited)?;

    Ok(())
}

/// fast-forward: refused for the edited package, done for an untouched clone; then the
/// README's discovery recipe and Porch's validation of the sources.
#[test]
fn fast_forward_moves_only_untouched_packages() -> Result<()> {
    let w = World::start()?;
    let (ep, k, edited) = (&w.ep, &w.k, &w.edited);
    // fast-forward refuses a locally modified package, naming its files, and creates nothing…
    let err = create(k, "app", "ff", upgrade_task(edited, Some("fast-forward"))).failure()?;
    assert!(err.contains("error updating the package \"app\" to revision \"blueprints.app.v2\""), "{err}");
    assert!(err.contains("local package files have been modified: ["), "{err}");
    assert!(err.contains("config.yaml") && err.contains("local.yaml"), "{err}");
    assert!(!k.run(&["get", "packagerevision", "deploy.app.ff"]).ok());
    // …and moves an untouched clone (the clone's own merge keys are not local changes).
    let untouched = downstream(ep, k, "app2", |_| {})?;
    create(k, "app2", "ff", upgrade_task(&untouched, Some("fast-forward"))).success()?;
    let forwarded = resources(k, "deploy.app2.ff")?;
    assert!(file(&forwarded, "deployment.yaml").contains("image: web:2.0"));
    assert!(file(&forwarded, "Kptfile").contains("name: app2"));
    assert!(!forwarded.contains_key("old.yaml"));
    check_upgraded(&w, "app2", "ff", &untouched)?;

    // The README's one-list answer to "which downstream packages have a newer upstream?".
    let mut outdated: Vec<String> = discover(k)?.lines().map(str::to_string).collect();
    outdated.sort();
    assert_eq!(
        outdated,
        ["deploy.app.v1 v1->v2 blueprints.app.v2", "deploy.app2.v1 v1->v2 blueprints.app.v2"]
    );

    // Porch's validation: sources must be published, and exist.
    let err = create(k, "app", "bad", upgrade_task("deploy.app2.ff", None)).failure()?;
    assert!(
        err.contains(
            "all source PackageRevisions of upgrade task must be published, \"deploy.app2.ff\" is not"
        ),
        "{err}"
    );
    let err = create(k, "app", "bad", upgrade_task("deploy.app.nope", None)).failure()?;
    assert!(err.contains("cannot find package revision \"deploy.app.nope\""), "{err}");
    Ok(())
}
