//! Shared helpers: a server on a temporary data directory, Repositories and their readiness,
//! PackageRevision requests.

use std::future::Future;
use std::time::Duration;

use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Error};
use porch_api::{PackageRevision, PackageRevisionResources, Repository, RepositoryStatus};
use porch_server::{App, Config};
use serde_json::{Value, json};
use tempfile::TempDir;

use super::app_support::{reopen, within};

/// The namespace every test works in.
pub(crate) const NS: &str = "default";

/// The longest any single step of a test may take.
pub(crate) const STEP: Duration = Duration::from_secs(30);

/// Runs `fut` under the [`STEP`] timeout, panicking with `what` if it takes longer.
pub(crate) async fn step<T>(what: &str, fut: impl Future<Output = T>) -> T {
    within(STEP, what, fut).await
}

/// A server on a fresh data directory, with a scratch directory for git remotes.
pub(crate) struct Env {
    app: Option<App>,
    pub(crate) client: Client,
    pub(crate) scratch: TempDir,
    config: Config,
    data: TempDir,
}

impl Env {
    /// A server with every default.
    pub(crate) fn start() -> Self {
        Self::with(|_| {})
    }

    /// A server with `tweak` applied to the defaults.
    pub(crate) fn with(tweak: impl FnOnce(&mut Config)) -> Self {
        // `RUST_LOG=porch_server=debug cargo test --test engine` shows the server's log.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        let data = tempfile::Builder::new().prefix("porch-engine-").tempdir().unwrap();
        let scratch = tempfile::Builder::new().prefix("porch-remotes-").tempdir().unwrap();
        let mut config = Config::with_data_dir(data.path());
        tweak(&mut config);
        let app = App::open(&config, None).expect("opening the App");
        let client = app.kube_client();
        Self { app: Some(app), client, scratch, config, data }
    }

    /// The server's data directory.
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    /// Stops the server as a SIGTERM does (the repositories' indexes saved) and opens it again
    /// on the same data directory.
    pub(crate) async fn restart(&mut self) {
        self.app().save_indexes().await;
        self.restart_after_crash().await;
    }

    /// Stops the server without saving anything (as a crash would) and opens it again on the
    /// same data directory.
    pub(crate) async fn restart_after_crash(&mut self) {
        drop(self.app.take());
        self.client = kube::Client::new(
            tower::service_fn(|_: http::Request<kube::client::Body>| async {
                Err::<http::Response<kube::client::Body>, std::io::Error>(std::io::Error::other("restarting"))
            }),
            "default",
        );
        let app = step("reopening the data directory", reopen(&self.config)).await;
        self.client = app.kube_client();
        self.app = Some(app);
    }

    pub(crate) fn app(&self) -> &App {
        self.app.as_ref().expect("the server is running")
    }

    pub(crate) fn prs(&self) -> Api<PackageRevision> {
        Api::namespaced(self.client.clone(), NS)
    }

    pub(crate) fn prrs(&self) -> Api<PackageRevisionResources> {
        Api::namespaced(self.client.clone(), NS)
    }

    pub(crate) fn repos(&self) -> Api<Repository> {
        Api::namespaced(self.client.clone(), NS)
    }

    /// Registers Repository `name` for `url` and waits until it is Ready.
    pub(crate) async fn register(&self, name: &str, url: &str) -> Repository {
        self.register_with(name, json!({"type": "git", "git": {"repo": url, "branch": "main"}})).await
    }

    /// A new bare remote `name.git` under the scratch directory, registered as Repository `name`
    /// (its branch `main` made on first use), Ready.
    pub(crate) async fn register_empty(&self, name: &str) -> std::path::PathBuf {
        let remote = super::support::bare_repo(self.scratch.path(), &format!("{name}.git"));
        let spec = json!({"type": "git", "git": {"repo": super::support::file_url(&remote), "branch": "main", "createBranch": true}});
        self.register_with(name, spec).await;
        remote
    }

    /// Registers Repository `name` with `spec` and waits until it is Ready.
    pub(crate) async fn register_with(&self, name: &str, spec: Value) -> Repository {
        self.create_repository(name, spec).await;
        self.wait_ready(name).await
    }

