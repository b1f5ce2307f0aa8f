//! End-to-end harness: the real `kubectl` against a live porch-server.
//!
//! [`Endpoint::start`] gives each test its own endpoint. By default that is the standalone
//! `porch-server` binary of this workspace, started on a free loopback port with a fresh data
//! directory and stopped with SIGTERM when the [`Endpoint`] is dropped. If the environment variable
//! `PORCH_E2E_KUBECONFIG` names a kubeconfig, the tests run against that endpoint instead (for
//! example a cluster serving Porch), each in a namespace of its own.
//!
//! [`Kubectl`] runs the `kubectl` on `PATH` (or `PORCH_E2E_KUBECTL`) with a fresh `HOME` and
//! discovery cache, aimed at the endpoint, and returns what it printed.
//!
//! [`ControlPlane`] is a real etcd + kube-apiserver on 127.0.0.1 (from `../shared/tools/k8s`), for
//! the tests of aggregated mode and of the deployment manifests; they are skipped where the tools
//! are absent.

pub mod aggregated;
pub mod cluster;
pub mod git;
mod http;
mod kubectl;
mod server;

pub use aggregated::{API_SERVICE, Aggregated, MODE_ENV, Restart};
pub use cluster::{ControlPlane, K8S_TOOLS_ENV};
pub use http::{HttpResponse, http_request};
pub use kubectl::{Background, KUBECTL_ENV, Kubectl, Output};
pub use server::{Endpoint, KUBECONFIG_ENV, SERVER_BIN_ENV, server_binary};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A name that no other test of this run (nor, very likely, of an earlier run against the same
/// endpoint) uses: `<prefix>-<pid>-<counter><time>`, a valid DNS label.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() % 100_000);
    format!("{prefix}-{}-{n}{t}", std::process::id())
}

/// Collapses every run of whitespace into one space and trims the ends (for table headers).
pub fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The root of this workspace (the parent of `e2e/`).
pub fn workspace_root() -> PathBuf {
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR"));
    e2e.parent().map_or_else(|| e2e.join(".."), Path::to_path_buf)
}

/// The deployment manifests, `<workspace>/manifests` (the CRDs in `crds/` below it).
pub fn manifests_dir() -> PathBuf {
    workspace_root().join("manifests")
}

/// Polls `check` every 100 ms until it returns `Some` or `timeout` passes.
pub fn wait_until<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Applies git Repository `name` for `url` and waits until it is Ready.
///
/// # Errors
/// kubectl failed, or the Repository was not Ready within 60 s.
pub fn register(k: &Kubectl, name: &str, url: &str) -> anyhow::Result<()> {
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest(name, url, "e2e")).success()?;
    k.run(&["wait", "--for=condition=Ready", &format!("repository/{name}"), "--timeout=60s"]).success()?;
    Ok(())
}

/// A git Repository manifest (YAML) named `name`, for `repo` on branch `main`.
pub fn repository_manifest(name: &str, repo: &str, description: &str) -> String {
    format!(
        "apiVersion: config.porch.kpt.dev/v1alpha1\n\
         kind: Repository\n\
         metadata:\n  name: {name}\n\
         spec:\n  description: {description:?}\n  type: git\n  content: Package\n  \
         git:\n    repo: {repo}\n    branch: main\n"
    )
}
