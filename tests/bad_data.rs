//! The real `porch-server` binary over stored data it can no longer decode (reliability probe
//! D1–D3): objects that an older server wrote before it checked types, planted with
//! `Store::import_raw_offline` while the server is stopped (the API refuses them).
//!
//! After a restart the server keeps working for everything else (a fresh Repository becomes
//! Ready, PackageRevisions list and get), reports each bad object (a Repository's `Ready`
//! condition; one log line naming it), retries with backoff without growing its log, and never
//! writes a Secret's content into its log: not on a Secret that does not decode, nor one that
//! lacks keys, nor a remote answering 401, nor one answering 500 with the Authorization header
//! echoed — at the default log level and at `RUST_LOG=trace`.

#[path = "support/git.rs"]
mod git_support;
#[path = "support/http.rs"]
mod http_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use http_support::{EchoAuthServer, HttpAuth, HttpGitServer};
use hyper::StatusCode;
use porch_server::crdstore::{Store, StoredKind};
use serde_json::{Value, json};

const USER: &str = "probeuser";
const PASSWORD: &str = "LeakCheckPW-7a6b5c";

const REPOS: &str = "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories";
const SECRETS: &str = "/api/v1/namespaces/default/secrets";
const PACKAGE_REVS: &str = "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/packagerevs";
const REVISIONS: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions";

/// How long the server may take to start, and a Repository to reach a condition.
const PATIENCE: Duration = Duration::from_secs(60);

/// A running `porch-server` child process and what it has logged (stdout and stderr).
struct Server {
    child: Child,
    logs: Arc<Mutex<String>>,
    addr: String,
    client: kube::Client,
}

impl Server {
    /// Starts the binary on `data_dir` with `RUST_LOG=rust_log` (unset: the default level).
    async fn start(data_dir: &Path, rust_log: Option<&str>) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_porch-server"));
        cmd.args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(level) = rust_log {
            cmd.env("RUST_LOG", level);
        }
        let mut child = cmd.spawn().expect("starting porch-server");
        let logs = Arc::new(Mutex::new(String::new()));
        let pipes: [Box<dyn Read + Send>; 2] =
            [Box::new(child.stdout.take().unwrap()), Box::new(child.stderr.take().unwrap())];
        for pipe in pipes {
            let logs = logs.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut l = logs.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        let logged = logs.clone();
        let addr = wait_for("the server's address", PATIENCE, || {
            let logs = logged.lock().unwrap();
            let rest = &logs[logs.find("listening on http://")? + "listening on http://".len()..];
            Some(rest.split_whitespace().next()?.to_string())
        })
        .await;
        let mut config = kube::Config::new(format!("http://{addr}").parse().unwrap());
        config.default_retry = false; // a 503 is an answer to check, not to retry for minutes
        let client = kube::Client::try_from(config).expect("a kube client");
        let server = Self { child, logs, addr, client };
        let ready = async || server.get("/readyz").await.ok();
        wait_for_async("/readyz", PATIENCE, ready).await;
        server
    }

