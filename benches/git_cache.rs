//! The repository cache (`src/cache`) over real git remotes on `file://`. Run with
//! `cargo bench --bench git_cache`; prints one line per figure.
//!
//! - cold index: R repositories × P packages × 3 revisions (tags) each opened (fetch + full
//!   discovery) one after another, time and peak RSS (`VmHWM`, reset before the phase), against
//!   `git clone --mirror` of the same repositories run sequentially;
//! - incremental refresh after one new tag in one of the R repositories, and a no-op refresh;
//! - approve latency (create draft + propose untimed, approve timed) with 10 and with 10 000
//!   revisions in the repository: p50/p99 and the ratio (20 approvals each by default, so p99
//!   is close to the maximum), alternating between the two repositories; then the same with a
//!   refresh (untimed) between the proposal and the approval.
//!
//! Defaults are the sizes (R=100, P=100, 10 000 revisions); override with
//! `BENCH_REPOS`, `BENCH_PACKAGES`, `BENCH_BIG_REVISIONS`, `BENCH_APPROVALS`. Fixtures are built
//! with git2 (one template repository, packed once with the git CLI, copied R times).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use git2::{Repository, Signature};
use porch_server::cache::{CacheOptions, ChangeLog, RepositoryCache, RepositorySpec};
use porch_server::git::{DraftContent, GitRepository, Libgit2Options, RepoConfig, init_libgit2};

#[path = "../tests/support/change_log.rs"]
mod change_log;
mod support;
use support::git::{git as git_cli, kptfile};
use support::{build_template, copies, env_usize, ms, package_tree, quantile};

/// Peak and current resident set size in KiB.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Resets `VmHWM` to the current RSS (Linux: write 5 to clear_refs).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn spec(data_dir: &Path, name: &str, remote: &Path) -> RepositorySpec {
    RepositorySpec {
        namespace: "bench".into(),
        name: name.into(),
        config: RepoConfig::new(format!("file://{}", remote.display())),
        credentials: None,
        data_dir: data_dir.to_path_buf(),
    }
}

/// One repository of the approve benchmark: a cache on a remote with one package `app` holding
/// `revisions` tags (one commit).
struct ApproveBench {
    cache: RepositoryCache,
    /// Revisions before the first approval.
    revisions: usize,
    /// Approvals so far.
    approved: usize,
    latencies: Vec<Duration>,
}

impl ApproveBench {
    async fn new(root: &Path, label: &str, revisions: usize, versions: Arc<dyn ChangeLog>) -> Self {
        let remote = root.join(format!("approve-{label}.git"));
        {
            let repo = Repository::init_bare(&remote).unwrap();
            repo.set_head("refs/heads/main").unwrap();
            let sig = Signature::new("Dev", "dev@example.com", &git2::Time::new(1_700_000_000, 0)).unwrap();
            let mut root_tree = repo.treebuilder(None).unwrap();
            root_tree.insert("app", package_tree(&repo, "app", "base"), 0o040000).unwrap();
            let tree = repo.find_tree(root_tree.write().unwrap()).unwrap();
            let commit = repo.commit(None, &sig, &sig, "base", &tree, &[]).unwrap();
            repo.reference("refs/heads/main", commit, true, "").unwrap();
            for n in 1..=revisions {
                repo.reference(&format!("refs/tags/app/v{n}"), commit, true, "").unwrap();
            }
            git_cli(&remote, &["pack-refs", "--all"]);
        }
        let cache = RepositoryCache::new(
            spec(&root.join(format!("data-{label}")), label, &remote),
            versions,
            CacheOptions::default(),
        )
        .await
        .unwrap();
        cache.open().await.unwrap();
        assert_eq!(cache.len(), revisions + 1);
        Self { cache, revisions, approved: 0, latencies: Vec::new() }
    }

    /// Creates and proposes a fresh draft of `app` (untimed), then times its approval; with
    /// `refresh`, a refresh (untimed) runs before the approval, so the mirror holds the proposed
    /// branch as the fetch stored it, as when a periodic sync ran while it was proposed.
    async fn approve(&mut self, refresh: bool) {
        let i = self.approved;
        let ws = format!("b{i}");
        let files = [
            ("Kptfile".to_string(), kptfile("app").into_bytes()),
            ("cm.yaml".to_string(), format!("kind: ConfigMap\ndata: {i}\n").into_bytes()),
        ];
        let content = DraftContent { files: files.into_iter().collect(), task: None, user: None };
        self.cache.create_draft("app", &ws, content).await.unwrap();
        self.cache.propose("app", &ws).await.unwrap();
        if refresh {
            self.cache.refresh().await.unwrap();
        }
        let start = Instant::now();
        let approved = self.cache.approve("app", &ws, None).await.unwrap();
        self.latencies.push(start.elapsed());
        assert_eq!(approved.revision.revision as usize, self.revisions + i + 1);
        self.approved += 1;
    }

    /// The latencies, sorted.
    fn sorted(&self) -> Vec<Duration> {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted
    }
}

