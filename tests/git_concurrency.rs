//! Concurrency: many approvals at once (through one mirror, and through two mirrors racing on a
//! git daemon), and reads that do not wait for a slow fetch.

#[path = "support/http.rs"]
mod http;
#[path = "support/git.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use http::{HttpAuth, HttpGitServer};
use porch_server::git::{DraftContent, GitRepository, RepoConfig, Stage};
use support::{GitDaemon, WorkTree, bare_repo, file_url, git, kptfile, remote_refs};

fn content(name: &str) -> DraftContent {
    DraftContent {
        files: BTreeMap::from([
            ("Kptfile".to_string(), kptfile(name).into_bytes()),
            ("data.yaml".to_string(), format!("name: {name}\n").into_bytes()),
        ]),
        task: None,
        user: None,
    }
}

fn seeded_remote(root: &Path) -> std::path::PathBuf {
    let remote = bare_repo(root, "r.git");
    let w = WorkTree::new(root.join("work"), &remote);
    w.write("README.md", "r\n");
    w.commit("init");
    w.push_all();
    remote
}

/// Creates and proposes drafts `pkg<i>` for `ids` through `repo`.
async fn propose_all(repo: &GitRepository, ids: impl Iterator<Item = usize>) {
    for i in ids {
        let name = format!("pkg{i}");
        repo.create_draft(name.clone(), "ws".into(), content(&name)).await.unwrap();
        repo.move_stage(name, "ws".into(), Stage::Proposed).await.unwrap();
    }
}

/// Checks that the branch holds `n` approvals on a linear first-parent history, none lost.
fn assert_all_landed(remote: &Path, n: usize) {
    let refs = remote_refs(remote);
    let subjects = git(remote, &["log", "--first-parent", "--format=%s", "main"]);
    for i in 0..n {
        assert!(refs.contains_key(&format!("refs/tags/pkg{i}/v1")), "tag of pkg{i}");
        // The tag points at the approval merge on the branch, not at an abandoned attempt.
        git(remote, &["merge-base", "--is-ancestor", &format!("pkg{i}/v1"), "main"]);
        let tagged = git(remote, &["log", "-1", "--format=%s", &format!("pkg{i}/v1")]);
        assert_eq!(tagged, format!("Approving package revision pkg{i}/1"));
        assert!(!refs.contains_key(&format!("refs/heads/proposed/pkg{i}/ws")));
        assert_eq!(git(remote, &["show", &format!("main:pkg{i}/data.yaml")]), format!("name: pkg{i}"));
        let subject = format!("Approving package revision pkg{i}/1");
        assert_eq!(subjects.lines().filter(|l| *l == subject).count(), 1, "{subject}");
    }
    // Every first-parent step is one approval merge (two parents) down to the initial commit.
    assert_eq!(git(remote, &["rev-list", "--first-parent", "--count", "main"]), (n + 1).to_string());
    let parents = git(remote, &["log", "--first-parent", "--format=%P", "-n", &n.to_string(), "main"]);
    assert!(parents.lines().all(|p| p.split(' ').count() == 2), "{parents}");
}

#[tokio::test]
async fn twenty_concurrent_approvals_through_one_mirror() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = seeded_remote(tmp.path());
    let repo = GitRepository::open(tmp.path().join("mirror"), RepoConfig::new(file_url(&remote)), None)
        .await
        .unwrap();
    repo.fetch().await.unwrap();
    propose_all(&repo, 0..20).await;

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let repo = repo.clone();
            tokio::spawn(async move { repo.approve(format!("pkg{i}"), "ws".into(), 1, None).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_all_landed(&remote, 20);
    assert_eq!(repo.refs().await.unwrap(), repo.fetch().await.unwrap().refs);
}

#[tokio::test]
async fn two_mirrors_racing_on_one_remote_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    let remote = seeded_remote(&base);
    let daemon = GitDaemon::start(&base);
    let mut config = RepoConfig::new(daemon.url("r.git"));
    config.retry_attempts = 20;
    let a = GitRepository::open(tmp.path().join("a"), config.clone(), None).await.unwrap();
    let b = GitRepository::open(tmp.path().join("b"), config, None).await.unwrap();
    a.fetch().await.unwrap();
    propose_all(&a, 0..20).await;
    b.fetch().await.unwrap();

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let repo = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { repo.approve(format!("pkg{i}"), "ws".into(), 1, None).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_all_landed(&remote, 20);
}

#[tokio::test]
async fn reads_do_not_wait_for_a_slow_fetch() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    seeded_remote(&base);
    let server = HttpGitServer::start(base, HttpAuth::None).await;
    let repo = GitRepository::open(tmp.path().join("mirror"), RepoConfig::new(server.url("r.git")), None)
        .await
        .unwrap();
    let refs = repo.fetch().await.unwrap().refs;

    server.set_delay(Duration::from_secs(2));
    let slow = {
        let repo = repo.clone();
        tokio::spawn(async move { repo.fetch().await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    assert_eq!(repo.refs().await.unwrap(), refs);
    repo.discover_all(refs).await.unwrap();
    assert!(start.elapsed() < Duration::from_secs(1), "reads waited {:?}", start.elapsed());
    assert!(!slow.is_finished());
    slow.await.unwrap().unwrap();
}
