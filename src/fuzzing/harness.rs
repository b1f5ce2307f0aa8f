//! [`Harness`]: a real server in-process with a git remote and a few objects to aim at, and the
//! one place requests are sent and their answers checked.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::invariant::acceptable;
use crate::{ApiStack, App, Config};

/// The namespace of the fixture objects.
pub(super) const NS: &str = "default";
/// How long a request may take to be answered before the harness calls it a hang.
const ANSWER_LIMIT: Duration = Duration::from_secs(30);
/// A response body that sends nothing for this long is a stream (a watch): the harness stops
/// reading it.
const STREAM_IDLE: Duration = Duration::from_millis(100);
/// How many recent requests a failure report shows (the server keeps state between inputs).
const HISTORY: usize = 8;
/// The most of a response body a failure report shows.
const SHOWN_BODY: usize = 2000;

/// The names of the threads that panicked since the hook was installed. Each harness names
/// its runtime's threads after itself, so it sees the panics of its own server (request
/// handlers and background tasks alike: a panic in a task is otherwise silent) and not those
/// of another harness in the same process.
static PANICKED: Mutex<Vec<String>> = Mutex::new(Vec::new());
static HOOK: Once = Once::new();

fn record_panics() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = std::thread::current().name().unwrap_or_default().to_string();
            PANICKED.lock().unwrap_or_else(|e| e.into_inner()).push(name);
            previous(info);
        }));
    });
}

/// How many threads named `{prefix}…` panicked so far.
fn panics_of(prefix: &str) -> usize {
    PANICKED.lock().unwrap_or_else(|e| e.into_inner()).iter().filter(|n| n.starts_with(prefix)).count()
}

/// One request's answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The HTTP status code.
    pub status: u16,
    /// The response body as read (a stream only up to its first pause).
    pub body: Vec<u8>,
}

impl Exchange {
    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The `message` of a Status body, or the body as text.
    pub fn message(&self) -> String {
        match self.json().as_ref().and_then(|v| v.get("message")).and_then(Value::as_str) {
            Some(m) => m.to_string(),
            None => String::from_utf8_lossy(&self.body).into_owned(),
        }
    }
}

/// The fixture objects' current names (fuzz inputs may delete or publish them; the harness
/// makes new ones).
#[derive(Debug, Default)]
struct Fixture {
    repository: String,
    draft: String,
    generation: u32,
}

/// A server on a temporary data directory, a `file://` remote with packages `pkg` (tag
/// `pkg/v1`) and `a/b/nested` (tag `a/b/nested/v1`), an empty remote, the Ready Repository
/// [`Harness::repository`], the draft [`Harness::draft`] and the Secret `creds`. Everything is
/// removed when it is dropped.
#[derive(Debug)]
pub struct Harness {
    runtime: Option<tokio::runtime::Runtime>,
    app: Option<App>,
    service: ApiStack<Full<Bytes>>,
    root: PathBuf,
    threads: String,
    remote_url: String,
    empty_url: String,
    fixture: Mutex<Fixture>,
    history: Mutex<VecDeque<String>>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        drop(self.app.take());
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Fuzz")
        .env("GIT_AUTHOR_EMAIL", "fuzz@example.com")
        .env("GIT_COMMITTER_NAME", "Fuzz")
        .env("GIT_COMMITTER_EMAIL", "fuzz@example.com")
        .env("GIT_AUTHOR_DATE", "1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "1700000000 +0000")
        .output()
        .expect("running git");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a file in a directory")).expect("creating a directory");
    std::fs::write(path, text).expect("writing a fixture file");
}

/// The bare remotes: one with two tagged packages, one empty. Returns their `file://` URLs.
fn remotes(root: &Path) -> (String, String) {
    let remote = root.join("remote.git");
    let empty = root.join("empty.git");
    for bare in [&remote, &empty] {
        std::fs::create_dir_all(bare).expect("creating a remote");
        git(bare, &["init", "--bare", "-q", "-b", "main"]);
    }
    let work = root.join("work");
    std::fs::create_dir_all(&work).expect("creating the work tree");
    git(&work, &["init", "-q", "-b", "main"]);
    for (dir, name) in [("pkg", "pkg"), ("a/b/nested", "nested")] {
        let kptfile = format!(
            "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {name}\n  annotations:\n    \
             config.kubernetes.io/local-config: \"true\"\ninfo:\n  description: {name} package\n"
        );
        write(&work.join(dir).join("Kptfile"), &kptfile);
        write(
            &work.join(dir).join("cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: v\n",
        );
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", &format!("add {dir}")]);
        git(&work, &["tag", &format!("{dir}/v1")]);
    }
    let remote_path = remote.display().to_string();
    git(&work, &["push", "-q", &remote_path, "main", "--tags"]);
    (format!("file://{}", remote.display()), format!("file://{}", empty.display()))
}

fn unique_root() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("porch-fuzz-{}-{n}", std::process::id()))
}

