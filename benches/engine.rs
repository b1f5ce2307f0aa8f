//! The package engine through the whole API stack, in-process: an [`App`] on a temporary data
//! directory, requests sent to `App::service()` as `http::Request`s with full bodies, response
//! bodies collected in full (so routing, the layer stack and the HTTP encoding are all timed; only
//! the socket is not). Run with `cargo bench --bench engine`; prints one line per figure.
//!
//! - list: R repositories (`file://` bare remotes, copies of one template built with git2) of
//!   V revisions each (V/2 packages, each tagged `v1`, plus its `main` placeholder), registered
//!   as Repository objects and waited on until Ready; then N full unfiltered lists of
//!   `packagerevisions` in the namespace, as plain JSON and as a `meta.k8s.io/v1` Table: p50/p99
//!   of each (after a first, timed and reported list that builds every revision's object once),
//!   against `serde_json::to_vec` of the same R × V items (parsed from the JSON list
//!   once) as the baseline, and the ratios (goal: p99 < 100 ms, ratio ≤ 3);
//! - lifecycle: M cycles of POST init → PATCH `Proposed` → GET → PUT `approval` `Published`, a new
//!   package each time, on one Repository (`createBranch` on an empty bare remote): p50/p99 of the
//!   whole cycle, against the git CLI doing the same commits, tag and push on a work tree of a
//!   separate bare remote (draft commit pushed as a branch, `merge --no-ff` on main, tag, branch
//!   deleted, one `push --atomic`), and the ratio (goal ≤ 2).
//!
//! Defaults: R=100, V=100 (10 000 revisions), N=100, M=20; override with `BENCH_REPOS`,
//! `BENCH_REVISIONS_PER_REPO`, `BENCH_LIST_RUNS`, `BENCH_LIFECYCLE_RUNS`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use kube::api::{Api, ListParams, PostParams};
use porch_server::{ApiStack, App, Config};
use serde_json::{Value, json};
use tower::ServiceExt;

mod support;
use support::git::{bare_repo, file_url, git as git_cli, kptfile};
use support::{build_template, copies, env_usize, ms, percentiles};

/// The namespace everything lives in.
const NS: &str = "default";
/// The packagerevisions collection.
const PRS: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions";
/// What kubectl sends for `kubectl get`.
const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";
/// How long the Repositories may take to become Ready.
const READY_TIMEOUT: Duration = Duration::from_secs(600);

// ---------------------------------------------------------------------------------------------
// Fixtures

// ---------------------------------------------------------------------------------------------
// The server

/// The API stack of an App, called with full request bodies.
struct Client {
    svc: ApiStack<Full<Bytes>>,
}

impl Client {
    /// Sends one request and collects the whole response body.
    async fn send(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> (StatusCode, Bytes) {
        let mut req = Request::builder().method(method.clone()).uri(uri);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req.body(Full::new(body)).unwrap_or_else(|e| panic!("building {method} {uri}: {e}"));
        let res = self.svc.clone().oneshot(req).await.unwrap_or_else(|e| match e {});
        let status = res.status();
        let body = res.into_body().collect().await.unwrap_or_else(|e| match e {}).to_bytes();
        (status, body)
    }

    /// Sends a request and returns the body, panicking unless the status is `want`.
    async fn expect(
        &self,
        want: StatusCode,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Bytes {
        let (status, body) = self.send(method.clone(), uri, headers, body).await;
        assert_eq!(status, want, "{method} {uri}: {}", String::from_utf8_lossy(&body));
        body
    }
}

/// Registers Repository `name` for `url` (not waiting for it).
async fn register(repos: &Api<porch_api::Repository>, name: &str, url: &str, create_branch: bool) {
    let repo: porch_api::Repository = serde_json::from_value(json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
        "metadata": {"name": name},
        "spec": {"type": "git", "git": {"repo": url, "branch": "main", "createBranch": create_branch}},
    }))
    .expect("a Repository object");
    repos
        .create(&PostParams::default(), &repo)
        .await
        .unwrap_or_else(|e| panic!("creating Repository {name}: {e}"));
}

