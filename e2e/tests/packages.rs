//! Packages through kubectl, as a user walks them: register repositories (a `file://` remote and
//! one served by `git daemon`), list the discovered revisions, create a draft, edit its
//! resources, propose, approve, copy, approve again, propose the deletion, delete; the errors a
//! user hits on the way; selectors and chunked lists; a hanging remote; concurrent requests.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use porch_e2e::git::{GitDaemon, file_url, git, remote_with_packages, slow_down_pushes};
use porch_e2e::{Endpoint, Kubectl, normalize_ws, register, repository_manifest};
use serde_json::{Value, json};

const HEADER: &str = "NAME PACKAGE WORKSPACENAME REVISION LATEST LIFECYCLE REPOSITORY";

fn pr_manifest(repo: &str, package: &str, workspace: &str, task: Option<Value>) -> String {
    let mut spec = json!({"repository": repo, "packageName": package, "workspaceName": workspace});
    if let Some(task) = task {
        spec["tasks"] = json!([task]);
    }
    json!({"apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision",
           "metadata": {"name": "x"}, "spec": spec})
    .to_string()
}

fn edit_task(source: &str) -> Value {
    json!({"type": "edit", "edit": {"sourceRef": {"name": source}}})
}

fn get_json(k: &Kubectl, resource: &str, name: &str) -> Result<Value> {
    let text = k.run(&["get", resource, name, "-o", "json"]).success()?;
    serde_json::from_str(&text).context("kubectl printed JSON")
}

/// The rows of `kubectl get packagerevisions ARGS` as whitespace-normalized lines, header checked.
fn rows(k: &Kubectl, args: &[&str]) -> Result<Vec<String>> {
    let mut all = vec!["get", "packagerevisions"];
    all.extend_from_slice(args);
    let table = k.run(&all).success()?;
    let mut lines = table.lines().map(normalize_ws);
    match lines.next() {
        Some(h) if h == HEADER => Ok(lines.collect()),
        _ => bail!("unexpected table:\n{table}"),
    }
}

/// The API path of PackageRevision `name`'s `approval` subresource.
fn approval_path(ep: &Endpoint, name: &str) -> String {
    format!("/apis/porch.kpt.dev/v1alpha1/namespaces/{}/packagerevisions/{name}/approval", ep.namespace())
}

fn approve(ep: &Endpoint, k: &Kubectl, name: &str) -> Result<String> {
    let mut pr = get_json(k, "packagerevision", name)?;
    pr["spec"]["lifecycle"] = json!("Published");
    k.run_with_stdin(&["replace", "--raw", &approval_path(ep, name), "-f", "-"], &pr.to_string()).success()
}