impl Harness {
    /// Opens the server and creates the fixtures (about a second: the Repository syncs).
    ///
    /// # Panics
    /// When git, the data directory or the server cannot be set up.
    pub fn new() -> Self {
        record_panics();
        let root = unique_root();
        let threads = format!("{}-", root.file_name().expect("a directory name").to_string_lossy());
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("creating the harness directory");
        let (remote_url, empty_url) = remotes(&root);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(threads.clone())
            .enable_all()
            .build()
            .expect("starting a tokio runtime");
        let mut config = Config::with_data_dir(root.join("data"));
        config.list_timeout_per_repository = Duration::from_secs(2);
        let app = {
            let _entered = runtime.enter();
            App::open(&config, None).expect("opening the App")
        };
        let service = app.service();
        let harness = Self {
            runtime: Some(runtime),
            app: Some(app),
            service,
            root,
            threads,
            remote_url,
            empty_url,
            fixture: Mutex::new(Fixture::default()),
            history: Mutex::new(VecDeque::new()),
        };
        harness.ensure_draft();
        harness
    }

    /// `file://` URL of the remote holding packages `pkg` and `a/b/nested`.
    pub fn remote_url(&self) -> &str {
        &self.remote_url
    }

    /// `file://` URL of an empty remote.
    pub fn empty_url(&self) -> &str {
        &self.empty_url
    }

    /// Name of the Ready Repository on [`Harness::remote_url`].
    pub fn repository(&self) -> String {
        self.fixture.lock().unwrap_or_else(|e| e.into_inner()).repository.clone()
    }

    /// Name of the draft PackageRevision (of a new package `draft<N>`, workspace `ws`) in
    /// [`Harness::repository`].
    pub fn draft(&self) -> String {
        self.fixture.lock().unwrap_or_else(|e| e.into_inner()).draft.clone()
    }

    /// Makes sure the Repository is Ready and the draft exists and is a Draft, creating new ones
    /// (with new names) when a fuzz input deleted, broke or published them.
    pub fn ensure_draft(&self) {
        let mut fixture = self.fixture.lock().unwrap_or_else(|e| e.into_inner());
        if !fixture.draft.is_empty() {
            let got = self.send(Method::GET, &pr_path(&fixture.draft), &[], Vec::new());
            let lifecycle = got.json().and_then(|v| v["spec"]["lifecycle"].as_str().map(str::to_string));
            if got.status == 200 && lifecycle.as_deref() == Some("Draft") {
                return;
            }
        }
        self.ensure_namespace();
        for _ in 0..3 {
            if fixture.repository.is_empty() || !self.is_ready(&fixture.repository) {
                fixture.generation += 1;
                fixture.repository = format!("repo{}", fixture.generation);
                self.create_repository(&fixture.repository);
            }
            fixture.generation += 1;
            let spec = json!({
                "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision", "metadata": {},
                "spec": {
                    "repository": fixture.repository, "packageName": format!("draft{}", fixture.generation),
                    "workspaceName": "ws", "lifecycle": "Draft",
                    "tasks": [{"type": "init", "init": {"description": "fuzz draft"}}],
                },
            });
            let created = self.send_json(
                Method::POST,
                &format!("/apis/porch.kpt.dev/v1alpha1/namespaces/{NS}/packagerevisions"),
                &spec,
            );
            if created.status == 201
                && let Some(name) =
                    created.json().and_then(|v| v["metadata"]["name"].as_str().map(str::to_string))
            {
                fixture.draft = name;
                return;
            }
            // The Repository is no longer usable (a fuzz input changed its spec): use a new one.
            fixture.repository.clear();
        }
        panic!("the harness could not create its draft PackageRevision three times in a row");
    }