/// Waits until `count` Repositories have `Ready` True; panics on a repository in error.
async fn wait_ready(repos: &Api<porch_api::Repository>, count: usize) {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let list = repos.list(&ListParams::default()).await.expect("listing Repositories");
        let mut ready = 0;
        for repo in &list.items {
            let condition = repo.status.as_ref().and_then(|s| s.ready());
            match condition {
                Some(c) if c.status == "True" => ready += 1,
                Some(c) if c.reason == "Error" => {
                    panic!("repository {:?} failed: {}", repo.metadata.name, c.message)
                }
                _ => {}
            }
        }
        if ready == count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {ready} of {count} repositories Ready after {READY_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Listing

/// Times `runs` full lists with `accept`; returns the latencies and the last body.
async fn time_lists(client: &Client, accept: &str, runs: usize) -> (Vec<Duration>, Bytes) {
    let mut samples = Vec::with_capacity(runs);
    let mut last = Bytes::new();
    for _ in 0..runs {
        let start = Instant::now();
        last = client
            .expect(StatusCode::OK, Method::GET, PRS, &[(header::ACCEPT.as_str(), accept)], Bytes::new())
            .await;
        samples.push(start.elapsed());
    }
    (samples, last)
}

/// Times `runs` serializations of `items` alone.
fn time_serde(items: &[Value], runs: usize) -> Vec<Duration> {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(serde_json::to_vec(items).expect("serializing the items"));
            start.elapsed()
        })
        .collect()
}

fn print_pair(label: &str, (p50, p99): (Duration, Duration), extra: &str) {
    println!("{label}: p50 {:.2} ms, p99 {:.2} ms{extra}", ms(p50), ms(p99));
}

async fn list_bench(app: &App, client: &Client, root: &Path, repos: usize, per_repo: usize, runs: usize) {
    let packages = per_repo / 2;
    let expected = repos * packages * 2;
    let start = Instant::now();
    let template = root.join("template.git");
    build_template(&template, packages, 1);
    let remotes = copies(&template, root, repos);
    let built = start.elapsed();

    let start = Instant::now();
    let api: Api<porch_api::Repository> = Api::namespaced(app.kube_client(), NS);
    for (i, remote) in remotes.iter().enumerate() {
        register(&api, &format!("repo-{i:03}"), &file_url(remote), false).await;
    }
    wait_ready(&api, repos).await;
    println!(
        "list fixture: {repos} repositories x {packages} packages x (v1 + main placeholder) built in {:.1} s, \
         registered and Ready in {:.1} s",
        built.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );

    // The first list builds every revision's object once (they are kept with the revision);
    // it is reported on its own, the steady state after it.
    let (cold, _) = time_lists(client, "application/json", 1).await;
    println!("first list after the repositories opened (objects built): {:.2} ms", ms(cold[0]));
    let (json_samples, body) = time_lists(client, "application/json", runs).await;
    let list: Value = serde_json::from_slice(&body).expect("the list is JSON");
    let items = match list.get("items") {
        Some(Value::Array(items)) => items.clone(),
        _ => panic!("the list has no items array"),
    };
    assert_eq!(items.len(), expected, "revisions listed");
    let (table_samples, table) = time_lists(client, TABLE, runs).await;
    let table_len = table.len();
    let table: Value = serde_json::from_slice(&table).expect("the Table is JSON");
    assert_eq!(table["kind"], "Table", "the Table response");
    let rows = table["rows"].as_array().map_or(0, Vec::len);
    assert_eq!(rows, expected, "Table rows");
    let serde_samples = time_serde(&items, runs);

    let (json, tab, serde) =
        (percentiles(json_samples), percentiles(table_samples), percentiles(serde_samples));
    let ratio = |a: (Duration, Duration)| {
        format!("; ratio to serde p50 {:.2}, p99 {:.2}", ms(a.0) / ms(serde.0), ms(a.1) / ms(serde.1))
    };
    println!(
        "list {expected} revisions: JSON body {:.1} MiB, Table body {:.1} MiB ({runs} runs each)",
        body.len() as f64 / (1 << 20) as f64,
        table_len as f64 / (1 << 20) as f64
    );
    print_pair("list JSON", json, &ratio(json));
    print_pair("list Table", tab, &ratio(tab));
    print_pair("serde_json::to_vec of the items (baseline)", serde, "");
}