fn propose(k: &Kubectl, name: &str) -> Result<String> {
    k.run(&["patch", "packagerevision", name, "--type=merge", "-p", r#"{"spec":{"lifecycle":"Proposed"}}"#])
        .success()
}

#[test]
fn package_lifecycle_through_kubectl() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let file_remote = remote_with_packages(ep.scratch(), "blueprints", &[("basens", &[1, 2])])?;
    let daemon_root = ep.scratch().join("served");
    std::fs::create_dir_all(&daemon_root)?;
    remote_with_packages(&daemon_root, "catalog", &[("infra/net", &[1])])?;
    let daemon = GitDaemon::start(&daemon_root)?;
    register(&k, "blueprints", &file_url(&file_remote))?;
    register(&k, "catalog", &daemon.url("catalog.git"))?;

    // The discovered revisions: placeholders at -1, tags at N, the latest marked.
    let listed = rows(&k, &[])?;
    assert_eq!(
        listed,
        [
            "blueprints.basens.main basens main -1 false Published blueprints",
            "blueprints.basens.v1 basens v1 1 false Published blueprints",
            "blueprints.basens.v2 basens v2 2 true Published blueprints",
            "catalog.infra.net.main infra/net main -1 false Published catalog",
            "catalog.infra.net.v1 infra/net v1 1 true Published catalog",
        ]
    );

    // Create a draft; read and replace its resources.
    let out =
        k.with_manifest(&["create", "-f", "-"], &pr_manifest("blueprints", "app", "ws1", None)).success()?;
    assert_eq!(out.trim(), "packagerevision.porch.kpt.dev/blueprints.app.ws1 created");
    let yaml = k.run(&["get", "packagerevisionresources", "blueprints.app.ws1", "-o", "yaml"]).success()?;
    for needle in ["kind: PackageRevisionResources", "Kptfile: |", "README.md:", "package-context.yaml:"] {
        assert!(yaml.contains(needle), "{needle:?} missing from:\n{yaml}");
    }
    let mut prr = get_json(&k, "packagerevisionresources", "blueprints.app.ws1")?;
    prr["spec"]["resources"]["README.md"] = json!("# app\n\nEdited with kubectl.\n");
    prr["spec"]["resources"]["cm.yaml"] =
        json!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n");
    let out = k.run_with_stdin(&["replace", "-f", "-"], &prr.to_string()).success()?;
    assert_eq!(out.trim(), "packagerevisionresources.porch.kpt.dev/blueprints.app.ws1 replaced");
    let files = k.run(&["get", "packagerevisionresources", "blueprints.app.ws1"]).success()?;
    assert!(normalize_ws(&files).contains("blueprints.app.ws1 app ws1 0 blueprints 4"), "{files}");

    // Propose, approve: revision 1, latest, and the tag in git.
    assert_eq!(
        propose(&k, "blueprints.app.ws1")?.trim(),
        "packagerevision.porch.kpt.dev/blueprints.app.ws1 patched"
    );
    let approved: Value = serde_json::from_str(&approve(&ep, &k, "blueprints.app.ws1")?)?;
    assert_eq!(approved["spec"]["revision"], 1);
    assert_eq!(
        rows(&k, &["blueprints.app.ws1"])?,
        ["blueprints.app.ws1 app ws1 1 true Published blueprints"]
    );
    assert!(git(&file_remote, &["tag"])?.lines().any(|t| t == "app/v1"));
    assert!(git(&file_remote, &["show", "main:app/cm.yaml"])?.contains("settings"));

    // Copy, approve: revision 2, and the latest label moves.
    let copy = pr_manifest("blueprints", "app", "ws2", Some(edit_task("blueprints.app.ws1")));
    k.with_manifest(&["create", "-f", "-"], &copy).success()?;
    propose(&k, "blueprints.app.ws2")?;
    approve(&ep, &k, "blueprints.app.ws2")?;
    let latest =
        rows(&k, &["-l", "kpt.dev/latest-revision=true", "--field-selector", "spec.packageName=app"])?;
    assert_eq!(latest, ["blueprints.app.ws2 app ws2 2 true Published blueprints"]);
    assert_eq!(
        rows(&k, &["blueprints.app.ws1"])?,
        ["blueprints.app.ws1 app ws1 1 false Published blueprints"]
    );

    // Propose the deletion of revision 1, delete it: 404 afterwards, the tag gone.
    let out = k
        .run(&[
            "patch",
            "packagerevision",
            "blueprints.app.ws1",
            "--type=merge",
            "-p",
            r#"{"spec":{"lifecycle":"DeletionProposed"}}"#,
        ])
        .success()?;
    assert!(out.contains("patched"), "{out}");
    let out = k.run(&["delete", "packagerevision", "blueprints.app.ws1"]).success()?;
    assert_eq!(out.trim(), "packagerevision.porch.kpt.dev \"blueprints.app.ws1\" deleted");
    let err = k.run(&["get", "packagerevision", "blueprints.app.ws1"]).failure()?;
    assert!(err.contains("packagerevisions.porch.kpt.dev \"blueprints.app.ws1\" not found"), "{err}");
    assert!(!git(&file_remote, &["tag"])?.lines().any(|t| t == "app/v1"));

    // Packages list with their latest revision.
    let packages = k.run(&["get", "packages"]).success()?;
    assert!(normalize_ws(&packages).contains("blueprints.app app blueprints 2"), "{packages}");

    // The daemon-served repository takes writes too.
    k.with_manifest(&["create", "-f", "-"], &pr_manifest("catalog", "infra/dns", "ws", None)).success()?;
    propose(&k, "catalog.infra.dns.ws")?;
    approve(&ep, &k, "catalog.infra.dns.ws")?;
    let served = git(&daemon_root.join("catalog.git"), &["tag"])?;
    assert!(served.lines().any(|t| t == "infra/dns/v1"), "{served}");
    Ok(())
}

#[test]
fn errors_print_porchs_messages_through_kubectl() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let remote = remote_with_packages(ep.scratch(), "blueprints", &[("basens", &[1])])?;
    register(&k, "blueprints", &file_url(&remote))?;
    let create = |manifest: &str| k.with_manifest(&["create", "-f", "-"], manifest).failure();

    let mut published: Value = serde_json::from_str(&pr_manifest("blueprints", "p", "w", None))?;
    published["spec"]["lifecycle"] = json!("Published");
    assert!(create(&published.to_string())?.contains("value can be only created as Draft"));
    let mut two: Value = serde_json::from_str(&pr_manifest("blueprints", "p", "w", None))?;
    two["spec"]["tasks"] = json!([{"type": "init", "init": {}}, {"type": "init", "init": {}}]);
    assert!(create(&two.to_string())?.contains("task list must not contain more than one task"));
    let err = create(&pr_manifest("blueprints", "basens", "v1", None))?;
    assert!(err.contains("package revision workspaceNames must be unique"), "{err}");
    let clone = json!({"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "blueprints.basens.main"}}}});
    let err = create(&pr_manifest("blueprints", "c", "w", Some(clone)))?;
    assert!(err.contains("placeholder package revision"), "{err}");

    // Resources of a Proposed revision; a stale resourceVersion.
    k.with_manifest(&["create", "-f", "-"], &pr_manifest("blueprints", "p", "w", None)).success()?;
    let stale = get_json(&k, "packagerevision", "blueprints.p.w")?;
    propose(&k, "blueprints.p.w")?;
    let prr = get_json(&k, "packagerevisionresources", "blueprints.p.w")?;
    let err = k.run_with_stdin(&["replace", "-f", "-"], &prr.to_string()).failure()?;
    assert!(
        err.contains(
            "cannot update a package revision with lifecycle value \"Proposed\"; package must be Draft"
        ),
        "{err}"
    );
    let err = k.run_with_stdin(&["replace", "-f", "-"], &stale.to_string()).failure()?;
    assert!(
        err.contains(
            "the object has been modified; please apply your changes to the latest version and try again"
        ),
        "{err}"
    );

    // Deleting a Published revision; a bad field selector.
    let err = k.run(&["delete", "packagerevision", "blueprints.basens.v1"]).failure()?;
    assert!(err.contains("published PackageRevisions must be proposed for deletion by setting spec.lifecycle to 'DeletionProposed' prior to deletion"), "{err}");
    let err = k.run(&["get", "packagerevisions", "--field-selector", "spec.colour=red"]).failure()?;
    assert!(err.contains("unknown fieldSelector field \"spec.colour\""), "{err}");
    let err = k.run(&["get", "packagerevisions", "--field-selector", "spec.lifecycle=Done"]).failure()?;
    assert!(err.contains("unsupported fieldSelector value \"Done\" for field \"spec.lifecycle\""), "{err}");
    Ok(())
}

#[test]
fn selectors_and_chunked_lists_through_kubectl() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let packages: Vec<String> = (0..20).map(|i| format!("pkg-{i:02}")).collect();
    let spec: Vec<(&str, &[u32])> = packages.iter().map(|p| (p.as_str(), &[1u32, 2][..])).collect();
    let remote = remote_with_packages(ep.scratch(), "many", &spec)?;
    register(&k, "many", &file_url(&remote))?;

    let names = k.run(&["get", "packagerevisions", "--chunk-size=7", "-o", "name"]).success()?;
    assert_eq!(names.lines().count(), 60, "{names}");
    let unchunked = k.run(&["get", "packagerevisions", "--chunk-size=0", "-o", "name"]).success()?;
    assert_eq!(names, unchunked);
    assert_eq!(rows(&k, &["--field-selector", "spec.packageName=pkg-03"])?.len(), 3);
    assert_eq!(rows(&k, &["--field-selector", "spec.revision=2"])?.len(), 20);
    assert_eq!(rows(&k, &["-l", "kpt.dev/latest-revision=true", "--chunk-size=3"])?.len(), 20);
    assert_eq!(rows(&k, &["--field-selector", "spec.workspaceName=main,spec.repository=many"])?.len(), 20);
    Ok(())
}

#[test]
fn a_hanging_remote_delays_only_lists_that_include_it() -> Result<()> {
    let ep = Endpoint::start_with_args(&["--list-timeout-per-repository", "3s"])?;
    if !ep.is_local() {
        eprintln!("skipped: needs a local server started with --list-timeout-per-repository 3s");
        return Ok(());
    }
    let k = ep.kubectl();
    let remote = remote_with_packages(ep.scratch(), "good", &[("app", &[1])])?;
    register(&k, "good", &file_url(&remote))?;
    // Accepts connections (the kernel does) and never answers.
    let hang = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("git://127.0.0.1:{}/hang.git", hang.local_addr()?.port());
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest("hang", &url, "never answers")).success()?;

    let started = Instant::now();
    let good = rows(&k, &["--field-selector", "spec.repository=good"])?;
    assert_eq!(good.len(), 2);
    assert!(started.elapsed() < Duration::from_secs(2), "filtered list took {:?}", started.elapsed());

    let started = Instant::now();
    let out = k.run(&["get", "packagerevisions"]);
    let took = started.elapsed();
    assert!(out.ok(), "{out:?}");
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    assert!(
        out.stderr.contains("Warning: repository") && out.stderr.contains("/hang was skipped"),
        "{}",
        out.stderr
    );
    assert!(took >= Duration::from_secs(3) && took < Duration::from_secs(6), "unfiltered list took {took:?}");
    drop(hang);
    Ok(())
}