    /// Creates Repository `name` with `spec` (without waiting for its sync).
    pub(crate) async fn create_repository(&self, name: &str, spec: Value) {
        let repo: Repository = serde_json::from_value(json!({
            "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
            "metadata": {"name": name}, "spec": spec,
        }))
        .unwrap();
        self.repos().create(&PostParams::default(), &repo).await.expect("creating the Repository");
    }

    /// Waits until Repository `name` has `Ready` True.
    pub(crate) async fn wait_ready(&self, name: &str) -> Repository {
        step(&format!("repository {name} to become Ready"), async {
            loop {
                let repo = self.repos().get(name).await.unwrap();
                match repo.status.as_ref().and_then(RepositoryStatus::ready) {
                    Some(c) if c.status == "True" => return repo,
                    Some(c) if c.reason == "Error" => panic!("repository {name} failed: {}", c.message),
                    _ => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        })
        .await
    }

    /// Creates a PackageRevision from `spec` (the name is computed by the server).
    pub(crate) async fn create(&self, spec: Value) -> Result<PackageRevision, Error> {
        self.create_with(json!({}), spec).await
    }

    /// Creates a PackageRevision with `metadata` and `spec`.
    pub(crate) async fn create_with(&self, metadata: Value, spec: Value) -> Result<PackageRevision, Error> {
        let mut metadata = metadata;
        metadata["name"] = json!("ignored-by-the-server");
        let pr: PackageRevision = serde_json::from_value(json!({
            "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision",
            "metadata": metadata, "spec": spec,
        }))
        .unwrap();
        self.prs().create(&PostParams::default(), &pr).await
    }

    /// An init draft of `package` in `workspace` of `repository`.
    pub(crate) async fn init(&self, repository: &str, package: &str, workspace: &str) -> PackageRevision {
        self.create(json!({"repository": repository, "packageName": package, "workspaceName": workspace}))
            .await
            .unwrap_or_else(|e| panic!("creating {repository}/{package}/{workspace}: {e}"))
    }

    /// Sets `spec.lifecycle` with a merge patch.
    pub(crate) async fn set_lifecycle(&self, name: &str, lifecycle: &str) -> Result<PackageRevision, Error> {
        let patch = json!({"spec": {"lifecycle": lifecycle}});
        self.prs().patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await
    }

    /// Approves (or rejects) through the `approval` subresource with a full PUT.
    pub(crate) async fn approval(&self, name: &str, lifecycle: &str) -> Result<PackageRevision, Error> {
        let mut pr = self.prs().get(name).await?;
        pr.spec.lifecycle = Some(lifecycle.into());
        self.prs().replace_subresource("approval", name, &PostParams::default(), &pr).await
    }

    /// Draft → Proposed → Published.
    pub(crate) async fn publish(&self, name: &str) -> PackageRevision {
        self.set_lifecycle(name, "Proposed").await.unwrap_or_else(|e| panic!("proposing {name}: {e}"));
        self.approval(name, "Published").await.unwrap_or_else(|e| panic!("approving {name}: {e}"))
    }
}

/// The API error of a failed call.
pub(crate) fn api_error(result: Result<impl std::fmt::Debug, Error>) -> kube::core::Status {
    match result {
        Err(Error::Api(status)) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Whether the latest-revision label is set.
pub(crate) fn is_latest(pr: &PackageRevision) -> bool {
    pr.metadata.labels.as_ref().and_then(|l| l.get("kpt.dev/latest-revision")).map(String::as_str)
        == Some("true")
}

/// `(name, revision, lifecycle)` of each item.
pub(crate) fn rows(items: &[PackageRevision]) -> Vec<(String, i32, String)> {
    items
        .iter()
        .map(|p| {
            let lifecycle = p.spec.lifecycle.as_ref().map(|l| l.as_str().to_string()).unwrap_or_default();
            (p.metadata.name.clone().unwrap_or_default(), p.spec.revision, lifecycle)
        })
        .collect()
}