// ---------------------------------------------------------------------------------------------
// 2. init → propose → approve

/// One API cycle for `package`: POST init, PATCH Proposed, GET, PUT approval Published; returns
/// how long each of the four requests took.
async fn api_cycle(client: &Client, repository: &str, package: &str) -> [Duration; 4] {
    let mut steps = [Duration::ZERO; 4];
    let mut clock = Instant::now();
    let mut lap = |step: usize| {
        steps[step] = clock.elapsed();
        clock = Instant::now();
    };
    let json = (header::CONTENT_TYPE.as_str(), "application/json");
    let pr = json!({
        "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision",
        "metadata": {"name": "ignored-by-the-server", "namespace": NS},
        "spec": {"repository": repository, "packageName": package, "workspaceName": "v1-draft"},
    });
    let created =
        client.expect(StatusCode::CREATED, Method::POST, PRS, &[json], Bytes::from(pr.to_string())).await;
    lap(0);
    let created: Value = serde_json::from_slice(&created).expect("the created object is JSON");
    let name = created["metadata"]["name"].as_str().expect("the created object has a name").to_string();
    let uri = format!("{PRS}/{name}");

    let patch = Bytes::from_static(br#"{"spec":{"lifecycle":"Proposed"}}"#);
    let merge = (header::CONTENT_TYPE.as_str(), "application/merge-patch+json");
    let patch = client.expect(StatusCode::OK, Method::PATCH, &uri, &[merge], patch).await;
    lap(1);
    drop(patch);

    let got = client.expect(StatusCode::OK, Method::GET, &uri, &[], Bytes::new()).await;
    lap(2);
    let mut pr: Value = serde_json::from_slice(&got).expect("the revision is JSON");
    assert_eq!(pr["spec"]["lifecycle"], "Proposed", "{name} after the patch");
    pr["spec"]["lifecycle"] = json!("Published");
    let approval = format!("{uri}/approval");
    let body = Bytes::from(serde_json::to_vec(&pr).expect("serializing the revision"));
    let published = client.expect(StatusCode::OK, Method::PUT, &approval, &[json], body).await;
    lap(3);
    let published: Value = serde_json::from_slice(&published).expect("the approved revision is JSON");
    assert_eq!(published["spec"]["lifecycle"], "Published", "{name} after approval");
    steps
}

/// The same git work with the CLI: a draft commit pushed as a branch, then a merge on main, a
/// tag, the branch deleted, and one atomic push.
fn git_cycle(work: &Path, package: &str) {
    let draft = format!("drafts/{package}/v1-draft");
    let dir = work.join(package);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let files = [
        ("Kptfile", kptfile(package)),
        ("README.md", format!("# {package}\n\n{package} description\n")),
        ("package-context.yaml", format!("apiVersion: v1\nkind: ConfigMap\ndata:\n  name: {package}\n")),
    ];
    git_cli(work, &["checkout", "-q", "-b", &draft, "main"]);
    for (file, content) in files {
        std::fs::write(dir.join(file), content).unwrap_or_else(|e| panic!("writing {file}: {e}"));
    }
    git_cli(work, &["add", package]);
    git_cli(work, &["commit", "-q", "-m", &format!("Creating {package}")]);
    git_cli(work, &["push", "-q", "origin", &draft]);
    git_cli(work, &["checkout", "-q", "main"]);
    git_cli(work, &["merge", "-q", "--no-ff", "-m", &format!("Approving {package}/1"), &draft]);
    let tag = format!("{package}/v1");
    git_cli(work, &["tag", &tag]);
    git_cli(work, &["branch", "-q", "-D", &draft]);
    git_cli(work, &["push", "-q", "--atomic", "origin", "main", &tag, &format!(":{draft}")]);
}

/// A work tree of a fresh bare remote, with one initial commit on main pushed.
fn git_work_tree(root: &Path) -> PathBuf {
    let remote = bare_repo(root, "baseline.git");
    let work = root.join("baseline-work");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("creating {}: {e}", work.display()));
    git_cli(&work, &["init", "-q", "-b", "main"]);
    git_cli(&work, &["remote", "add", "origin", &file_url(&remote)]);
    git_cli(&work, &["commit", "-q", "--allow-empty", "-m", "init"]);
    git_cli(&work, &["push", "-q", "origin", "main"]);
    work
}