#[tokio::main]
async fn main() {
    let repos = env_usize("BENCH_REPOS", 100);
    let packages = env_usize("BENCH_PACKAGES", 100);
    let big = env_usize("BENCH_BIG_REVISIONS", 10_000);
    let approvals = env_usize("BENCH_APPROVALS", 20);
    // libgit2's process-wide settings before any git2 call (see `git/libgit2.rs`).
    init_libgit2(Libgit2Options::default());
    if std::env::var("BENCH_LIBGIT2_CACHE").is_ok_and(|v| v == "0") {
        git2::opts::enable_caching(false);
        println!("libgit2 object cache disabled");
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // The caches alone: resourceVersions from a counter (the server's PackageRev writes are in
    // the `engine` bench).
    let versions: Arc<dyn ChangeLog> = change_log::Sequence::default().log();

    // Fixture.
    let start = Instant::now();
    let template = root.join("template.git");
    build_template(&template, packages, 3);
    let remotes = copies(&template, root, repos);
    println!(
        "fixture: {repos} repositories x {packages} packages x 3 revisions built in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    // Baseline: git clone --mirror, sequentially.
    let clones = root.join("clones");
    std::fs::create_dir_all(&clones).unwrap();
    let start = Instant::now();
    for (i, remote) in remotes.iter().enumerate() {
        let url = format!("file://{}", remote.display());
        git_cli(&clones, &["clone", "--mirror", "-q", &url, &format!("c{i:03}.git")]);
    }
    let baseline = start.elapsed();

    // Cold index, sequentially.
    reset_peak_rss();
    let (_, rss_before) = rss_kib();
    let data = root.join("data");
    let start = Instant::now();
    let mut caches = Vec::with_capacity(repos);
    let mut revisions = 0;
    for (i, remote) in remotes.iter().enumerate() {
        let cache = RepositoryCache::new(
            spec(&data, &format!("r{i:03}"), remote),
            versions.clone(),
            CacheOptions::default(),
        )
        .await
        .unwrap();
        revisions += cache.open().await.unwrap().len();
        caches.push(cache);
    }
    let cold = start.elapsed();
    let (peak, rss_after) = rss_kib();
    println!(
        "cold index: {revisions} revisions in {:.2} s ({:.1} ms/repo); git clone --mirror x{repos}: {:.2} s; ratio {:.2}",
        cold.as_secs_f64(),
        ms(cold) / repos as f64,
        baseline.as_secs_f64(),
        cold.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "cold index memory: peak RSS {:.1} MiB (RSS before {:.1} MiB, after {:.1} MiB)",
        peak as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );

    // Where the cold-index time goes, on up to 10 fresh mirrors: fetch vs discovery.
    let sample = repos.min(10);
    let (mut fetch, mut discover) = (Duration::ZERO, Duration::ZERO);
    for (i, remote) in remotes.iter().take(sample).enumerate() {
        let config = RepoConfig::new(format!("file://{}", remote.display()));
        let git = GitRepository::open(root.join(format!("breakdown/{i}")), config, None).await.unwrap();
        let start = Instant::now();
        let refs = git.fetch().await.unwrap().refs;
        fetch += start.elapsed();
        let start = Instant::now();
        git.discover_all(refs).await.unwrap();
        discover += start.elapsed();
    }
    println!(
        "cold index breakdown ({sample} repositories): fetch {:.1} ms/repo, discovery {:.1} ms/repo",
        ms(fetch) / sample as f64,
        ms(discover) / sample as f64
    );

    // Incremental refresh: one new tag in one repository, with all caches open.
    let target = &caches[repos / 2];
    let remote = Repository::open_bare(&remotes[repos / 2]).unwrap();
    let head = remote.refname_to_id("refs/heads/main").unwrap();
    remote.reference("refs/tags/pkg000/v4", head, true, "").unwrap();
    let start = Instant::now();
    let events = target.refresh().await.unwrap();
    let refresh = start.elapsed();
    let start = Instant::now();
    let none = target.refresh().await.unwrap();
    let noop = start.elapsed();
    println!(
        "refresh after one new tag: {:.2} ms ({} events, {} refs re-discovered); no-op refresh: {:.2} ms ({} events)",
        ms(refresh),
        events.len(),
        target.stats().rediscovered_refs,
        ms(noop),
        none.len()
    );
    drop(caches);

    // Approve latency, 10 vs `big` revisions: both repositories set up first, then approvals
    // alternate between them, so that both see the same machine (file system writeback,
    // other load) instead of one running in the wake of the other's fixture. Then the same
    // with a refresh before each approval.
    let mut small = ApproveBench::new(root, "small", 10, versions.clone()).await;
    let mut large = ApproveBench::new(root, "large", big, versions.clone()).await;
    for refresh in [false, true] {
        small.latencies.clear();
        large.latencies.clear();
        for _ in 0..approvals {
            small.approve(refresh).await;
            large.approve(refresh).await;
        }
        let (small, large) = (small.sorted(), large.sorted());
        let (s50, s99) = (quantile(&small, 0.5), quantile(&small, 0.99));
        let (l50, l99) = (quantile(&large, 0.5), quantile(&large, 0.99));
        println!(
            "approve{} with 10 revisions: p50 {:.2} ms, p99 {:.2} ms; with {big}: p50 {:.2} ms, p99 {:.2} ms; \
             ratio p50 {:.2}, p99 {:.2} ({approvals} approvals each)",
            if refresh { " after a refresh" } else { "" },
            ms(s50),
            ms(s99),
            ms(l50),
            ms(l99),
            ms(l50) / ms(s50),
            ms(l99) / ms(s99)
        );
    }
}