#[test]
fn identical_concurrent_requests_get_one_success_and_one_conflict() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let root = ep.scratch().join("served");
    std::fs::create_dir_all(&root)?;
    let remote = remote_with_packages(&root, "slow", &[("base", &[1])])?;
    slow_down_pushes(&remote, 2)?;
    let daemon = GitDaemon::start(&root)?;
    register(&k, "slow", &daemon.url("slow.git"))?;

    let manifest = ep.scratch().join("pr.json");
    std::fs::write(&manifest, pr_manifest("slow", "app", "w", None))?;
    let file = manifest.display().to_string();
    let (a, b) = (ep.kubectl(), ep.kubectl());
    let first = a.spawn(&["create", "-f", &file])?;
    let second = b.spawn(&["create", "-f", &file])?;
    let outcomes = [wait(first)?, wait(second)?];
    assert_one_succeeded(&outcomes, "another request is already in progress to create package revision")?;

    propose(&k, "slow.app.w")?;
    let mut pr = get_json(&k, "packagerevision", "slow.app.w")?;
    pr["spec"]["lifecycle"] = json!("Published");
    std::fs::write(&manifest, pr.to_string())?;
    let path = approval_path(&ep, "slow.app.w");
    let first = a.spawn(&["replace", "--raw", &path, "-f", &file])?;
    let second = b.spawn(&["replace", "--raw", &path, "-f", &file])?;
    let outcomes = [wait(first)?, wait(second)?];
    assert_one_succeeded(&outcomes, "another request is already in progress on package revision")?;
    Ok(())
}

