//! Client libraries other than kubectl, against the endpoint of this run (the standalone server,
//! or kube-apiserver in front of an aggregated one with `PORCH_E2E_MODE=aggregated`):
//!
//! - kube-rs: a `kube::runtime::watcher` over PackageRevisions sees the initial list, then every
//!   change made with kubectl, in order;
//! - the official Python client (`kubernetes` on PyPI): lists, then watches from the list's
//!   resourceVersion until a proposal arrives (`e2e/clients/python_watch.py`). It runs the
//!   `python3` named by `PORCH_E2E_PYTHON` (or on `PATH`); where that lacks the `kubernetes`
//!   package the test says SKIPPED.

use std::io::{BufRead, BufReader, Read};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::watcher::{self, Event};
use porch_e2e::git::{file_url, remote_with_packages};
use porch_e2e::{Endpoint, Kubectl, register};
use serde_json::json;

/// Environment variable naming the Python interpreter with the `kubernetes` package.
const PYTHON_ENV: &str = "PORCH_E2E_PYTHON";

fn draft(package: &str) -> String {
    json!({"apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision", "metadata": {"name": "x"},
           "spec": {"repository": "blue", "packageName": package, "workspaceName": "ws",
                    "tasks": [{"type": "init", "init": {"description": "d"}}]}})
    .to_string()
}

fn propose(k: &Kubectl, name: &str) -> Result<String> {
    k.run(&["patch", "packagerevision", name, "--type=merge", "-p", r#"{"spec":{"lifecycle":"Proposed"}}"#])
        .success()
}

/// An endpoint with Repository `blue` (package `app`, revision 1) registered.
fn endpoint() -> Result<(Endpoint, Kubectl)> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let remote = remote_with_packages(ep.scratch(), "blue", &[("app", &[1])])?;
    register(&k, "blue", &file_url(&remote))?;
    Ok((ep, k))
}

#[test]
fn a_kube_rs_watcher_sees_the_list_then_every_change_in_order() -> Result<()> {
    let (ep, k) = endpoint()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let file = kube::config::Kubeconfig::read_from(ep.kubeconfig())?;
        let config =
            kube::Config::from_custom_kubeconfig(file, &kube::config::KubeConfigOptions::default()).await?;
        let client = kube::Client::try_from(config)?;
        let gvk = GroupVersionKind::gvk("porch.kpt.dev", "v1alpha1", "PackageRevision");
        let resource = ApiResource::from_gvk_with_plural(&gvk, "packagerevisions");
        let api: Api<DynamicObject> = Api::namespaced_with(client, ep.namespace(), &resource);
        let mut events = std::pin::pin!(watcher::watcher(api, watcher::Config::default()));

        // The initial list: v1 and main of package `app`.
        let mut listed = Vec::new();
        loop {
            match next(&mut events).await? {
                Event::Init => {}
                Event::InitApply(obj) => listed.push(obj.metadata.name.unwrap_or_default()),
                Event::InitDone => break,
                other => bail!("before the list ended: {other:?}"),
            }
        }
        listed.sort();
        assert_eq!(listed, ["blue.app.main", "blue.app.v1"]);

        // Then each change made with kubectl, as it happens.
        k.with_manifest(&["create", "-f", "-"], &draft("kube-rs")).success()?;
        let name = "blue.kube-rs.ws";
        let created = applied(&mut events).await?;
        assert_eq!((created.0.as_str(), created.1.as_str()), (name, "Draft"));
        propose(&k, name)?;
        let proposed = applied(&mut events).await?;
        assert_eq!((proposed.0.as_str(), proposed.1.as_str()), (name, "Proposed"));
        assert!(proposed.2 > created.2, "resourceVersions grow: {} then {}", created.2, proposed.2);
        k.run(&["delete", "packagerevision", name]).success()?;
        match next(&mut events).await? {
            Event::Delete(obj) => assert_eq!(obj.metadata.name.as_deref(), Some(name)),
            other => bail!("expected the deletion, got {other:?}"),
        }
        Ok(())
    })
}

/// The watcher's next event, within 30 s.
async fn next(
    events: &mut std::pin::Pin<&mut impl futures::Stream<Item = watcher::Result<Event<DynamicObject>>>>,
) -> Result<Event<DynamicObject>> {
    match tokio::time::timeout(Duration::from_secs(30), events.next()).await {
        Ok(Some(event)) => Ok(event?),
        Ok(None) => bail!("the watcher ended"),
        Err(_) => bail!("no event within 30 s"),
    }
}

/// The next `Apply` event: the object's name, lifecycle and resourceVersion.
async fn applied(
    events: &mut std::pin::Pin<&mut impl futures::Stream<Item = watcher::Result<Event<DynamicObject>>>>,
) -> Result<(String, String, u64)> {
    match next(events).await? {
        Event::Apply(obj) => Ok((
            obj.metadata.name.clone().unwrap_or_default(),
            obj.data["spec"]["lifecycle"].as_str().unwrap_or_default().to_string(),
            obj.metadata.resource_version.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0),
        )),
        other => bail!("expected a change, got {other:?}"),
    }
}

#[test]
fn the_python_client_lists_and_watches_package_revisions() -> Result<()> {
    let python = std::env::var(PYTHON_ENV).unwrap_or_else(|_| "python3".into());
    let has_client =
        Command::new(&python).args(["-c", "import kubernetes"]).output().is_ok_and(|o| o.status.success());
    if !has_client {
        eprintln!(
            "SKIPPED: {python} has no `kubernetes` package (pip install kubernetes, or set {PYTHON_ENV})"
        );
        return Ok(());
    }
    let (ep, k) = endpoint()?;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("clients").join("python_watch.py");
    k.with_manifest(&["create", "-f", "-"], &draft("py")).success()?;
    let name = "blue.py.ws";
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(ep.kubeconfig())
        .arg(ep.namespace())
        .arg(name)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("starting the Python client")?;
    // Propose once the script has listed (its first line), so the change comes by its watch.
    let mut reader = BufReader::new(child.stdout.take().context("no stdout")?);
    let mut stdout = String::new();
    reader.read_line(&mut stdout)?;
    propose(&k, name)?;
    reader.read_to_string(&mut stdout)?;
    let out = child.wait_with_output()?;
    assert!(
        out.status.success(),
        "python client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
    assert_eq!(lines[0]["listed"], json!(["blue.app.main", "blue.app.v1", name]), "{stdout}");
    let last = lines.last().context("no output")?;
    assert_eq!(
        (last["type"].as_str(), last["lifecycle"].as_str()),
        (Some("MODIFIED"), Some("Proposed")),
        "{stdout}"
    );
    Ok(())
}
