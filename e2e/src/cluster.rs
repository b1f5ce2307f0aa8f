//! A real Kubernetes control plane (etcd + kube-apiserver, optionally kube-controller-manager) on
//! 127.0.0.1, started with the scripts of `../shared/tools/k8s/` for the tests of aggregated mode.
//!
//! Those scripts are not part of this repository. Where they are absent, [`ControlPlane::start`]
//! and [`ControlPlane::shared`] return `Ok(None)` after printing a `SKIPPED:` line, and the test
//! returns early.

use crate::kubectl::Kubectl;
use anyhow::{Context, Result, anyhow, bail};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use tempfile::TempDir;

/// Environment variable naming the folder of the control-plane tools (the one holding
/// `start-control-plane.sh`), instead of `<workspace>/../shared/tools/k8s`.
pub const K8S_TOOLS_ENV: &str = "PORCH_K8S_TOOLS";

const START_SCRIPT: &str = "start-control-plane.sh";
const STOP_SCRIPT: &str = "stop-control-plane.sh";
const CERT_SCRIPT: &str = "issue-serving-cert.sh";

/// A running etcd + kube-apiserver (+ kube-controller-manager) in a temporary work directory of its
/// own. Dropping it stops the processes and deletes the directory; so does a reaper process if the
/// test process ends without dropping it (a `static`, a kill).
#[derive(Debug)]
pub struct ControlPlane {
    tools: PathBuf,
    workdir: TempDir,
    /// The `KEY=VALUE` lines printed by `start-control-plane.sh`.
    env: BTreeMap<String, String>,
    kubeconfig: PathBuf,
    url: String,
    pki_dir: PathBuf,
    /// The reaper and the write end of its stdin: the reaper stops the control plane when it reads
    /// EOF, which happens when this is dropped or the test process ends, however it ends.
    reaper: Option<(Child, ChildStdin)>,
}

impl ControlPlane {
    /// The folder of the control-plane tools: `$PORCH_K8S_TOOLS`, else
    /// `<workspace root>/../shared/tools/k8s`, if it holds `start-control-plane.sh`.
    pub fn tools_dir() -> Option<PathBuf> {
        candidate_tools_dir().filter(|dir| dir.join(START_SCRIPT).is_file())
    }

