//! The deployment manifests (`manifests/`) and the local control plane they are checked against.
//!
//! The tests that need a kube-apiserver use [`ControlPlane`] and are skipped, with a `SKIPPED:`
//! line, where `../shared/tools/k8s` is absent.

use porch_e2e::ControlPlane;
use std::time::Duration;

/// A control plane of its own starts, serves kubectl, and leaves nothing behind when dropped.
#[test]
fn a_control_plane_starts_serves_kubectl_and_is_gone_after_drop() -> anyhow::Result<()> {
    let Some(plane) = ControlPlane::start(false)? else {
        return Ok(());
    };
    assert!(plane.url().starts_with("https://127.0.0.1:"), "{}", plane.url());
    assert!(plane.ca_cert().is_file() && plane.kubeconfig().is_file());

    let namespaces = plane.kubectl(None).run(&["get", "namespaces", "-o", "name"]).success()?;
    for ns in ["namespace/default", "namespace/kube-system"] {
        assert!(namespaces.lines().any(|l| l == ns), "no {ns} in:\n{namespaces}");
    }

    let (cert, key) = plane.issue_serving_cert("porch-server", "DNS:api.porch-system.svc,IP:127.0.0.1")?;
    assert!(cert.is_file() && key.is_file() && cert.starts_with(plane.pki_dir()));

    let pid = plane.env("K8S_APISERVER_PID").expect("K8S_APISERVER_PID").to_string();
    let workdir = plane.workdir().to_path_buf();
    drop(plane);
    assert!(!workdir.exists(), "{} still exists", workdir.display());
    let gone = porch_e2e::wait_until(Duration::from_secs(20), || {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie that PID 1 has not reaped yet (it holds no port and no memory).
        let state = state.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
        matches!(state, None | Some(Some('Z' | 'X'))).then_some(())
    });
    assert!(gone.is_some(), "kube-apiserver (pid {pid}) still runs after the drop");
    Ok(())
}

/// The shared control plane (with kube-controller-manager) is started once and answers kubectl.
#[test]
fn the_shared_control_plane_runs_the_controller_manager() -> anyhow::Result<()> {
    let Some(plane) = ControlPlane::shared()? else {
        return Ok(());
    };
    assert!(plane.env("K8S_CONTROLLER_MANAGER_PID").is_some());
    let again = ControlPlane::shared()?.expect("the same control plane");
    assert!(std::ptr::eq(plane, again));
    // The controller manager's serviceaccount controller made default/default.
    plane.kubectl(Some("default")).run(&["get", "serviceaccount", "default"]).success()?;
    Ok(())
}
