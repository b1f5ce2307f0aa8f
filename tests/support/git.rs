//! Git fixtures for the git backend tests: repositories built with the git CLI in temporary
//! directories, a `git daemon` and a `git http-backend` server started and stopped by the test.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::error::Error;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Author email of the fixture commits.
pub(crate) const DEV_EMAIL: &str = "dev@example.com";

/// Runs git in `dir` with a clean configuration and the fixture identity; panics on failure;
/// returns trimmed stdout.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    git_env(dir, args, &[])
}

fn git_env(dir: &Path, args: &[&str], env: &[(&str, String)]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", DEV_EMAIL)
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", DEV_EMAIL)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("running git");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A bare repository at `dir/name` with HEAD on `main`.
pub(crate) fn bare_repo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    git(&path, &["init", "--bare", "-q", "-b", "main"]);
    path
}

/// `file://` URL of a path.
pub(crate) fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A minimal Kptfile for package `name`.
pub(crate) fn kptfile(name: &str) -> String {
    format!("apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {name}\n")
}

/// A work tree whose commits get strictly increasing timestamps.
pub(crate) struct WorkTree {
    pub(crate) dir: PathBuf,
    clock: AtomicU64,
}

impl WorkTree {
    /// `git init -b main` in `dir`, with `remote` as `origin`.
    pub(crate) fn new(dir: PathBuf, remote: &Path) -> Self {
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, &["init", "-q", "-b", "main"]);
        git(&dir, &["remote", "add", "origin", &remote.display().to_string()]);
        Self { dir, clock: AtomicU64::new(1_700_000_000) }
    }

    pub(crate) fn write(&self, path: &str, content: &str) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub(crate) fn remove(&self, path: &str) {
        let p = self.dir.join(path);
        if p.is_dir() { std::fs::remove_dir_all(p).unwrap() } else { std::fs::remove_file(p).unwrap() }
    }

    /// Commits everything (empty commits allowed) and returns the commit id.
    pub(crate) fn commit(&self, message: &str) -> String {
        let t = self.clock.fetch_add(10, Ordering::SeqCst);
        let date = format!("{t} +0000");
        let env = [("GIT_AUTHOR_DATE", date.clone()), ("GIT_COMMITTER_DATE", date)];
        git(&self.dir, &["add", "-A"]);
        git_env(&self.dir, &["commit", "-q", "--allow-empty", "-m", message], &env);
        git(&self.dir, &["rev-parse", "HEAD"])
    }

    pub(crate) fn git(&self, args: &[&str]) -> String {
        git(&self.dir, args)
    }

    /// Pushes every branch and tag to `origin`.
    pub(crate) fn push_all(&self) {
        git(&self.dir, &["push", "-q", "origin", "--all"]);
        git(&self.dir, &["push", "-q", "origin", "--tags"]);
    }
}

/// A bare repository `root/<name>.git` on `main` holding, for each `(package, tags)`, a package
/// with a Kptfile tagged `<package>/v<N>` for each N in `tags` (a ConfigMap changes before each
/// tag); returns it and its work tree (`origin` is the remote), to push more with the git CLI.
pub(crate) fn remote_with_packages(
    root: &Path,
    name: &str,
    packages: &[(&str, &[u32])],
) -> (PathBuf, WorkTree) {
    let remote = bare_repo(root, &format!("{name}.git"));
    let w = WorkTree::new(root.join(format!("{name}-work")), &remote);
    for (package, tags) in packages {
        w.write(&format!("{package}/Kptfile"), &kptfile(package.rsplit('/').next().unwrap_or(package)));
        if tags.is_empty() {
            w.commit(&format!("add {package}"));
        }
        for n in *tags {
            w.write(&format!("{package}/cm.yaml"), &format!("kind: ConfigMap\ndata: {{v: '{n}'}}\n"));
            w.commit(&format!("{package} v{n}"));
            w.git(&["tag", &format!("{package}/v{n}")]);
        }
    }
    w.push_all();
    (remote, w)
}

