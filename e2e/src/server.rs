//! The endpoint under test: a `porch-server` child process of our own, the one named by
//! `PORCH_E2E_KUBECONFIG`, or (`PORCH_E2E_MODE=aggregated`) a namespace of the local
//! kube-apiserver that serves porch.kpt.dev from an aggregated porch-server of ours.

use crate::aggregated::{Aggregated, MODE_ENV, aggregated_requested};
use crate::http::http_request;
use crate::kubectl::Kubectl;
use crate::{unique_name, wait_until};
use anyhow::{Context, Result, anyhow, bail};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tempfile::TempDir;

/// Environment variable naming the kubeconfig of an endpoint to test instead of a local server.
pub const KUBECONFIG_ENV: &str = "PORCH_E2E_KUBECONFIG";
/// Environment variable naming a `porch-server` binary to run instead of building this workspace's.
pub const SERVER_BIN_ENV: &str = "PORCH_SERVER_BIN";

/// How long a started server may take to log its address and answer `/readyz`.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The endpoint one test talks to.
#[derive(Debug)]
pub struct Endpoint {
    kubeconfig: PathBuf,
    host_port: Option<String>,
    namespace: String,
    server: Option<LocalServer>,
    /// The extra flags a local server was started with (for a restart).
    args: Vec<String>,
    /// Holds the data directory of a local server and the scratch space of the test.
    dir: TempDir,
}

#[derive(Debug)]
pub(crate) struct LocalServer {
    child: Child,
    logs: Arc<Mutex<String>>,
    /// Stops the server if this process ends without stopping it.
    _reaper: Option<Reaper>,
}

impl Endpoint {
    /// Starts a fresh local `porch-server` (or connects to `PORCH_E2E_KUBECONFIG`) and waits until it
    /// is ready.
    pub fn start() -> Result<Self> {
        Self::start_with_args(&[])
    }

    /// Like [`Endpoint::start`], passing extra flags to a local server (ignored for an external
    /// endpoint).
    pub fn start_with_args(args: &[&str]) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("porch-e2e-").tempdir()?;
        match std::env::var_os(KUBECONFIG_ENV).filter(|v| !v.is_empty()) {
            Some(kubeconfig) => Self::external(PathBuf::from(kubeconfig), dir),
            None if aggregated_requested() => {
                let setup = Aggregated::shared()?.with_context(|| {
                    format!(
                        "{MODE_ENV}=aggregated needs the control-plane tools (see the SKIPPED line above)"
                    )
                })?;
                Self::external(setup.plane().kubeconfig().to_path_buf(), dir)
            }
            None => Self::local(args, dir),
        }
    }

    fn external(kubeconfig: PathBuf, dir: TempDir) -> Result<Self> {
        let text = std::fs::read_to_string(&kubeconfig)
            .with_context(|| format!("reading {KUBECONFIG_ENV}={}", kubeconfig.display()))?;
        let host_port = plain_http_server(&text);
        let namespace = unique_name("e2e");
        let endpoint =
            Self { kubeconfig, host_port, namespace: namespace.clone(), server: None, args: Vec::new(), dir };
        endpoint.kubectl_in(None).run(&["create", "namespace", &namespace]).success()?;
        Ok(endpoint)
    }

    fn local(args: &[&str], dir: TempDir) -> Result<Self> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let logs = Arc::new(Mutex::new(String::new()));
        let (server, addr) = spawn_local(&dir.path().join("data"), &args, logs)?;
        let kubeconfig = dir.path().join("data").join("kubeconfig");
        Ok(Self {
            kubeconfig,
            host_port: Some(addr),
            namespace: "default".into(),
            server: Some(server),
            args,
            dir,
        })
    }

    /// The kubeconfig that reaches the endpoint.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// `host:port` of the endpoint if it serves plain HTTP (always so for a local server).
    pub fn host_port(&self) -> Option<&str> {
        self.host_port.as_deref()
    }

    /// The namespace this test works in.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Whether the endpoint is a local server started by this harness.
    pub fn is_local(&self) -> bool {
        self.server.is_some()
    }

    /// The data directory of a local server (`None` for an external endpoint).
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.server.as_ref().map(|_| self.dir.path().join("data"))
    }

    /// A scratch directory that lives as long as the endpoint.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// A fresh kubectl (own HOME and discovery cache) working in [`Endpoint::namespace`].
    pub fn kubectl(&self) -> Kubectl {
        self.kubectl_in(Some(&self.namespace))
    }

    fn kubectl_in(&self, namespace: Option<&str>) -> Kubectl {
        Kubectl::new(&self.kubeconfig, namespace)
    }

    /// The process id of the local server (`None` for an external endpoint), e.g. to read its
    /// memory from `/proc/<pid>/status` or to lower its limits with `prlimit`.
    pub fn server_pid(&self) -> Option<u32> {
        self.server.as_ref().map(|s| s.child.id())
    }

    /// What the local server has logged so far (empty for an external endpoint).
    pub fn server_logs(&self) -> String {
        self.server.as_ref().map(LocalServer::logs).unwrap_or_default()
    }

    /// Kills a local server with SIGKILL — no shutdown of any kind, as a crash or an OOM kill —
    /// and waits until it is gone. [`Endpoint::restart`] starts it again.
    ///
    /// # Errors
    /// The endpoint is not a local server, or it could not be killed.
    pub fn kill(&mut self) -> Result<()> {
        let server = self.server.as_mut().context("only a local server can be killed")?;
        server.child.kill()?;
        server.child.wait()?;
        Ok(())
    }

    /// Starts the local server again on the same data directory (after [`Endpoint::kill`]), with
    /// the same flags, on a new port, and waits until it is ready; the kubeconfig is rewritten.
    /// Its log continues [`Endpoint::server_logs`].
    ///
    /// # Errors
    /// The endpoint is not a local server, the old one still runs, or the new one did not start.
    pub fn restart(&mut self) -> Result<()> {
        let old = self.server.as_mut().context("only a local server can be restarted")?;
        if old.child.try_wait()?.is_none() {
            bail!("the server still runs; kill it first");
        }
        let logs = old.logs.clone();
        logs.lock().unwrap_or_else(|e| e.into_inner()).push_str("---- restart ----\n");
        let (server, addr) = spawn_local(&self.dir.path().join("data"), &self.args, logs)?;
        self.server = Some(server);
        self.host_port = Some(addr);
        Ok(())
    }

    /// Stops a local server with SIGTERM and returns how it exited (`None` for an external
    /// endpoint). Its log stays readable with [`Endpoint::server_logs`].
    pub fn stop(&mut self) -> Result<Option<ExitStatus>> {
        match self.server.as_mut() {
            Some(s) => s.terminate().map(Some),
            None => Ok(None),
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.terminate();
        } else {
            let _ = self.kubectl_in(None).run(&["delete", "namespace", &self.namespace, "--wait=false"]);
        }
    }
}

