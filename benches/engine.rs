//! The package engine as its users see it: the `porch-server` binary of this workspace as a child
//! process (plain HTTP on a free loopback port, a temporary data directory), every request over a
//! real TCP socket (one keep-alive connection), every response read in full. Run with
//! `cargo bench --bench engine`; prints one line per figure.
//!
//! 1. **Indexing (cold start)**: R `file://` bare remotes (copies of one template built with git2)
//!    of P packages each, every package tagged `v1` (so 2·P revisions: `v1` and its `main`
//!    placeholder), registered as Repository objects; timed from the first registration until all
//!    are Ready and a full list returns every revision, against `git clone --mirror` of each remote
//!    one after another (ratio; goal ≤ 1.5). The server's RSS once indexed and after the first list
//!    (goal < 150 MiB at 10k revisions, < 1 GiB at 100k).
//! 2. **Lists**: N full unfiltered lists of `packagerevisions` in the namespace, as plain JSON and as
//!    a `meta.k8s.io/v1` Table (what `kubectl get` asks for): p50/p99 of each, against the same bytes
//!    served by a static server in this process over the same kind of socket (ratio; goals ≤ 1.5
//!    for JSON, ≤ 2 for the Table).
//! 3. **Restart**: SIGTERM, the binary started again on the same data directory, timed until a
//!    full list returns every revision again (goal < 300 ms at 10k).
//! 4. **Writes flat in repository size**: M cycles of POST init → PATCH `Proposed` → GET → PUT
//!    `approval` `Published` (a new package each time) in a repository of ~0 revisions
//!    (`createBranch` on an empty remote), alternating with the same cycle in a repository of
//!    10 100 revisions (100 packages × `BENCH_LARGE_TAGS` tags, plus their placeholders): p50/p99 of
//!    each step in each, and the ratio large/small per step (goal ≤ 1.2). The small repository's
//!    whole cycle is also compared with the git CLI doing the same commits, tag and push on a work
//!    tree of a separate bare remote (draft commit pushed as a branch, `merge --no-ff` on main,
//!    tag, branch deleted, one `push --atomic`).
//!
//! Defaults: R=100, P=50 (10 000 revisions), N=50, M=20, `BENCH_LARGE_TAGS`=100; override with
//! `BENCH_REPOS`, `BENCH_PACKAGES_PER_REPO`, `BENCH_LIST_RUNS`, `BENCH_LIFECYCLE_RUNS`,
//! `BENCH_LARGE_TAGS`; `BENCH_KEEP=1` keeps the temporary directory (with the server's log).
//! The 100k scale: `BENCH_REPOS=1000 BENCH_LIST_RUNS=10`. The server binary is
//! the one Cargo builds for this bench unless `PORCH_SERVER_BIN` names another.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};

mod support;
use support::git::{bare_repo, file_url, git as git_cli, kptfile};
use support::server::{Conn, Server, register, rss_mib, static_server, status_mib, wait_ready};
use support::{build_template, copies, env_usize, ms, percentiles};

/// The packagerevisions collection.
const PRS: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions";
/// What kubectl sends for `kubectl get`.
const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";
/// How long the Repositories may take to become Ready.
const READY_TIMEOUT: Duration = Duration::from_secs(1800);
/// Packages of the large repository of the write cycles.
const LARGE_PACKAGES: usize = 100;

fn print_pair(label: &str, (p50, p99): (Duration, Duration), extra: &str) {
    println!("{label}: p50 {:.2} ms, p99 {:.2} ms{extra}", ms(p50), ms(p99));
}

/// `; ratio to <what> p50 x, p99 y` of `a` to `b`.
fn ratio(what: &str, a: (Duration, Duration), b: (Duration, Duration)) -> String {
    format!("; ratio to {what} p50 {:.2}, p99 {:.2}", ms(a.0) / ms(b.0), ms(a.1) / ms(b.1))
}

/// GET of `path` with `accept` that must answer 200; the body.
async fn get(conn: &mut Conn, path: &str, accept: &str) -> Vec<u8> {
    let (status, body) = conn.request("GET", path, &[("Accept", accept)], b"").await;
    assert_eq!(status, 200, "GET {path}: {}", String::from_utf8_lossy(&body[..body.len().min(2000)]));
    body
}

