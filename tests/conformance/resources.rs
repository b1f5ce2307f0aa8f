//! The seven served resources, each described for the generic suite, and one test each.
//!
//! The embedded store's kinds (Repository, PackageRev, Secret, Namespace) serve every verb but
//! Namespace's deletecollection. PackageRevisions serve every verb but deletecollection; the
//! other porch.kpt.dev resources are made through PackageRevisions: PackageRevisionResources
//! serve get, list, watch, update and patch, PorchPackages get, list and watch only.

use serde_json::{Value, json};

use crate::env::{Env, repository, repository_settled};
use crate::fixture::{Change, Fixture, Info, StrategicMerge, Verb};
use crate::suite;
use crate::wire::{self, NS};

const CONFIG: &str = "config.porch.kpt.dev";
const PORCH: &str = "porch.kpt.dev";
/// The Repository of the porch.kpt.dev fixtures.
const REPO: &str = "conformance";

/// A change of annotation `conformance/round`.
fn annotation(round: usize) -> Change {
    Change { pointer: "/metadata/annotations/conformance~1round".into(), value: json!(round.to_string()) }
}

/// A change of file `round.yaml` of a package.
fn file(round: usize) -> Change {
    let content =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: round\ndata:\n  round: \"{round}\"\n");
    Change { pointer: "/spec/resources/round.yaml".into(), value: json!(content) }
}

struct Repositories(Info);

impl Fixture for Repositories {
    fn info(&self) -> &Info {
        &self.0
    }

    async fn env(&self) -> Env {
        Env::start(true).await
    }

    fn object(&self, env: &Env, i: usize, labels: &Value) -> Value {
        let name = format!("repo-{i}");
        repository(&name, &env.remote(&name), labels.clone())
    }

    /// A spec change: the controller reports the new generation.
    fn change(&self, round: usize) -> Change {
        Change { pointer: "/spec/description".into(), value: json!(format!("round {round}")) }
    }