    /// Makes sure namespace [`NS`] exists, is not terminating and holds the Secret `creds`: a
    /// fuzz input may delete it (with everything in it); then it is waited out and made again.
    fn ensure_namespace(&self) {
        let path = format!("/api/v1/namespaces/{NS}");
        let deadline = Instant::now() + ANSWER_LIMIT;
        loop {
            let got = self.send(Method::GET, &path, &[], Vec::new());
            match got.status {
                404 => {
                    let namespace =
                        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}});
                    let created = self.send_json(Method::POST, "/api/v1/namespaces", &namespace);
                    assert_eq!(created.status, 201, "creating namespace {NS}: {}", created.message());
                    break;
                }
                200 if got.json().is_some_and(|v| v["metadata"]["deletionTimestamp"].is_null()) => break,
                _ => {}
            }
            assert!(Instant::now() < deadline, "namespace {NS} stays terminating: {}", got.message());
            std::thread::sleep(Duration::from_millis(20));
        }
        if self.send(Method::GET, &format!("/api/v1/namespaces/{NS}/secrets/creds"), &[], Vec::new()).status
            != 404
        {
            return;
        }
        let secret = json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
            "type": "kubernetes.io/basic-auth", "stringData": {"username": "u", "password": "p"},
        });
        let created = self.send_json(Method::POST, &format!("/api/v1/namespaces/{NS}/secrets"), &secret);
        assert_eq!(created.status, 201, "creating the Secret: {}", created.message());
    }

    fn is_ready(&self, repository: &str) -> bool {
        let got = self.send(Method::GET, &repo_path(repository), &[], Vec::new());
        let Some(v) = got.json() else { return false };
        let remote_is_ours = v["spec"]["git"]["repo"].as_str() == Some(self.remote_url.as_str());
        let ready = v["status"]["conditions"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
        got.status == 200 && remote_is_ours && ready && v["metadata"]["deletionTimestamp"].is_null()
    }

    fn create_repository(&self, name: &str) {
        let repo = json!({
            "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
            "metadata": {"name": name},
            "spec": {"type": "git", "git": {"repo": self.remote_url, "branch": "main"}},
        });
        let path = format!("/apis/config.porch.kpt.dev/v1alpha1/namespaces/{NS}/repositories");
        let created = self.send_json(Method::POST, &path, &repo);
        assert_eq!(created.status, 201, "creating Repository {name}: {}", created.message());
        let deadline = Instant::now() + ANSWER_LIMIT;
        while !self.is_ready(name) {
            assert!(Instant::now() < deadline, "Repository {name} did not become Ready");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a JSON body and checks the answer.
    pub fn send_json(&self, method: Method, path: &str, body: &Value) -> Exchange {
        let headers = [(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))];
        self.send(method, path, &headers, body.to_string().into_bytes())
    }

    /// Sends one request through the server's tower service, reads the answer, and checks it
    /// ([`Harness::check`]). `uri` is a path with an optional query. With `PORCH_FUZZ_TRACE`
    /// set, each request and its answer are printed to stderr.
    ///
    /// # Panics
    /// When the answer breaks the invariant, takes longer than 30 s, or a panic happened in
    /// the process while it was handled.
    pub fn send(
        &self,
        method: Method,
        uri: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Vec<u8>,
    ) -> Exchange {
        let mut builder = Request::builder().method(method.clone()).uri(uri);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let Ok(request) = builder.body(Full::new(Bytes::from(body))) else {
            // Not a request hyper could have produced (e.g. a URI it would not parse).
            return Exchange { status: 400, body: Vec::new() };
        };
        let what = format!("{method} {uri}");
        let panics_before = panics_of(&self.threads);
        let service = self.service.clone();
        let runtime = self.runtime.as_ref().expect("the runtime runs while the harness lives");
        // Spawned, as hyper spawns a connection's task: the handler runs on a runtime thread.
        let exchange = runtime.spawn(async move {
            let response = match tokio::time::timeout(ANSWER_LIMIT, service.oneshot(request)).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => return None,
            };
            let status = response.status().as_u16();
            let mut body = response.into_body();
            let mut bytes = Vec::new();
            while let Ok(Some(Ok(frame))) = tokio::time::timeout(STREAM_IDLE, body.frame()).await {
                if let Ok(data) = frame.into_data() {
                    bytes.extend_from_slice(&data);
                }
            }
            Some(Exchange { status, body: bytes })
        });
        let exchange = runtime
            .block_on(exchange)
            .unwrap_or_else(|e| self.fail(&what, &format!("the request task failed: {e}")));
        let Some(exchange) = exchange else {
            self.fail(&what, &format!("no answer within {ANSWER_LIMIT:?}"));
        };
        self.remember(format!("{what} -> {}", exchange.status));
        if std::env::var_os("PORCH_FUZZ_TRACE").is_some() {
            let message: String = exchange.message().chars().take(200).collect();
            eprintln!("{what} -> {} {message}", exchange.status);
        }
        if panics_of(&self.threads) != panics_before {
            self.fail(&what, "a panic happened in the process while the request was handled (see above)");
        }
        self.check(&what, &exchange);
        exchange
    }

    /// Fails (panics, with the recent requests) unless `exchange` keeps the invariant.
    pub fn check(&self, what: &str, exchange: &Exchange) {
        if !acceptable(exchange.status, &exchange.message()) {
            let body = String::from_utf8_lossy(&exchange.body);
            let shown: String = body.chars().take(SHOWN_BODY).collect();
            self.fail(what, &format!("answered {}: {shown}", exchange.status));
        }
    }

    fn remember(&self, line: String) {
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        if history.len() == HISTORY {
            history.pop_front();
        }
        history.push_back(line);
    }

    fn fail(&self, what: &str, why: &str) -> ! {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        let recent: Vec<&str> = history.iter().map(String::as_str).collect();
        panic!("{what}: {why}\nrecent requests, oldest first:\n  {}", recent.join("\n  "));
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// Path of PackageRevision `name` in the fixture namespace.
pub(super) fn pr_path(name: &str) -> String {
    format!("/apis/porch.kpt.dev/v1alpha1/namespaces/{NS}/packagerevisions/{name}")
}

/// Path of Repository `name` in the fixture namespace.
pub(super) fn repo_path(name: &str) -> String {
    format!("/apis/config.porch.kpt.dev/v1alpha1/namespaces/{NS}/repositories/{name}")
}