    fn log(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// SIGTERM, and the whole log once the process is gone.
    fn stop(mut self) -> String {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "porch-server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(200)); // the reader threads drain the pipes
        self.log()
    }

    async fn get(&self, path: &str) -> Result<String, kube::Error> {
        self.client.request_text(http::Request::get(path).body(vec![]).unwrap()).await
    }

    async fn get_json(&self, path: &str) -> Value {
        let text = self.get(path).await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    async fn post(&self, path: &str, body: &Value) -> Value {
        let request = http::Request::post(path)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap())
            .unwrap();
        let text = self.client.request_text(request).await.unwrap_or_else(|e| panic!("POST {path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    async fn patch(&self, path: &str, body: &Value) -> Value {
        let request = http::Request::patch(path)
            .header("content-type", "application/merge-patch+json")
            .body(serde_json::to_vec(body).unwrap())
            .unwrap();
        let text = self.client.request_text(request).await.unwrap_or_else(|e| panic!("PATCH {path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    /// The `Ready` condition of Repository `name`: (status, reason, message).
    async fn ready(&self, name: &str) -> Option<(String, String, String)> {
        let repo = self.get_json(&format!("{REPOS}/{name}")).await;
        let conditions = repo.pointer("/status/conditions")?.as_array()?.clone();
        let c = conditions.into_iter().find(|c| c["type"] == "Ready")?;
        let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
        Some((text("status"), text("reason"), text("message")))
    }

    /// Waits until Repository `name`'s `Ready` condition has `reason` and returns its message.
    async fn wait_reason(&self, name: &str, reason: &str) -> String {
        let what = format!("Repository {name} with Ready reason {reason}");
        let check = async || self.ready(name).await.filter(|(_, r, _)| r == reason).map(|(_, _, m)| m);
        wait_for_async(&what, PATIENCE, check).await
    }

    /// The response head of a plain GET (to read headers such as `Warning`).
    fn head(&self, path: &str) -> String {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr).unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        let all = String::from_utf8_lossy(&all).into_owned();
        all.split("\r\n\r\n").next().unwrap_or_default().to_string()
    }
}

async fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_for_async<T>(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn secret(name: &str, type_: &str, string_data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": type_,
           "stringData": string_data})
}

fn repository(name: &str, url: &str, secret: Option<&str>) -> Value {
    let mut git = json!({"repo": url, "branch": "main"});
    if let Some(s) = secret {
        git["secretRef"] = json!({"name": s});
    }
    json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
           "metadata": {"name": name}, "spec": {"type": "git", "content": "Package", "git": git}})
}

/// The names of the PackageRevisions of repository `repo` in a PackageRevisionList.
fn revisions_of(list: &Value, repo: &str) -> Vec<String> {
    let items = list["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter(|i| i["spec"]["repository"] == repo)
        .filter_map(|i| i["metadata"]["name"].as_str().map(str::to_string))
        .collect()
}

/// Lines of `log` that contain every one of `parts`.
fn lines_with(log: &str, parts: &[&str]) -> usize {
    log.lines().filter(|l| parts.iter().all(|p| l.contains(p))).count()
}

/// The log holds no form of the password.
fn assert_no_secret(log: &str, phase: &str) {
    for needle in [PASSWORD.to_string(), b64(PASSWORD), b64(&format!("{USER}:{PASSWORD}"))] {
        let hits: Vec<&str> = log.lines().filter(|l| l.contains(&needle)).take(3).collect();
        assert!(hits.is_empty(), "{phase}: the log holds {needle:?}:\n{}", hits.join("\n"));
    }
}

async fn bad_data_scenario(rust_log: Option<&str>) {
    let tmp = tempfile::Builder::new().prefix("porch-bad-data-").tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let (remote, _work) = git_support::remote_with_packages(tmp.path(), "pkgs", &[("app", &[1])]);
    let remote_url = git_support::file_url(&remote);
    // A remote that refuses our credentials (401), and one that echoes them in a 500.
    let http_root = tmp.path().join("http");
    git_support::remote_with_packages(&http_root, "repo", &[("app", &[1])]);
    let refusing = HttpGitServer::start(http_root, HttpAuth::Basic("someone".into(), "else".into())).await;
    let echo = EchoAuthServer::start(StatusCode::INTERNAL_SERVER_ERROR).await;

    // First life: everything valid.
    let server = Server::start(&data_dir, rust_log).await;
    let basic = json!({"username": USER, "password": PASSWORD});
    for (name, type_, data) in [
        ("git-auth", "kubernetes.io/basic-auth", basic.clone()),
        ("no-user", "Opaque", json!({"password": PASSWORD})),
        ("bad-immutable", "kubernetes.io/basic-auth", basic.clone()),
        ("bad-owner", "kubernetes.io/basic-auth", basic.clone()),
        ("bad-data", "kubernetes.io/basic-auth", basic.clone()),
    ] {
        server.post(SECRETS, &secret(name, type_, data)).await;
    }
    for (name, url, secret) in [
        ("good", remote_url.as_str(), None),
        ("bad-spec", remote_url.as_str(), None),
        ("bad-meta", remote_url.as_str(), None),
        ("with-bad-immutable", remote_url.as_str(), Some("bad-immutable")),
        ("with-bad-owner", remote_url.as_str(), Some("bad-owner")),
        ("with-bad-data", remote_url.as_str(), Some("bad-data")),
        ("no-user", remote_url.as_str(), Some("no-user")),
        ("refused", &refusing.url("repo.git"), Some("git-auth")),
        ("echoing", &echo.url("repo.git"), Some("git-auth")),
    ] {
        server.post(REPOS, &repository(name, url, secret)).await;
    }
    for name in ["good", "bad-spec", "bad-meta", "with-bad-immutable", "with-bad-owner", "with-bad-data"] {
        server.wait_reason(name, "Ready").await;
    }
    for name in ["no-user", "refused", "echoing"] {
        server.wait_reason(name, "Error").await;
    }
    assert!(refusing.unauthorized() > 0, "the 401 remote was asked");
    let listed = server.get_json(REVISIONS).await;
    let good_revisions = revisions_of(&listed, "good");
    let bad_spec_revisions = revisions_of(&listed, "bad-spec");
    assert!(!good_revisions.is_empty() && !bad_spec_revisions.is_empty(), "{listed}");
    let shadowed = good_revisions[0].clone();

    // What an older server could have written: the same objects with fields of the wrong type.
    let mut planted: Vec<(StoredKind, Value)> = Vec::new();
    let mut bad = server.get_json(&format!("{REPOS}/bad-spec")).await;
    bad["spec"]["deployment"] = json!("yes");
    planted.push((StoredKind::Repository, bad));
    let mut bad = server.get_json(&format!("{REPOS}/bad-meta")).await;
    bad["metadata"]["ownerReferences"] = json!("x");
    planted.push((StoredKind::Repository, bad));
    let mut bad = server.get_json(&format!("{SECRETS}/bad-immutable")).await;
    bad["immutable"] = json!("yes");
    planted.push((StoredKind::Secret, bad));
    let mut bad = server.get_json(&format!("{SECRETS}/bad-owner")).await;
    bad["metadata"]["ownerReferences"] = json!("x");
    planted.push((StoredKind::Secret, bad));
    let mut bad = server.get_json(&format!("{SECRETS}/bad-data")).await;
    bad["data"] = json!(b64(&format!("{USER}:{PASSWORD}")));
    planted.push((StoredKind::Secret, bad));
    let shadow = server.get_json(&format!("{PACKAGE_REVS}/{shadowed}")).await;
    let mut bad = shadow.clone();
    bad["spec"] = json!("x");
    planted.push((StoredKind::PackageRev, bad));
    let mut bad = shadow;
    bad["metadata"]["name"] = json!("zz-bad");
    bad["metadata"]["uid"] = json!("00000000-0000-0000-0000-00000000bad0");
    bad["metadata"]["ownerReferences"] = json!("x");
    planted.push((StoredKind::PackageRev, bad));
    planted.push((
        StoredKind::Secret,
        json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "immutable": "yes",
               "metadata": {"name": "default-ca-bundle", "namespace": "default", "resourceVersion": "1",
                            "uid": "00000000-0000-0000-0000-00000000bad1",
                            "creationTimestamp": "2026-01-01T00:00:00Z"},
               "data": {"ca.crt": b64(PASSWORD)}}),
    ));
    let first_log = server.stop();
    for (kind, object) in &planted {
        Store::import_raw_offline(&data_dir, *kind, object).expect("planting an object");
    }

    // Second life over the bad data.
    let server = Server::start(&data_dir, rust_log).await;
    // D1: the controller still reconciles a fresh Repository.
    server.post(REPOS, &repository("fresh", &remote_url, None)).await;
    server.wait_reason("fresh", "Ready").await;
    // D2: PackageRevisions list and get (the bad Repository is skipped with a warning).
    let listed = server.get_json(REVISIONS).await;
    assert_eq!(revisions_of(&listed, "good"), good_revisions, "{listed}");
    assert!(!revisions_of(&listed, "fresh").is_empty(), "{listed}");
    assert!(revisions_of(&listed, "bad-spec").is_empty(), "{listed}");
    let head = server.head(REVISIONS);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.lines().any(|l| l.to_ascii_lowercase().starts_with("warning:")
            && l.contains("repository default/bad-spec was skipped")
            && l.contains("spec.deployment")),
        "{head}"
    );
    let got = server.get_json(&format!("{REVISIONS}/{shadowed}")).await;
    assert_eq!(got["metadata"]["name"], shadowed.as_str());
    // Writing the metadata of that PackageRevision replaces its bad PackageRev with a good one.
    let patch = json!({"metadata": {"labels": {"healed": "yes"}}});
    let patched = server.patch(&format!("{REVISIONS}/{shadowed}"), &patch).await;
    assert_eq!(patched["metadata"]["labels"]["healed"], "yes", "{patched}");
    let rev = server.get_json(&format!("{PACKAGE_REVS}/{shadowed}")).await;
    assert!(rev["spec"].is_object(), "{rev}");
    assert_eq!(rev["metadata"]["labels"]["healed"], "yes", "{rev}");
    let refused = server.get(&format!("{REVISIONS}/{}", bad_spec_revisions[0])).await.unwrap_err();
    let kube::Error::Api(status) = refused else { panic!("{refused:?}") };
    assert_eq!(status.code, 503);
    assert!(status.message.contains("spec.deployment"), "{}", status.message);