fn wait(mut bg: porch_e2e::Background) -> Result<porch_e2e::Output> {
    bg.wait_exit(Duration::from_secs(60)).context("kubectl did not finish")?;
    Ok(bg.stop())
}

fn assert_one_succeeded(outcomes: &[porch_e2e::Output; 2], busy: &str) -> Result<()> {
    let ok = outcomes.iter().filter(|o| o.ok()).count();
    if ok != 1 {
        bail!("want exactly one success: {outcomes:?}");
    }
    let loser = outcomes.iter().find(|o| !o.ok()).expect("one failed");
    if !loser.stderr.contains(busy) {
        bail!("the failure lacks {busy:?}: {loser:?}");
    }
    Ok(())
}

#[test]
fn get_w_prints_a_row_for_each_change_of_package_revisions_and_their_resources() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let remote = remote_with_packages(ep.scratch(), "blueprints", &[("basens", &[1])])?;
    register(&k, "blueprints", &file_url(&remote))?;
    let prs = ep.kubectl().spawn(&["get", "packagerevisions", "-w"])?;
    let prrs = ep.kubectl().spawn(&["get", "packagerevisionresources", "-w", "--output-watch-events"])?;
    let wait = Duration::from_secs(30);
    prs.wait_for_stdout(wait, "the listed revisions", |out| out.contains("blueprints.basens.v1"))?;
    prrs.wait_for_stdout(wait, "the listed resources", |out| out.contains("blueprints.basens.v1"))?;

    k.with_manifest(&["create", "-f", "-"], &pr_manifest("blueprints", "app", "ws", None)).success()?;
    prs.wait_for_stdout(wait, "the new draft", |out| {
        out.lines().any(|l| normalize_ws(l) == "blueprints.app.ws app ws 0 false Draft blueprints")
    })?;
    propose(&k, "blueprints.app.ws")?;
    approve(&ep, &k, "blueprints.app.ws")?;
    prs.wait_for_stdout(wait, "the approval", |out| {
        out.lines().any(|l| normalize_ws(l) == "blueprints.app.ws app ws 1 true Published blueprints")
    })?;
    prrs.wait_for_stdout(wait, "ADDED and MODIFIED resources", |out| {
        let rows: Vec<String> = out.lines().map(normalize_ws).collect();
        rows.iter().any(|l| l.starts_with("ADDED blueprints.app.ws app ws 0 blueprints"))
            && rows.iter().any(|l| l.starts_with("MODIFIED blueprints.app.ws app ws 1 blueprints"))
    })?;
    let out = prs.stop();
    let rows: Vec<String> = out.stdout.lines().map(normalize_ws).collect();
    assert_eq!(rows.iter().filter(|l| l.starts_with("NAME ")).count(), 1, "one header:\n{}", out.stdout);
    for want in [
        "blueprints.app.ws app ws 0 false Draft blueprints",
        "blueprints.app.ws app ws 0 false Proposed blueprints",
        "blueprints.app.main app main -1 false Published blueprints",
        "blueprints.app.ws app ws 1 true Published blueprints",
    ] {
        assert_eq!(rows.iter().filter(|l| **l == want).count(), 1, "{want:?} once in:\n{}", out.stdout);
    }
    drop(prrs);
    Ok(())
}
