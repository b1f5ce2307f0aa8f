//! The server under test for one resource: a fresh data directory, a loopback socket, a scratch
//! directory for git remotes and, for the porch.kpt.dev resources, a Ready Repository.

use std::time::Duration;

use porch_server::{App, Config};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::app_support::within;
use crate::git_support::{bare_repo, file_url};
use crate::served::{Response, Served};
use crate::wire::{self, NS};

/// How long the server may take to settle (a Repository to become Ready, a controller to
/// finish its writes).
const SETTLE: Duration = Duration::from_secs(20);

/// One server and what the fixtures of one resource need around it.
pub(crate) struct Env {
    pub(crate) served: Served,
    scratch: TempDir,
}

impl Env {
    /// A server on a fresh data directory; `controller` runs the Repository controller (which
    /// opens, syncs and reports every Repository, and keeps its finalizer on it).
    pub(crate) async fn start(controller: bool) -> Self {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        let data = tempfile::Builder::new().prefix("porch-conformance-").tempdir().unwrap();
        let scratch = tempfile::Builder::new().prefix("porch-conformance-remotes-").tempdir().unwrap();
        let mut config = Config::with_data_dir(data.path());
        config.repository_controller = controller;
        let app = App::open(&config, None).expect("opening the App");
        Self { served: Served::start_app(app, data).await, scratch }
    }

    /// A new empty bare repository on `main`, as a `file://` URL.
    pub(crate) fn remote(&self, name: &str) -> String {
        file_url(&bare_repo(self.scratch.path(), &format!("{name}.git")))
    }

    /// Sends `method path` with a JSON (or `content_type`) body.
    pub(crate) async fn send(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> Response {
        let headers = [("Content-Type", content_type), ("Accept", "application/json")];
        self.served.request(method, path, &headers, body).await
    }

    /// Sends `method path` with `body` as JSON.
    pub(crate) async fn json(&self, method: &str, path: &str, body: &Value) -> Response {
        self.send(method, path, "application/json", &serde_json::to_vec(body).unwrap()).await
    }

    /// GETs `path` as JSON.
    pub(crate) async fn get(&self, path: &str) -> Response {
        self.served.get(path, "application/json").await
    }

    /// GETs `path`, which must answer 200, and returns its body.
    pub(crate) async fn read(&self, path: &str) -> Value {
        wire::ok(&self.get(path).await, 200, &format!("GET {path}"))
    }

    /// Polls `path` until `done` holds for its answer.
    pub(crate) async fn until(&self, what: &str, path: &str, done: impl Fn(&Response) -> bool) -> Response {
        within(SETTLE, what, async {
            loop {
                let r = self.get(path).await;
                if done(&r) {
                    return r;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
    }

    /// Registers Repository `name` over a new empty remote (its branch created by the server)
    /// and waits until it is Ready.
    pub(crate) async fn register(&self, name: &str) {
        let path = format!("/apis/config.porch.kpt.dev/v1alpha1/namespaces/{NS}/repositories");
        let repository = repository(name, &self.remote(name), json!({}));
        wire::ok(&self.json("POST", &path, &repository).await, 201, "registering the Repository");
        self.until(&format!("Repository {name} to become Ready"), &format!("{path}/{name}"), |r| {
            r.status == 200 && repository_settled(&r.json())
        })
        .await;
    }
}

/// A git Repository `name` over `url` (created on the remote if missing), with `labels`.
pub(crate) fn repository(name: &str, url: &str, labels: Value) -> Value {
    json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1",
        "kind": "Repository",
        "metadata": {"name": name, "namespace": NS, "labels": labels},
        "spec": {
            "description": format!("conformance {name}"),
            "type": "git",
            "content": "Package",
            "git": {"repo": url, "branch": "main", "createBranch": true},
        },
    })
}

/// Whether the Repository controller is done with `repo`: it holds the finalizer, is Ready, and
/// its status reports the current generation.
pub(crate) fn repository_settled(repo: &Value) -> bool {
    let ready = repo["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    let finalized = repo["metadata"]["finalizers"].as_array().is_some_and(|f| !f.is_empty());
    ready && finalized && repo["status"]["observedGeneration"] == repo["metadata"]["generation"]
}