async fn lifecycle_bench(app: &App, client: &Client, root: &Path, runs: usize) {
    let remote = bare_repo(root, "lifecycle.git");
    let api: Api<porch_api::Repository> = Api::namespaced(app.kube_client(), NS);
    register(&api, "lifecycle", &file_url(&remote), true).await;
    let already = api.list(&ListParams::default()).await.expect("listing Repositories").items.len();
    wait_ready(&api, already).await;

    let mut server = Vec::with_capacity(runs);
    let mut steps: [Vec<Duration>; 4] = Default::default();
    for i in 0..runs {
        let start = Instant::now();
        let took = api_cycle(client, "lifecycle", &format!("app{i:03}")).await;
        server.push(start.elapsed());
        for (all, one) in steps.iter_mut().zip(took) {
            all.push(one);
        }
    }
    let [create, propose, get, approve] = steps.map(|s| ms(percentiles(s).0));
    let work = git_work_tree(root);
    let mut baseline = Vec::with_capacity(runs);
    for i in 0..runs {
        let start = Instant::now();
        git_cycle(&work, &format!("app{i:03}"));
        baseline.push(start.elapsed());
    }
    let (server, baseline) = (percentiles(server), percentiles(baseline));
    let ratio = format!(
        "; ratio to git CLI p50 {:.2}, p99 {:.2}",
        ms(server.0) / ms(baseline.0),
        ms(server.1) / ms(baseline.1)
    );
    print_pair(&format!("init -> propose -> approve ({runs} cycles)"), server, &ratio);
    println!(
        "  per request, p50: POST init {create:.2} ms, PATCH Proposed {propose:.2} ms, GET {get:.2} ms, \
         PUT approval {approve:.2} ms"
    );
    print_pair("git CLI commit + push draft, merge --no-ff + tag + atomic push (baseline)", baseline, "");
}

#[tokio::main]
async fn main() {
    let repos = env_usize("BENCH_REPOS", 100);
    let per_repo = env_usize("BENCH_REVISIONS_PER_REPO", 100);
    let list_runs = env_usize("BENCH_LIST_RUNS", 100);
    let lifecycle_runs = env_usize("BENCH_LIFECYCLE_RUNS", 20);
    assert!(
        per_repo >= 2 && per_repo.is_multiple_of(2),
        "BENCH_REVISIONS_PER_REPO must be even (packages × 2)"
    );

    let tmp = tempfile::tempdir().expect("a temporary directory");
    let root = tmp.path();
    let app = App::open(&Config::with_data_dir(root.join("data")), None).expect("opening the App");
    let client = Client { svc: app.service() };

    list_bench(&app, &client, root, repos, per_repo, list_runs).await;
    lifecycle_bench(&app, &client, root, lifecycle_runs).await;
}
