//! The real `kubectl`, run as a user would, with nothing shared between tests.

use anyhow::{Result, bail};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Environment variable naming the kubectl to run instead of the one on `PATH`.
pub const KUBECTL_ENV: &str = "PORCH_E2E_KUBECTL";

/// How long one kubectl command may run before it is killed.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(90);

/// A kubectl with its own `HOME` and `--cache-dir` (so discovery is never reused across tests),
/// `--kubeconfig` set to the endpoint and, optionally, `--namespace`.
#[derive(Debug)]
pub struct Kubectl {
    program: OsString,
    kubeconfig: PathBuf,
    namespace: Option<String>,
    home: TempDir,
}

/// What a finished kubectl command printed.
#[derive(Clone, Debug)]
pub struct Output {
    /// The command line, for messages.
    pub command: String,
    /// Exit code (`None` if killed by a signal or the timeout).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Whether it exited with 0.
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// Stdout if it exited with 0, else an error carrying everything it printed.
    pub fn success(self) -> Result<String> {
        if self.ok() {
            return Ok(self.stdout);
        }
        bail!(
            "`{}` failed ({:?}):\nstdout: {}\nstderr: {}",
            self.command,
            self.code,
            self.stdout,
            self.stderr
        )
    }

    /// Stderr if it exited non-zero, else an error carrying everything it printed.
    pub fn failure(self) -> Result<String> {
        if !self.ok() {
            return Ok(self.stderr);
        }
        bail!(
            "`{}` succeeded but should have failed:\nstdout: {}\nstderr: {}",
            self.command,
            self.stdout,
            self.stderr
        )
    }
}

impl Kubectl {
    /// A kubectl for `kubeconfig`, in `namespace` if given.
    pub fn new(kubeconfig: &Path, namespace: Option<&str>) -> Self {
        let program =
            std::env::var_os(KUBECTL_ENV).filter(|v| !v.is_empty()).unwrap_or_else(|| "kubectl".into());
        let home =
            tempfile::Builder::new().prefix("porch-e2e-home-").tempdir().expect("creating a temporary HOME");
        Self { program, kubeconfig: kubeconfig.to_path_buf(), namespace: namespace.map(str::to_string), home }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.arg(format!("--kubeconfig={}", self.kubeconfig.display()))
            .arg(format!("--cache-dir={}", self.home.path().join("cache").display()));
        if let Some(ns) = &self.namespace {
            cmd.arg(format!("--namespace={ns}"));
        }
        cmd.args(args)
            .env("HOME", self.home.path())
            .env_remove("KUBECONFIG")
            .env_remove("KUBECTL_EXTERNAL_DIFF")
            .env("NO_COLOR", "1")
            // Its own process group, so that a timeout ends kubectl and anything it started.
            .process_group(0);
        cmd
    }

    fn describe(&self, args: &[&str]) -> String {
        format!("kubectl {}", args.join(" "))
    }

    /// Runs `kubectl ARGS` to completion (at most 90 s).
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_stdin(args, "")
    }

    /// Runs `kubectl ARGS` with `stdin` as its standard input (for `-f -`).
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let command = self.describe(args);
        let spawned =
            self.command(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                return Output {
                    command,
                    code: None,
                    stdout: String::new(),
                    stderr: format!("cannot run {:?}: {e}", self.program),
                };
            }
        };
        if let Some(mut pipe) = child.stdin.take() {
            let _ = pipe.write_all(stdin.as_bytes());
        }
        let stdout = collect(child.stdout.take());
        let stderr = collect(child.stderr.take());
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        let code = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status.code(),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                _ => {
                    kill_group(&mut child);
                    break None;
                }
            }
        };
        Output { command, code, stdout: stdout.finish(), stderr: stderr.finish() }
    }

    /// `kubectl apply -f -` (or any `args` taking `-f -`) with `manifest` on stdin.
    pub fn with_manifest(&self, args: &[&str], manifest: &str) -> Output {
        self.run_with_stdin(args, manifest)
    }

    /// Starts `kubectl ARGS` in the background (e.g. `get -w`); it is killed when the returned
    /// [`Background`] is dropped.
    pub fn spawn(&self, args: &[&str]) -> Result<Background> {
        let mut child =
            self.command(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        let stdout = collect(child.stdout.take());
        let stderr = collect(child.stderr.take());
        Ok(Background { command: self.describe(args), child, stdout, stderr })
    }
}

/// A kubectl command running in the background.
#[derive(Debug)]
pub struct Background {
    command: String,
    child: Child,
    stdout: Collector,
    stderr: Collector,
}

impl Background {
    /// What it has printed to stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.snapshot()
    }

    /// What it has printed to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.snapshot()
    }

    /// Waits until `pred(stdout)` holds; on timeout, an error showing everything printed.
    pub fn wait_for_stdout(&self, timeout: Duration, what: &str, pred: impl Fn(&str) -> bool) -> Result<()> {
        if crate::wait_until(timeout, || pred(&self.stdout()).then_some(())).is_some() {
            return Ok(());
        }
        bail!(
            "`{}` never printed {what}:\nstdout: {}\nstderr: {}",
            self.command,
            self.stdout(),
            self.stderr()
        )
    }

    /// Waits up to `timeout` for it to exit by itself; `None` if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<Option<i32>> {
        crate::wait_until(timeout, || self.child.try_wait().ok().flatten()).map(|s| s.code())
    }

    /// Stops it (if still running) and returns what it printed.
    pub fn stop(mut self) -> Output {
        let code = match self.child.try_wait() {
            Ok(Some(status)) => status.code(),
            _ => {
                kill_group(&mut self.child);
                None
            }
        };
        Output {
            command: self.command.clone(),
            code,
            stdout: self.stdout.snapshot(),
            stderr: self.stderr.snapshot(),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            kill_group(&mut self.child);
        }
    }
}

/// SIGKILL to the child's process group (it leads its own), then reap it.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill").arg("-KILL").arg("--").arg(format!("-{}", child.id())).status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads a pipe on a thread into a shared buffer.
#[derive(Debug)]
struct Collector {
    buf: Arc<Mutex<Vec<u8>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn collect(pipe: Option<impl Read + Send + 'static>) -> Collector {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let thread = pipe.map(|mut pipe| {
        let buf = buf.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&chunk[..n]);
            }
        })
    });
    Collector { buf, thread }
}

impl Collector {
    fn snapshot(&self) -> String {
        String::from_utf8_lossy(&self.buf.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Waits for the pipe to close (the process has exited) and returns everything read.
    fn finish(mut self) -> String {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.snapshot()
    }
}
