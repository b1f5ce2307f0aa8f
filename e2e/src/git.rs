//! Git remotes for the end-to-end tests, made with the git CLI: bare repositories with packages
//! in Porch's layout, and a `git daemon` on 127.0.0.1 that serves (and accepts pushes to) them.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// Runs git in `dir` with a clean configuration; returns trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .output()
        .with_context(|| format!("running git {args:?}"))?;
    if !out.status.success() {
        bail!("git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A bare repository `dir/<name>.git` on branch `main` holding, for each `(package, tags)`, a
/// package directory with a Kptfile and a ConfigMap, tagged `<package>/v<N>` for each N in
/// `tags` (the content changes before each tag).
pub fn remote_with_packages(dir: &Path, name: &str, packages: &[(&str, &[u32])]) -> Result<PathBuf> {
    let remote = dir.join(format!("{name}.git"));
    std::fs::create_dir_all(&remote)?;
    git(&remote, &["init", "--bare", "-q", "-b", "main"])?;
    let work = dir.join(format!("{name}-work"));
    std::fs::create_dir_all(&work)?;
    git(&work, &["init", "-q", "-b", "main"])?;
    std::fs::write(work.join("README.md"), format!("{name}\n"))?;
    git(&work, &["add", "-A"])?;
    git(&work, &["commit", "-q", "-m", "Initial commit"])?;
    for (package, tags) in packages {
        let pkg_dir = work.join(package);
        std::fs::create_dir_all(&pkg_dir)?;
        let base = package.rsplit('/').next().unwrap_or(package);
        std::fs::write(
            pkg_dir.join("Kptfile"),
            format!("apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {base}\n"),
        )?;
        for n in *tags {
            std::fs::write(
                pkg_dir.join("cm.yaml"),
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  v: \"{n}\"\n"),
            )?;
            git(&work, &["add", "-A"])?;
            git(&work, &["commit", "-q", "-m", &format!("{package} v{n}")])?;
            git(&work, &["tag", &format!("{package}/v{n}")])?;
        }
    }
    git(&work, &["push", "-q", &remote.display().to_string(), "main", "--tags"])?;
    Ok(remote)
}

/// A `git://` URL on a loopback port that nothing listens on (bound, then released): a fetch
/// from it fails at once, the same way everywhere, network or not.
pub fn unreachable_url(name: &str) -> Result<String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    Ok(format!("git://127.0.0.1:{port}/{name}"))
}

/// Environment variable naming the address a cluster reaches this machine at (for kind, the
/// gateway of its docker network). When it is set, a pod cannot open this machine's `file://`
/// paths nor its 127.0.0.1, so remotes are served by `git daemon` on every interface and named
/// with that host: [`file_url`] and [`GitDaemon::url`] give `git://<host>:<port>/…` URLs.
pub const GIT_HOST_ENV: &str = "PORCH_E2E_GIT_HOST";

fn git_host() -> Option<String> {
    std::env::var(GIT_HOST_ENV).ok().filter(|h| !h.is_empty())
}

/// The URL of the repository at `path`: `file://<path>`, or with [`GIT_HOST_ENV`] set, that path
/// served by one `git daemon` of this process (for the whole file system).
pub fn file_url(path: &Path) -> String {
    match git_host() {
        None => format!("file://{}", path.display()),
        Some(host) => {
            static ROOT: OnceLock<Result<GitDaemon, String>> = OnceLock::new();
            match ROOT.get_or_init(|| GitDaemon::start(Path::new("/")).map_err(|e| format!("{e:#}"))) {
                Ok(daemon) => format!("git://{host}:{}{}", daemon.port, path.display()),
                Err(e) => panic!("serving {} over git daemon for {GIT_HOST_ENV}: {e}", path.display()),
            }
        }
    }
}

/// Makes every push to `remote` wait `seconds` in a pre-receive hook (served by `git daemon`).
pub fn slow_down_pushes(remote: &Path, seconds: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let hook = remote.join("hooks/pre-receive");
    std::fs::write(&hook, format!("#!/bin/sh\ncat >/dev/null\nsleep {seconds}\n"))?;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// `git daemon` serving every repository under a directory (pushes enabled); killed on drop, or
/// when this process ends.
#[derive(Debug)]
pub struct GitDaemon {
    child: Child,
    port: u16,
    _reaper: Option<crate::server::Reaper>,
}

impl GitDaemon {
    /// Serves the repositories under `base` on a free port of 127.0.0.1 (of every interface with
    /// [`GIT_HOST_ENV`] set).
    pub fn start(base: &Path) -> Result<Self> {
        let listen = if git_host().is_some() { "0.0.0.0" } else { "127.0.0.1" };
        let port = std::net::TcpListener::bind((listen, 0))?.local_addr()?.port();
        let exec_path = git(base, &["--exec-path"])?;
        // git-daemon itself: `git daemon` would run it as a child that outlives a kill.
        let child = Command::new(Path::new(&exec_path).join("git-daemon"))
            .args(["--reuseaddr", "--enable=receive-pack", "--export-all"])
            .arg(format!("--base-path={}", base.display()))
            .args([&format!("--listen={listen}"), &format!("--port={port}")])
            .arg(base)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting git daemon")?;
        let reaper = crate::server::spawn_reaper(child.id()).ok();
        let daemon = Self { child, port, _reaper: reaper };
        let up = crate::wait_until(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        if up.is_none() {
            bail!("git daemon did not listen on port {port}");
        }
        Ok(daemon)
    }

    /// `git://127.0.0.1:<port>/<name>` (the [`GIT_HOST_ENV`] host instead of 127.0.0.1 when set).
    pub fn url(&self, name: &str) -> String {
        format!("git://{}:{}/{name}", git_host().unwrap_or_else(|| "127.0.0.1".into()), self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