impl LocalServer {
    pub(crate) fn logs(&self) -> String {
        self.logs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// SIGTERM, then SIGKILL if it has not exited within 15 s.
    pub(crate) fn terminate(&mut self) -> Result<ExitStatus> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        if let Some(status) = wait_until(Duration::from_secs(15), || self.child.try_wait().ok().flatten()) {
            return Ok(status);
        }
        self.child.kill()?;
        let status = self.child.wait()?;
        bail!("porch-server ignored SIGTERM for 15 s and was killed ({status})")
    }
}

/// Starts `porch-server` on a free loopback port with `data_dir` and `args`, its output appended
/// to `logs`, and waits until it answers `/readyz`; returns it and its `host:port`.
fn spawn_local(data_dir: &Path, args: &[String], logs: Arc<Mutex<String>>) -> Result<(LocalServer, String)> {
    let flags = [
        vec!["--listen".into(), "127.0.0.1:0".into(), "--data-dir".into(), data_dir.display().to_string()],
        args.to_vec(),
    ]
    .concat();
    let (server, addr) = spawn_server(&flags, &logs, "http")?;
    let ready = wait_until(START_TIMEOUT, || {
        http_request(&addr, "GET", "/readyz", &[], b"").ok().filter(|r| r.status == 200)
    });
    if ready.is_none() {
        bail!("porch-server on {addr} never answered /readyz with 200; log:\n{}", server.logs());
    }
    let kubeconfig = data_dir.join("kubeconfig");
    if !std::fs::read_to_string(&kubeconfig).is_ok_and(|k| k.contains(&addr)) {
        bail!("porch-server did not write {} for {addr}", kubeconfig.display());
    }
    Ok((server, addr))
}

/// Starts `porch-server` with `args`, its output appended to `logs`, and waits until it logs
/// `listening on <scheme>://ADDR`; returns it and `ADDR`. A reaper stops it (SIGTERM) if this
/// process ends without stopping it.
pub(crate) fn spawn_server(
    args: &[String],
    logs: &Arc<Mutex<String>>,
    scheme: &str,
) -> Result<(LocalServer, String)> {
    let binary = server_binary()?;
    let mut child = Command::new(&binary)
        .args(args)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", std::env::var("PORCH_E2E_SERVER_LOG").unwrap_or_else(|_| "info".into()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let reaper = spawn_reaper(child.id());
    let start = logs.lock().unwrap_or_else(|e| e.into_inner()).len();
    for pipe in [child.stdout.take().map(boxed), child.stderr.take().map(boxed)].into_iter().flatten() {
        let logs = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut l = logs.lock().unwrap_or_else(|e| e.into_inner());
                l.push_str(&line);
                l.push('\n');
            }
        });
    }
    let mut server = LocalServer { child, logs: logs.clone(), _reaper: reaper.ok() };
    let addr = wait_until(START_TIMEOUT, || {
        if let Ok(Some(status)) = server.child.try_wait() {
            return Some(Err(anyhow!("porch-server exited with {status}")));
        }
        listening_address(server.logs().get(start..).unwrap_or_default(), scheme).map(Ok)
    })
    .unwrap_or_else(|| Err(anyhow!("porch-server did not log `listening on {scheme}://…` in time")))
    .map_err(|e| e.context(format!("server log:\n{}", server.logs())))?;
    Ok((server, addr))
}