    /// Starts etcd + kube-apiserver (and kube-controller-manager when `controller_manager`) in a
    /// fresh temporary work directory and waits until they are ready.
    ///
    /// `Ok(None)` when the tools are absent: then it prints one line to stderr, starting with
    /// `SKIPPED:`, that says which folder is missing and that the aggregated tests need it.
    ///
    /// # Errors
    /// The start script failed (its output is in the error) or printed no usable environment.
    pub fn start(controller_manager: bool) -> Result<Option<ControlPlane>> {
        let Some(tools) = Self::tools_dir() else {
            let wanted =
                candidate_tools_dir().map_or_else(|| "(unknown)".into(), |d| d.display().to_string());
            // Straight to the process's stderr, past libtest's output capture, so that it shows.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: no {START_SCRIPT} in {wanted} (set {K8S_TOOLS_ENV} to the folder of the \
                 control-plane tools); the aggregated-mode tests need a local kube-apiserver from there"
            );
            return Ok(None);
        };
        let workdir = tempfile::Builder::new().prefix("porch-k8s-").tempdir()?;

        // The start script leads a process group of its own; etcd, kube-apiserver and
        // kube-controller-manager stay in it.
        let mut start = Command::new(tools.join(START_SCRIPT));
        start
            .arg(workdir.path())
            .env("K8S_CONTROLLER_MANAGER", if controller_manager { "1" } else { "0" })
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child =
            start.spawn().with_context(|| format!("running {}", tools.join(START_SCRIPT).display()))?;
        let group = child.id();

        // The reaper is started before we wait for the script, so that even a test killed during
        // startup leaves nothing behind.
        let reaper = match spawn_reaper(&tools, workdir.path(), group) {
            Ok(reaper) => reaper,
            Err(e) => {
                let _ = Command::new("kill").arg("-KILL").arg("--").arg(format!("-{group}")).status();
                let _ = child.wait();
                stop(&tools, workdir.path());
                return Err(e);
            }
        };

        let out = child.wait_with_output().context("waiting for start-control-plane.sh")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!(
                "start-control-plane.sh {} failed ({}):\n{}{}",
                workdir.path().display(),
                out.status,
                stdout,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let env = parse_env(&stdout);
        let get = |key: &str| {
            env.get(key)
                .cloned()
                .ok_or_else(|| anyhow!("start-control-plane.sh printed no {key}=…; stdout:\n{stdout}"))
        };
        let kubeconfig = PathBuf::from(get("KUBECONFIG")?);
        let url = get("K8S_APISERVER_URL")?;
        let pki_dir = PathBuf::from(get("K8S_PKI_DIR")?);
        Ok(Some(ControlPlane { tools, workdir, env, kubeconfig, url, pki_dir, reaper: Some(reaper) }))
    }

    /// One control plane (with kube-controller-manager) per test process, started on first use and
    /// stopped by its reaper when the process ends. `Ok(None)` when the tools are absent (the
    /// `SKIPPED:` line is printed once).
    ///
    /// # Errors
    /// The first start failed; every caller gets that error.
    pub fn shared() -> Result<Option<&'static ControlPlane>> {
        static SHARED: OnceLock<Result<Option<ControlPlane>, String>> = OnceLock::new();
        match SHARED.get_or_init(|| Self::start(true).map_err(|e| format!("{e:#}"))) {
            Ok(plane) => Ok(plane.as_ref()),
            Err(e) => Err(anyhow!("the shared control plane did not start: {e}")),
        }
    }

    /// The admin kubeconfig (a client certificate in `system:masters`).
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The URL of kube-apiserver (`K8S_APISERVER_URL`, `https://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The folder of the cluster's keys and certificates (`K8S_PKI_DIR`: `ca.crt`, `ca.key`,
    /// `front-proxy-ca.*`, `front-proxy-client.*`, `admin.*`, `sa.*`).
    pub fn pki_dir(&self) -> &Path {
        &self.pki_dir
    }

    /// The cluster CA certificate (`K8S_CA_CRT`), which signed kube-apiserver's serving certificate
    /// and the admin client certificate.
    pub fn ca_cert(&self) -> PathBuf {
        self.env.get("K8S_CA_CRT").map_or_else(|| self.pki_dir.join("ca.crt"), PathBuf::from)
    }

    /// The work directory (kubeconfig, pki/, logs/, etcd data).
    pub fn workdir(&self) -> &Path {
        self.workdir.path()
    }

    /// The folder of the logs (`etcd.log`, `kube-apiserver.log`, `kube-controller-manager.log`).
    pub fn log_dir(&self) -> PathBuf {
        self.env.get("K8S_LOG_DIR").map_or_else(|| self.workdir().join("logs"), PathBuf::from)
    }

    /// Any other line the start script printed, e.g. `K8S_FRONT_PROXY_CA_CRT` or `K8S_APISERVER_PID`.
    pub fn env(&self, key: &str) -> Option<&str> {
        self.env.get(key).map(String::as_str)
    }

    /// Signs a serving certificate named `name` for `san` (openssl syntax, e.g.
    /// `DNS:api.porch-system.svc,IP:127.0.0.1`) with the cluster CA, using
    /// `issue-serving-cert.sh`; returns the paths of the certificate and of its key.
    ///
    /// # Errors
    /// The script failed or did not print the two paths.
    pub fn issue_serving_cert(&self, name: &str, san: &str) -> Result<(PathBuf, PathBuf)> {
        let out = Command::new(self.tools.join(CERT_SCRIPT))
            .arg(self.workdir())
            .arg(name)
            .arg(san)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", self.tools.join(CERT_SCRIPT).display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!(
                "issue-serving-cert.sh {name} {san} failed ({}):\n{stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut lines = stdout.lines().map(str::trim).filter(|l| !l.is_empty());
        match (lines.next(), lines.next()) {
            (Some(cert), Some(key)) => Ok((PathBuf::from(cert), PathBuf::from(key))),
            _ => bail!("issue-serving-cert.sh printed no certificate and key paths:\n{stdout}"),
        }
    }

    /// An admin kubectl against this control plane, in `namespace` if given.
    pub fn kubectl(&self, namespace: Option<&str>) -> Kubectl {
        Kubectl::new(&self.kubeconfig, namespace)
    }

    /// The last `lines` lines of each log, for a failure message.
    pub fn log_tail(&self, lines: usize) -> String {
        let mut text = String::new();
        for name in ["etcd", "kube-apiserver", "kube-controller-manager"] {
            let path = self.log_dir().join(format!("{name}.log"));
            if let Ok(log) = std::fs::read_to_string(&path) {
                let all: Vec<&str> = log.lines().collect();
                text.push_str(&format!("--- last lines of {}\n", path.display()));
                for line in &all[all.len().saturating_sub(lines)..] {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
        text
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        // Stops the processes and deletes the work directory (the TempDir then finds it gone).
        // The reaper wakes up when its pipe closes right after and finds nothing left to do.
        stop(&self.tools, self.workdir.path());
        if let Some((mut reaper, pipe)) = self.reaper.take() {
            drop(pipe);
            let _ = reaper.wait();
        }
    }
}

/// Runs `stop-control-plane.sh WORKDIR --purge`: stops the processes recorded in WORKDIR and deletes
/// it.
fn stop(tools: &Path, workdir: &Path) {
    let _ = Command::new(tools.join(STOP_SCRIPT))
        .arg(workdir)
        .arg("--purge")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// `$PORCH_K8S_TOOLS`, else `<workspace root>/../shared/tools/k8s`, whether or not it exists.
fn candidate_tools_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(K8S_TOOLS_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    Some(crate::workspace_root().parent()?.join("shared").join("tools").join("k8s"))
}

/// Starts a `bash` that blocks reading its stdin (a pipe whose only write end this process holds,
/// close-on-exec, so no other child inherits it). When that end closes — the [`ControlPlane`] is
/// dropped, or this process exits or is killed — it runs `stop-control-plane.sh WORKDIR` (which
/// stops kube-controller-manager, kube-apiserver and etcd in that order), then sends SIGKILL to
/// whatever is left of the start script's process group `group` (the script itself, if the test
/// ended during startup, and anything it started after the stop), and deletes WORKDIR with
/// `stop-control-plane.sh WORKDIR --purge`. Its stdout and stderr go to /dev/null and it leads its
/// own process group, so that it holds none of cargo's pipes and a Ctrl-C of the tests does not
/// stop it first.
fn spawn_reaper(tools: &Path, workdir: &Path, group: u32) -> Result<(Child, ChildStdin)> {
    let script =
        r#"while read -r _; do :; done; "$2" "$3"; kill -KILL -- "-$1" 2>/dev/null; exec "$2" "$3" --purge"#;
    let mut reaper = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("porch-k8s-reaper")
        .arg(group.to_string())
        .arg(tools.join(STOP_SCRIPT))
        .arg(workdir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("starting the control plane's reaper (bash)")?;
    let pipe = reaper.stdin.take().context("the reaper has no stdin pipe")?;
    Ok((reaper, pipe))
}

/// The `KEY=VALUE` lines of `text` (other lines are ignored).
fn parse_env(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.trim().split_once('=')?;
            let valid = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            valid.then(|| (key.to_string(), value.trim_matches(['"', '\'']).to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_environment_lines_of_the_start_script() {
        let out = "KUBECONFIG=/tmp/w/kubeconfig\nK8S_APISERVER_URL=https://127.0.0.1:41000\n\
                   [k8s] a log line\n\nK8S_PKI_DIR='/tmp/w/pki'\n";
        let env = parse_env(out);
        assert_eq!(env.get("KUBECONFIG").map(String::as_str), Some("/tmp/w/kubeconfig"));
        assert_eq!(env.get("K8S_APISERVER_URL").map(String::as_str), Some("https://127.0.0.1:41000"));
        assert_eq!(env.get("K8S_PKI_DIR").map(String::as_str), Some("/tmp/w/pki"));
        assert_eq!(env.len(), 3);
    }
}