/// The number of items of a JSON list body, counted without building them (the restart polls a
/// list of 10k revisions every 5 ms on the same 2 cores as the server; decoding each one as a
/// `Value` took the client ~30 ms of CPU per poll, which the server's start-up then waited for).
fn item_count(body: &[u8]) -> usize {
    #[derive(serde::Deserialize)]
    struct List {
        #[serde(default)]
        items: Vec<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<List>(body).expect("the list is JSON").items.len()
}

/// Lists until the list holds `count` items (polling every 5 ms); the time it took.
async fn until_listed(conn: &mut Conn, count: usize, timeout: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let (status, body) = conn.request("GET", PRS, &[], b"").await;
        if status == 200 && item_count(&body) >= count {
            return start.elapsed();
        }
        assert!(start.elapsed() < timeout, "the list never held {count} revisions within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Times `runs` GETs of `path` with `accept`; returns the latencies and the last body.
async fn time_gets(conn: &mut Conn, path: &str, accept: &str, runs: usize) -> (Vec<Duration>, Vec<u8>) {
    let mut samples = Vec::with_capacity(runs);
    let mut last = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        last = get(conn, path, accept).await;
        samples.push(start.elapsed());
    }
    (samples, last)
}

// ---------------------------------------------------------------------------------------------
// 1. Indexing

/// `git clone --mirror` of each remote into `root/mirrors`, one after another; the total time.
fn clone_each(root: &Path, remotes: &[PathBuf]) -> Duration {
    let into = root.join("mirrors");
    std::fs::create_dir_all(&into).expect("creating the mirrors directory");
    let start = Instant::now();
    for (i, remote) in remotes.iter().enumerate() {
        let dest = into.join(format!("m{i:04}.git"));
        git_cli(&into, &["clone", "-q", "--mirror", &file_url(remote), &dest.to_string_lossy()]);
    }
    let took = start.elapsed();
    std::fs::remove_dir_all(&into).expect("removing the mirrors");
    took
}

/// Registers every remote and waits until a full list holds `expected` revisions; prints the
/// cold start against `git clone --mirror` and the server's memory.
async fn index(server: &Server, conn: &mut Conn, root: &Path, remotes: &[PathBuf], expected: usize) {
    let start = Instant::now();
    for (i, remote) in remotes.iter().enumerate() {
        register(conn, &format!("repo-{i:04}"), &file_url(remote), false).await;
    }
    wait_ready(conn, remotes.len(), READY_TIMEOUT).await;
    let ready = start.elapsed();
    let rss_ready = rss_mib(&server.pid());
    until_listed(conn, expected, READY_TIMEOUT).await;
    let cold = start.elapsed();
    let clones = clone_each(root, remotes);
    println!(
        "cold start, {} repositories registered -> all Ready {:.2} s -> full list of {expected} {:.2} s; \
         git clone --mirror of each {:.2} s; ratio {:.2}",
        remotes.len(),
        ready.as_secs_f64(),
        cold.as_secs_f64(),
        clones.as_secs_f64(),
        cold.as_secs_f64() / clones.as_secs_f64()
    );
    let pid = server.pid();
    println!(
        "server memory holding {expected} revisions: RSS {rss_ready:.0} MiB when Ready, {:.0} MiB after the \
         first list ({:.1} KiB per revision; anonymous {:.0} MiB, the binary and other files {:.0} MiB), peak \
         {:.0} MiB",
        rss_mib(&pid),
        rss_mib(&pid) * 1024.0 / expected as f64,
        status_mib(&pid, "RssAnon"),
        status_mib(&pid, "RssFile"),
        status_mib(&pid, "VmHWM")
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Lists

async fn list_bench(conn: &mut Conn, expected: usize, runs: usize) {
    let (json_samples, json) = time_gets(conn, PRS, "application/json", runs).await;
    assert_eq!(item_count(&json), expected, "revisions listed");
    let (table_samples, table) = time_gets(conn, PRS, TABLE, runs).await;
    let parsed: Value = serde_json::from_slice(&table).expect("the Table is JSON");
    assert_eq!(parsed["kind"], "Table", "the Table response");
    assert_eq!(parsed["rows"].as_array().map_or(0, Vec::len), expected, "Table rows");
    drop(parsed);

    let (json_len, table_len) = (json.len(), table.len());
    let addr = static_server(vec![Bytes::from(json), Bytes::from(table)]).await;
    let mut floor = Conn::open(&addr).await.expect("connecting to the static server");
    let (static_json, _) = time_gets(&mut floor, "/0", "application/json", runs).await;
    let (static_table, _) = time_gets(&mut floor, "/1", "application/json", runs).await;

    let (json, tab) = (percentiles(json_samples), percentiles(table_samples));
    let (static_json, static_table) = (percentiles(static_json), percentiles(static_table));
    let mib = |n: usize| n as f64 / (1 << 20) as f64;
    println!(
        "list {expected} revisions over loopback ({runs} runs each): JSON body {:.1} MiB, Table body {:.1} MiB",
        mib(json_len),
        mib(table_len)
    );
    print_pair("list JSON", json, &ratio("static (goal <= 1.5)", json, static_json));
    print_pair("list Table", tab, &ratio("static (goal <= 2)", tab, static_table));
    print_pair("static server, the JSON bytes (floor)", static_json, "");
    print_pair("static server, the Table bytes (floor)", static_table, "");
}

// ---------------------------------------------------------------------------------------------
// 3. Restart

async fn restart(server: Server, root: &Path, expected: usize) -> (Server, Conn) {
    server.stop();
    let start = Instant::now();
    let server = Server::start(root).await;
    let serving = start.elapsed();
    let mut conn = Conn::open(&server.addr).await.expect("connecting to the restarted server");
    until_listed(&mut conn, expected, READY_TIMEOUT).await;
    println!(
        "restart: serving /readyz after {:.0} ms, full list of {expected} after {:.0} ms (goal < 300 ms)",
        ms(serving),
        ms(start.elapsed())
    );
    (server, conn)
}

// ---------------------------------------------------------------------------------------------
// 4. init → propose → approve

/// One API cycle for `package` in `repository`: POST init, PATCH Proposed, GET, PUT approval
/// Published; returns how long each of the four requests took.
async fn api_cycle(conn: &mut Conn, repository: &str, package: &str) -> [Duration; 4] {
    let mut steps = [Duration::ZERO; 4];
    let mut clock = Instant::now();
    let mut lap = |step: usize| {
        steps[step] = clock.elapsed();
        clock = Instant::now();
    };
    let pr = json!({
        "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision",
        "metadata": {"namespace": "default"},
        "spec": {"repository": repository, "packageName": package, "workspaceName": "v1-draft"},
    });
    let created = conn.expect(201, "POST", PRS, Some(&pr)).await;
    lap(0);
    let name = created["metadata"]["name"].as_str().expect("the created object has a name").to_string();
    let uri = format!("{PRS}/{name}");

    let merge = [("Content-Type", "application/merge-patch+json")];
    let (status, body) = conn.request("PATCH", &uri, &merge, br#"{"spec":{"lifecycle":"Proposed"}}"#).await;
    lap(1);
    assert_eq!(status, 200, "PATCH {uri}: {}", String::from_utf8_lossy(&body));

    let mut pr = conn.expect(200, "GET", &uri, None).await;
    lap(2);
    assert_eq!(pr["spec"]["lifecycle"], "Proposed", "{name} after the patch");
    pr["spec"]["lifecycle"] = json!("Published");
    let published = conn.expect(200, "PUT", &format!("{uri}/approval"), Some(&pr)).await;
    lap(3);
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

/// The four steps' p50/p99 over `cycles`.
fn step_percentiles(cycles: &[[Duration; 4]]) -> [(Duration, Duration); 4] {
    std::array::from_fn(|step| percentiles(cycles.iter().map(|c| c[step]).collect()))
}

async fn lifecycle_bench(conn: &mut Conn, root: &Path, runs: usize, large_tags: usize) {
    let start = Instant::now();
    let small = bare_repo(root, "small.git");
    let large = root.join("large.git");
    build_template(&large, LARGE_PACKAGES, large_tags);
    let large_revisions = LARGE_PACKAGES * (large_tags + 1);
    let already =
        conn.expect(200, "GET", support::server::REPOS, None).await["items"].as_array().map_or(0, Vec::len);
    register(conn, "small", &file_url(&small), true).await;
    register(conn, "large", &file_url(&large), false).await;
    wait_ready(conn, already + 2, READY_TIMEOUT).await;
    println!(
        "write fixture: repository `small` (empty) and `large` ({LARGE_PACKAGES} packages x {large_tags} tags \
         + placeholders = {large_revisions} revisions) built and Ready in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let (mut in_small, mut in_large) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    let (mut whole_small, mut whole_large) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for i in 0..runs {
        let package = format!("app{i:03}");
        let start = Instant::now();
        in_small.push(api_cycle(conn, "small", &package).await);
        whole_small.push(start.elapsed());
        let start = Instant::now();
        in_large.push(api_cycle(conn, "large", &package).await);
        whole_large.push(start.elapsed());
    }
    let (small_steps, large_steps) = (step_percentiles(&in_small), step_percentiles(&in_large));
    println!(
        "writes, {runs} cycles alternating between `small` (~0 revisions) and `large` ({large_revisions}):"
    );
    for (i, step) in ["POST init", "PATCH Proposed", "GET", "PUT approval"].iter().enumerate() {
        let (s, l) = (small_steps[i], large_steps[i]);
        println!(
            "  {step:<15} small p50 {:.2} ms, p99 {:.2} ms | large p50 {:.2} ms, p99 {:.2} ms | ratio p50 {:.2}, p99 {:.2} (goal <= 1.2)",
            ms(s.0),
            ms(s.1),
            ms(l.0),
            ms(l.1),
            ms(l.0) / ms(s.0),
            ms(l.1) / ms(s.1)
        );
    }
    let (whole_small, whole_large) = (percentiles(whole_small), percentiles(whole_large));
    print_pair("  whole cycle in `large`", whole_large, &ratio("`small`", whole_large, whole_small));

    let work = git_work_tree(root);
    let mut baseline = Vec::with_capacity(runs);
    for i in 0..runs {
        let start = Instant::now();
        git_cycle(&work, &format!("app{i:03}"));
        baseline.push(start.elapsed());
    }
    let baseline = percentiles(baseline);
    print_pair(
        "init -> propose -> approve in `small`",
        whole_small,
        &ratio("git CLI", whole_small, baseline),
    );
    print_pair("git CLI commit + push draft, merge --no-ff + tag + atomic push (baseline)", baseline, "");
}

#[tokio::main]
async fn main() {
    let repos = env_usize("BENCH_REPOS", 100);
    let packages = env_usize("BENCH_PACKAGES_PER_REPO", 50);
    let list_runs = env_usize("BENCH_LIST_RUNS", 50);
    let lifecycle_runs = env_usize("BENCH_LIFECYCLE_RUNS", 20);
    let large_tags = env_usize("BENCH_LARGE_TAGS", 100);
    assert!(repos > 0 && packages > 0 && list_runs > 0 && lifecycle_runs > 0, "sizes must be positive");
    let expected = repos * packages * 2;

    let tmp = tempfile::tempdir().expect("a temporary directory");
    let root = tmp.path();
    if std::env::var_os("BENCH_KEEP").is_some() {
        println!("keeping {} (the server log is server.log)", root.display());
    }
    let start = Instant::now();
    let template = root.join("template.git");
    build_template(&template, packages, 1);
    let remotes = copies(&template, root, repos);
    println!(
        "list fixture: {repos} repositories x {packages} packages x (v1 + main placeholder) = {expected} \
         revisions, built in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let server = Server::start(root).await;
    let mut conn = Conn::open(&server.addr).await.expect("connecting to the server");
    index(&server, &mut conn, root, &remotes, expected).await;
    list_bench(&mut conn, expected, list_runs).await;
    drop(conn);
    let (server, mut conn) = restart(server, root, expected).await;
    lifecycle_bench(&mut conn, root, lifecycle_runs, large_tags).await;
    drop(conn);
    server.stop();
    if std::env::var_os("BENCH_KEEP").is_some() {
        let _ = tmp.keep();
    }
}