/// A `kpt:` trailer line.
pub(crate) fn trailer(package: &str, workspace: &str, revision: &str, task: Option<&str>) -> String {
    match task {
        Some(task) => format!(
            r#"kpt:{{"package":"{package}","workspaceName":"{workspace}","revision":"{revision}","task":{task}}}"#
        ),
        None => {
            format!(r#"kpt:{{"package":"{package}","workspaceName":"{workspace}","revision":"{revision}"}}"#)
        }
    }
}

/// The "blueprints" repository in Porch's layout, built only with the git CLI:
///
/// - `basens`: tags v1 (workspace `ws1`, init task), v2 (no trailer), v3 (workspace `edit3`,
///   edit task), v4 (trailer of another package); `deletionProposed/basens/v2`; a draft
///   `drafts/basens/ws5` (clone task).
/// - `bucket`: non-numeric tag `bucket/release`; `proposed/bucket/ws2` (no trailer);
///   `deletionProposed/bucket/main` (placeholder proposed for deletion).
/// - `a/b/pkg`: nested path, tag `a/b/pkg/v1`.
/// - `withsub`: a package holding a nested Kptfile in `withsub/sub`.
/// - ignored: tag `v1.0`, tag `nopkg/v1` (no Kptfile), branch `drafts/ghost/ws` (no Kptfile),
///   branch `feature`, directory `docs/`.
pub(crate) fn blueprints(root: &Path) -> PathBuf {
    let remote = bare_repo(root, "blueprints.git");
    let w = WorkTree::new(root.join("blueprints-work"), &remote);
    w.write("README.md", "blueprints\n");
    w.write("docs/guide.md", "guide\n");
    w.commit("Initial commit");

    let basens_kptfile = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: basens\n  labels:\n    team: blue\n  \
         annotations:\n    owner: ops\ninfo:\n  description: base namespace\n  readinessGates:\n    - conditionType: Ready\n\
         status:\n  conditions:\n    - type: Rendered\n      status: \"True\"\n      reason: RenderSuccess\n";
    w.write("basens/Kptfile", basens_kptfile);
    w.write("basens/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: v1\n");
    let init = r#"{"type":"init","init":{"description":"base namespace"}}"#;
    w.commit(&format!("Creating new empty revision\n\n{}", trailer("basens", "ws1", "0", Some(init))));
    w.commit(&format!("Approving package revision basens/1\n\n{}", trailer("basens", "ws1", "1", None)));
    w.git(&["tag", "basens/v1"]);

    w.write("basens/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: v2\n");
    w.commit("hand edit of basens");
    w.git(&["tag", "basens/v2"]);

    w.write("basens/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: v3\n");
    let edit = r#"{"type":"edit","edit":{"sourceRef":{"name":"blueprints.basens.v2"}}}"#;
    w.commit(&format!(
        "Creating new revision by copying previous revision\n\n{}",
        trailer("basens", "edit3", "0", Some(edit))
    ));
    w.git(&["tag", "basens/v3"]);

    w.write("basens/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: v4\n");
    w.commit(&format!("unrelated trailer\n\n{}", trailer("bucket", "other", "0", None)));
    w.git(&["tag", "basens/v4"]);

    w.write("bucket/Kptfile", &kptfile("bucket"));
    w.write("bucket/bucket.yaml", "apiVersion: example.com/v1\nkind: Bucket\nmetadata:\n  name: b\n");
    w.commit("add bucket");
    w.git(&["tag", "bucket/release"]);

    w.write("a/b/pkg/Kptfile", &kptfile("pkg"));
    w.write("a/b/pkg/cm.yaml", "kind: ConfigMap\n");
    w.commit("add a/b/pkg");
    w.git(&["tag", "a/b/pkg/v1"]);

    w.write("withsub/Kptfile", &kptfile("withsub"));
    w.write("withsub/sub/Kptfile", &kptfile("sub"));
    w.write("withsub/sub/x.yaml", "kind: X\n");
    w.write("nopkg/file.yaml", "kind: Y\n");
    w.commit("add withsub and nopkg");
    w.git(&["tag", "v1.0"]);
    w.git(&["tag", "nopkg/v1"]);
    w.git(&["branch", "deletionProposed/basens/v2", "basens/v2"]);
    w.git(&["branch", "deletionProposed/bucket/main"]);
    w.git(&["branch", "feature"]);

    w.git(&["checkout", "-q", "-b", "drafts/basens/ws5"]);
    w.write("basens/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ws5\n");
    let clone = r#"{"type":"clone","clone":{"upstreamRef":{"upstreamRef":{"name":"up.basens.v1"}}}}"#;
    w.commit(&format!("Creating new revision by cloning\n\n{}", trailer("basens", "ws5", "0", Some(clone))));

    w.git(&["checkout", "-q", "main"]);
    w.git(&["checkout", "-q", "-b", "proposed/bucket/ws2"]);
    w.write(
        "bucket/bucket.yaml",
        "apiVersion: example.com/v1\nkind: Bucket\nmetadata:\n  name: b\nspec: {}\n",
    );
    w.commit("bucket proposal without trailer");

    w.git(&["checkout", "-q", "main"]);
    w.git(&["checkout", "-q", "-b", "drafts/ghost/ws"]);
    w.write("ghost/readme.md", "no Kptfile\n");
    w.commit("ghost");
    w.git(&["checkout", "-q", "main"]);
    w.push_all();
    remote
}

/// A free TCP port on 127.0.0.1.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("nothing listens on port {port}");
}

/// `git daemon` serving every repository under `base` (push enabled); killed on drop.
pub(crate) struct GitDaemon {
    child: Child,
    pub(crate) port: u16,
}

impl GitDaemon {
    pub(crate) fn start(base: &Path) -> Self {
        Self::start_on(base, free_port())
    }

    /// Starts a daemon on a given port (e.g. to bring a stopped remote back at the same URL).
    pub(crate) fn start_on(base: &Path, port: u16) -> Self {
        // Run git-daemon itself: `git daemon` would run it as a child that outlives a kill.
        let exec_path = git(base, &["--exec-path"]);
        let child = Command::new(Path::new(&exec_path).join("git-daemon"))
            .args([
                "--reuseaddr",
                "--enable=receive-pack",
                "--export-all",
                &format!("--base-path={}", base.display()),
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                &base.display().to_string(),
            ])
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting git daemon");
        wait_for_port(port);
        Self { child, port }
    }

    /// `git://127.0.0.1:<port>/<name>`.
    pub(crate) fn url(&self, name: &str) -> String {
        format!("git://127.0.0.1:{}/{name}", self.port)
    }

    /// Kills the daemon now.
    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Remote refs as the git CLI sees them (`refname → oid`).
pub(crate) fn remote_refs(remote: &Path) -> BTreeMap<String, String> {
    git(remote, &["for-each-ref", "--format=%(refname) %(objectname)"])
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(r, o)| (r.to_string(), o.to_string()))
        .collect()
}

/// An error, its `Debug` form and each of its sources, as one text to search for messages (or
/// for what must not be in them).
pub(crate) fn chain(err: &(dyn Error + 'static)) -> String {
    let mut text = format!("{err} {err:?}");
    for source in std::iter::successors(err.source(), |e| (*e).source()) {
        text.push_str(&format!(" / {source}"));
    }
    text
}
