//! The git transfer metrics: fetches and pushes timed by repository and outcome, with the bytes
//! they moved, over the network (a real `git http-backend` on 127.0.0.1) and to a local remote
//! (no bytes transferred; a push that finds its ref moved is a `conflict`).

#[path = "support/http.rs"]
mod http;
#[path = "support/git.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use http::{HttpAuth, HttpGitServer};
use metrics_exporter_prometheus::PrometheusHandle;
use porch_server::git::{DraftContent, GitRepository, RepoConfig};
use support::{blueprints, file_url, kptfile};

/// The process-wide recorder, installed once.
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| porch_server::metrics::prometheus().unwrap().install_recorder().unwrap())
}

/// The value of the series `name{…}` whose labels include all of `labels`.
fn sample(name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let text = recorder().render();
    text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        let all = labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
        (metric == name && all).then(|| value.parse().ok()).flatten()
    })
}

fn config(url: String, repository: &str) -> RepoConfig {
    let mut config = RepoConfig::new(url);
    config.repository = repository.to_string();
    config
}

fn content(name: &str) -> DraftContent {
    DraftContent {
        files: BTreeMap::from([("Kptfile".to_string(), kptfile(name).into_bytes())]),
        task: None,
        user: Some("tester".into()),
    }
}

#[tokio::test]
async fn network_transfers_are_timed_with_their_bytes() {
    recorder();
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    blueprints(&base);
    let server = HttpGitServer::start(base, HttpAuth::None).await;
    let config = config(server.url("blueprints.git"), "metrics/http");
    let repo = GitRepository::open(tmp.path().join("m"), config, None).await.unwrap();
    repo.fetch().await.unwrap();
    repo.create_draft("web".into(), "ws".into(), content("web")).await.unwrap();

    let repository = ("repository", "metrics/http");
    let ok = [repository, ("outcome", "success")];
    assert_eq!(sample("porch_git_fetch_duration_seconds_count", &ok), Some(1.0));
    assert_eq!(sample("porch_git_push_duration_seconds_count", &ok), Some(1.0));
    let received = sample("porch_git_fetch_bytes_total", &[repository]).unwrap();
    let sent = sample("porch_git_push_bytes_total", &[repository]).unwrap();
    assert!(received > 1000.0, "the blueprints repository's pack: {received}");
    assert!(sent > 0.0, "the draft's commit, tree and blob: {sent}");
}

#[tokio::test]
async fn a_local_push_that_finds_its_ref_moved_is_a_conflict() {
    recorder();
    let tmp = tempfile::tempdir().unwrap();
    let remote = blueprints(tmp.path());
    let url = file_url(&remote);
    let a =
        GitRepository::open(tmp.path().join("a"), config(url.clone(), "metrics/local"), None).await.unwrap();
    let b = GitRepository::open(tmp.path().join("b"), config(url, "metrics/local"), None).await.unwrap();
    a.fetch().await.unwrap();
    b.fetch().await.unwrap();
    a.create_draft("web".into(), "ws".into(), content("web")).await.unwrap();
    // b has not seen a's draft: its push expects the branch absent and finds it.
    let _ = b.create_draft("web".into(), "ws".into(), content("web")).await;

    let repository = ("repository", "metrics/local");
    let conflicts = sample("porch_git_push_duration_seconds_count", &[repository, ("outcome", "conflict")]);
    assert!(conflicts >= Some(1.0), "{conflicts:?}");
    let fetches = sample("porch_git_fetch_duration_seconds_count", &[repository, ("outcome", "success")]);
    assert!(fetches >= Some(2.0), "{fetches:?}");
    assert_eq!(sample("porch_git_fetch_bytes_total", &[repository]), Some(0.0), "copied, not transferred");
}
