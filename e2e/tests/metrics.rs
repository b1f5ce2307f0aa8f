//! What `/metrics` and the JSON log show after a package's walk through its lifecycle: engine
//! operations by verb and outcome, git fetches and pushes with their bytes (a remote served by
//! `git daemon`), repository syncs, revisions per repository, Repositories by `Ready`, watch
//! events and the window; and a line logged inside a repository sync carrying its span.
//! Only against a local server (the metrics and the log are read from it directly).

use anyhow::{Context, Result, bail};
use porch_e2e::git::{GitDaemon, file_url, remote_with_packages};
use porch_e2e::{Endpoint, Kubectl, register};
use serde_json::{Value, json};

/// The value of the first series `name{…}` of `text` whose labels include every one of
/// `labels`; `None` when there is none.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        let all = labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
        (metric == name && all).then(|| value.parse().ok()).flatten()
    })
}

fn get_json(k: &Kubectl, resource: &str, name: &str) -> Result<Value> {
    let text = k.run(&["get", resource, name, "-o", "json"]).success()?;
    serde_json::from_str(&text).context("kubectl printed JSON")
}

#[test]
fn a_package_lifecycle_shows_on_metrics_and_in_json_logs() -> Result<()> {
    let ep = Endpoint::start_with_args(&["--log-format", "json"])?;
    let Some(addr) = ep.host_port().filter(|_| ep.is_local()).map(str::to_string) else {
        eprintln!("SKIPPED: /metrics and the log are read from a local server only");
        return Ok(());
    };
    let k = ep.kubectl();
    let ns = ep.namespace().to_string();
    let daemon_root = ep.scratch().join("served");
    std::fs::create_dir_all(&daemon_root)?;
    remote_with_packages(&daemon_root, "catalog", &[("basens", &[1])])?;
    let daemon = GitDaemon::start(&daemon_root)?;
    register(&k, "catalog", &daemon.url("catalog.git"))?;
    // A Repository whose branch is created by the server: a line logged inside its first sync.
    let fresh = remote_with_packages(ep.scratch(), "fresh", &[])?;
    let manifest = json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository", "metadata": {"name": "fresh"},
        "spec": {"type": "git", "content": "Package",
                 "git": {"repo": file_url(&fresh), "branch": "porch", "createBranch": true}},
    });
    k.with_manifest(&["apply", "-f", "-"], &manifest.to_string()).success()?;
    k.run(&["wait", "--for=condition=Ready", "repository/fresh", "--timeout=60s"]).success()?;

    // create, propose, approve: a push each to the git daemon.
    let draft = json!({
        "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision", "metadata": {"name": "x"},
        "spec": {"repository": "catalog", "packageName": "app", "workspaceName": "ws1"},
    });
    k.with_manifest(&["create", "-f", "-"], &draft.to_string()).success()?;
    let name = "catalog.app.ws1";
    k.run(&["patch", "packagerevision", name, "--type=merge", "-p", r#"{"spec":{"lifecycle":"Proposed"}}"#])
        .success()?;
    let mut pr = get_json(&k, "packagerevision", name)?;
    pr["spec"]["lifecycle"] = json!("Published");
    let approval = format!("/apis/porch.kpt.dev/v1alpha1/namespaces/{ns}/packagerevisions/{name}/approval");
    k.run_with_stdin(&["replace", "--raw", &approval, "-f", "-"], &pr.to_string()).success()?;
    // A missing revision: an engine failure with its reason.
    k.run(&["get", "packagerevision", "catalog.nothing.here"]).failure()?;
    // A watch that ends after its initial events.
    let watch =
        format!("/apis/porch.kpt.dev/v1alpha1/namespaces/{ns}/packagerevisions?watch=true&timeoutSeconds=1");
    let watched = porch_e2e::http_request(&addr, "GET", &watch, &[], b"")?;
    assert!(watched.text().contains("\"ADDED\""), "{}", watched.text());
    let listed =
        k.run(&["get", "packagerevisions", "--field-selector", "spec.repository=catalog", "-o", "name"]);
    let revisions = listed.success()?.lines().count();

    let text = porch_e2e::http_request(&addr, "GET", "/metrics", &[], b"")?.text();
    let value = |name: &str, labels: &[(&str, &str)]| sample(&text, name, labels).unwrap_or(0.0);
    let repo = format!("{ns}/catalog");
    let repo = repo.as_str();
    let op = "porch_engine_operation_duration_seconds_count";
    for operation in ["create", "propose", "approve", "get", "watch"] {
        let count = value(op, &[("operation", operation), ("outcome", "success")]);
        assert!(count >= 1.0, "{operation}: {count}\n{text}");
    }
    assert!(value(op, &[("operation", "get"), ("outcome", "NotFound")]) >= 1.0, "{text}");
    assert!(
        sample(
            &text,
            "porch_engine_operation_duration_seconds_bucket",
            &[("operation", "approve"), ("le", "+Inf")]
        )
        .is_some(),
        "a histogram, with buckets: {text}"
    );
    let pushes =
        value("porch_git_push_duration_seconds_count", &[("repository", repo), ("outcome", "success")]);
    assert!(pushes >= 3.0, "create, propose and approve each push: {pushes}\n{text}");
    assert!(value("porch_git_push_bytes_total", &[("repository", repo)]) > 0.0, "{text}");
    let fetches =
        value("porch_git_fetch_duration_seconds_count", &[("repository", repo), ("outcome", "success")]);
    assert!(fetches >= 1.0, "{text}");
    assert!(value("porch_git_fetch_bytes_total", &[("repository", repo)]) > 0.0, "{text}");
    let syncs = value(
        "porch_repository_sync_duration_seconds_count",
        &[("repository", repo), ("outcome", "success")],
    );
    assert!(syncs >= 1.0, "{text}");
    assert_eq!(value("porch_repository_revisions", &[("repository", repo)]), revisions as f64, "{text}");
    assert!(value("porch_repositories", &[("ready", "True")]) >= 2.0, "{text}");
    assert!(value("porch_watch_events_sent_total", &[("resource", "packagerevisions")]) >= 1.0, "{text}");
    assert!(value("porch_watch_window_events", &[("window", "packagerevisions")]) >= 1.0, "{text}");
    assert!(value("porch_watch_window_bytes", &[]) > 0.0, "{text}");

    // The branch was created inside the sync of `fresh`: the JSON line carries its span.
    let logs = ep.server_logs();
    let line = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["fields"]["message"] == "creating the repository branch");
    let Some(line) = line else { bail!("no JSON line about the branch:\n{logs}") };
    let spans = line["spans"].as_array().cloned().unwrap_or_default();
    let sync = json!({"name": "repository_sync", "repository": format!("{ns}/fresh")});
    assert!(spans.contains(&sync), "{line}");
    Ok(())
}