    fn settled(&self, obj: &Value) -> bool {
        repository_settled(obj)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repositories() {
    let info = Info { controlled: true, ..Info::new(CONFIG, "v1alpha1", "repositories", "Repository") };
    suite::run(&Repositories(info)).await;
}

/// A store kind whose objects are `body(i)` with metadata added.
struct Stored {
    info: Info,
    body: fn(usize) -> Value,
}

impl Fixture for Stored {
    fn info(&self) -> &Info {
        &self.info
    }

    async fn env(&self) -> Env {
        Env::start(false).await
    }

    fn object(&self, _env: &Env, i: usize, labels: &Value) -> Value {
        let mut obj = (self.body)(i);
        obj["apiVersion"] = json!(self.info.api_version());
        obj["kind"] = json!(self.info.kind);
        obj["metadata"] = self.info.metadata(&format!("conformance-{i}"), labels);
        obj
    }

    fn change(&self, round: usize) -> Change {
        annotation(round)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packagerevs() {
    let info = Info::new(CONFIG, "v1alpha1", "packagerevs", "PackageRev");
    suite::run(&Stored { info, body: |_| json!({"spec": {}}) }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets() {
    let info = Info {
        // kube-apiserver applies strategic merge patches to Secrets (the default of `kubectl
        // patch`, and what `kubectl apply` sends for an existing Secret).
        strategic_merge: StrategicMerge::Applied,
        ..Info::new("", "v1", "secrets", "Secret")
    };
    // divergence: kube-apiserver answers the delete of a Secret with a Status (Success), not the
    // Secret; the suite expects the deleted object, as this server answers for every kind.
    let body = |i| json!({"type": "Opaque", "stringData": {"username": format!("user-{i}")}});
    suite::run(&Stored { info, body }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces() {
    let info = Info {
        namespaced: false,
        verbs: &[Verb::Create, Verb::Update, Verb::Patch, Verb::Delete],
        // As for Secrets, kube-apiserver applies strategic merge patches here.
        strategic_merge: StrategicMerge::Applied,
        ..Info::new("", "v1", "namespaces", "Namespace")
    };
    suite::run(&Stored { info, body: |_| json!({}) }).await;
}

/// The PackageRevision of package `pkg-<i>` in workspace `ws`, with `labels`.
fn package_revision(i: usize, labels: &Value) -> Value {
    json!({
        "apiVersion": "porch.kpt.dev/v1alpha1",
        "kind": "PackageRevision",
        "metadata": {"name": "ignored-by-the-server", "namespace": NS, "labels": labels},
        "spec": {"repository": REPO, "packageName": format!("pkg-{i}"), "workspaceName": "ws"},
    })
}

const REVISIONS: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions";

/// A server with Repository [`REPO`] Ready.
async fn engine_env() -> Env {
    let env = Env::start(true).await;
    env.register(REPO).await;
    env
}

/// Creates the draft of package `pkg-<i>` and returns it.
async fn draft(env: &Env, i: usize, labels: &Value) -> Value {
    wire::ok(
        &env.json("POST", REVISIONS, &package_revision(i, labels)).await,
        201,
        "creating a PackageRevision",
    )
}

/// Deletes the draft `name`.
async fn delete_draft(env: &Env, name: &str) {
    wire::ok(
        &env.send("DELETE", &format!("{REVISIONS}/{name}"), "application/json", b"").await,
        200,
        "deleting a draft",
    );
}

struct PackageRevisions(Info);

impl Fixture for PackageRevisions {
    fn info(&self) -> &Info {
        &self.0
    }

    async fn env(&self) -> Env {
        engine_env().await
    }

    fn object(&self, _env: &Env, i: usize, labels: &Value) -> Value {
        package_revision(i, labels)
    }

    fn change(&self, round: usize) -> Change {
        annotation(round)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packagerevisions() {
    let info = Info {
        verbs: &[Verb::Create, Verb::Update, Verb::Patch, Verb::Delete],
        // divergence: kube-apiserver answers AlreadyExists for a name taken; the name of a
        // PackageRevision is made of its package and workspace, and Porch's uniqueness message
        // comes as a 409 Conflict.
        duplicate: "Conflict",
        // Porch's k8s.io/apiserver applies strategic merge patches to its own Go types.
        strategic_merge: StrategicMerge::Applied,
        ..Info::new(PORCH, "v1alpha1", "packagerevisions", "PackageRevision")
    };
    suite::run(&PackageRevisions(info)).await;
}

/// A resource whose objects come with a draft PackageRevision: PackageRevisionResources (named
/// as the revision) and PorchPackages (named `<repository>.<package>`).
struct MadeByDrafts {
    info: Info,
    /// This resource's name of the object of a draft.
    name_of: fn(&Value) -> String,
    /// What an update or patch changes.
    change: fn(usize) -> Change,
}

impl Fixture for MadeByDrafts {
    fn info(&self) -> &Info {
        &self.info
    }

    async fn env(&self) -> Env {
        engine_env().await
    }

    fn object(&self, _env: &Env, i: usize, _labels: &Value) -> Value {
        json!({
            "apiVersion": self.info.api_version(),
            "kind": self.info.kind,
            "metadata": self.info.metadata(&format!("{REPO}.pkg-{i}"), &json!({})),
            "spec": {"repository": REPO, "packageName": format!("pkg-{i}")},
        })
    }

    async fn make(&self, env: &Env, i: usize, labels: &Value) -> Value {
        let name = (self.name_of)(&draft(env, i, labels).await);
        env.read(&self.info.item(&name)).await
    }

    /// Deletes the draft the object came with.
    async fn unmake(&self, env: &Env, name: &str) {
        let revision = if self.info.resource == "packages" { format!("{name}.ws") } else { name.to_string() };
        delete_draft(env, &revision).await;
    }

    fn change(&self, round: usize) -> Change {
        (self.change)(round)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packagerevisionresources() {
    let info = Info {
        verbs: &[Verb::Update, Verb::Patch],
        status_in_update_answer_only: true,
        strategic_merge: StrategicMerge::Applied,
        ..Info::new(PORCH, "v1alpha1", "packagerevisionresources", "PackageRevisionResources")
    };
    suite::run(&MadeByDrafts { info, name_of: wire::name, change: file }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages() {
    let info = Info { verbs: &[], labels: false, ..Info::new(PORCH, "v1alpha1", "packages", "PorchPackage") };
    let name_of = |pr: &Value| format!("{REPO}.{}", pr["spec"]["packageName"].as_str().unwrap_or_default());
    // Refused (405) whatever it is: one that would apply cleanly.
    suite::run(&MadeByDrafts { info, name_of, change: annotation }).await;
}