/// A `bash` blocked reading its stdin and the write end of that pipe, which only this process
/// holds: see [`spawn_reaper`].
pub(crate) type Reaper = (Child, std::process::ChildStdin);

/// A `bash` that blocks reading its stdin, a pipe only this process writes to; when the pipe
/// closes (the [`Reaper`] is dropped, or this process ends however it ends) it sends SIGTERM to
/// `pid`, so no server or daemon outlives its tests.
pub(crate) fn spawn_reaper(pid: u32) -> Result<Reaper> {
    let mut reaper = Command::new("bash")
        .arg("-c")
        .arg(r#"while read -r _; do :; done; kill -TERM "$1" 2>/dev/null"#)
        .arg("porch-server-reaper")
        .arg(pid.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the server's reaper (bash)")?;
    let pipe = reaper.stdin.take().context("the reaper has no stdin pipe")?;
    Ok((reaper, pipe))
}

fn boxed(r: impl Read + Send + 'static) -> Box<dyn Read + Send> {
    Box::new(r)
}

/// The `ADDR` of the first `listening on <scheme>://ADDR` in the log.
fn listening_address(logs: &str, scheme: &str) -> Option<String> {
    let marker = format!("listening on {scheme}://");
    let rest = &logs[logs.find(&marker)? + marker.len()..];
    let addr: String =
        rest.chars().take_while(|c| !c.is_whitespace() && !matches!(c, ')' | ',' | '"')).collect();
    (!addr.is_empty()).then_some(addr)
}

/// `host:port` of the first `server: http://…` in a kubeconfig, if it is plain HTTP.
fn plain_http_server(kubeconfig: &str) -> Option<String> {
    kubeconfig.lines().find_map(|l| {
        let url = l.trim().strip_prefix("server:")?.trim().trim_matches(['"', '\'']);
        let hp = url.strip_prefix("http://")?;
        Some(hp.trim_end_matches('/').to_string())
    })
}

/// The `porch-server` binary to run: `PORCH_SERVER_BIN`, or this workspace's, built (once per test
/// process) with `cargo build -p porch-server --bin porch-server` into the target directory and
/// profile of the running test binary so that it is never stale.
pub fn server_binary() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os(SERVER_BIN_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(bin));
    }
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT.get_or_init(|| build_server().map_err(|e| format!("{e:#}"))).clone().map_err(|e| anyhow!(e))
}

fn build_server() -> Result<PathBuf> {
    // The test binary lives in `<target>/<profile>/deps/`; the server goes to `<target>/<profile>/`.
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("cannot find the target directory from the test binary's path")?
        .to_path_buf();
    let profile = profile_dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug").to_string();
    let target_dir = profile_dir.parent().context("test binary is not inside a target directory")?;
    let workspace = crate::workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", "porch-server", "--bin", "porch-server"])
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", target_dir);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let out = cmd.output().context("running cargo build for porch-server")?;
    if !out.status.success() {
        bail!("cargo build -p porch-server failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let binary = profile_dir.join(format!("porch-server{}", std::env::consts::EXE_SUFFIX));
    if !binary.is_file() {
        bail!("cargo build succeeded but {} does not exist", binary.display());
    }
    Ok(binary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_listening_address_in_text_and_json_logs() {
        let text = "2026-11-25T00:00:00Z  INFO porch_server: porch-server listening on http://127.0.0.1:41234 (standalone; …)";
        assert_eq!(listening_address(text, "http").as_deref(), Some("127.0.0.1:41234"));
        assert_eq!(listening_address(text, "https"), None);
        let json = r#"{"fields":{"message":"porch-server listening on http://127.0.0.1:5 (x)"}}"#;
        assert_eq!(listening_address(json, "http").as_deref(), Some("127.0.0.1:5"));
        assert_eq!(listening_address("starting", "http"), None);
    }

    #[test]
    fn reads_the_server_of_a_kubeconfig() {
        let k = "clusters:\n- cluster:\n    server: http://127.0.0.1:7007\n  name: porch\n";
        assert_eq!(plain_http_server(k).as_deref(), Some("127.0.0.1:7007"));
        assert_eq!(plain_http_server("    server: https://10.0.0.1:6443\n"), None);
    }
}