    // Each bad object is reported where it shows: the Repository's own status…
    let m = server.wait_reason("bad-spec", "Invalid").await;
    assert!(m.contains("spec.deployment: Invalid value: \"string\": expected a boolean"), "{m}");
    let m = server.wait_reason("bad-meta", "Invalid").await;
    assert!(m.contains("metadata.ownerReferences"), "{m}");
    // …or that of the Repository using a bad Secret.
    let m = server.wait_reason("with-bad-immutable", "Error").await;
    assert!(m.contains("secret default/bad-immutable does not decode: immutable"), "{m}");
    let m = server.wait_reason("with-bad-owner", "Error").await;
    assert!(m.contains("secret default/bad-owner does not decode: metadata.ownerReferences"), "{m}");
    let m = server.wait_reason("with-bad-data", "Error").await;
    assert!(m.contains("secret default/bad-data does not decode: data"), "{m}");
    let m = server.wait_reason("no-user", "Error").await;
    assert!(m.contains("secret default/no-user is not usable"), "{m}");
    server.wait_reason("refused", "Error").await;
    server.wait_reason("echoing", "Error").await;

    if rust_log.is_none() {
        // Retries back off and log nothing new: the log stands still.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = server.log().lines().count();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let after = server.log();
        let grown: Vec<&str> = after.lines().skip(before).collect();
        assert!(grown.len() <= 2, "the log grew by {} lines in 5 s:\n{}", grown.len(), grown.join("\n"));

        // Each bad object is named once (a Secret in the failure of the Repository using it),
        // however many lists skipped it.
        for object in
            ["Repository default/bad-spec", "Repository default/bad-meta", "PackageRev default/zz-bad"]
        {
            assert_eq!(lines_with(&after, &[object, "does not decode"]), 1, "{object}:\n{after}");
        }
        let shadow = format!("PackageRev default/{shadowed}");
        assert_eq!(lines_with(&after, &[&shadow, "does not decode"]), 1, "{shadow}:\n{after}");
        for secret in ["bad-immutable", "bad-owner", "bad-data"] {
            let named = format!("secret default/{secret} does not decode");
            assert_eq!(lines_with(&after, &[&named]), 1, "{secret}:\n{after}");
        }
        assert_eq!(lines_with(&after, &["kube_client"]), 0, "{after}");
    }
    let repositories = server.get(REPOS).await.unwrap();
    assert_no_secret(&repositories, "Repository statuses");
    let second_log = server.stop();
    assert_no_secret(&first_log, "first run");
    assert_no_secret(&second_log, "second run");
    assert!(!second_log.to_ascii_lowercase().contains("panick"), "{second_log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_stored_data_stops_nothing_and_leaks_nothing() {
    bad_data_scenario(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_stored_data_leaks_nothing_at_trace_level() {
    bad_data_scenario(Some("trace")).await;
}
