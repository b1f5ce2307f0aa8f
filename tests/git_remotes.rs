//! Network remotes: `git daemon` (git://) and `git http-backend` behind a test HTTP server
//! (basic and bearer authentication), and remotes that go away, before and in the middle of a
//! push.

#[path = "support/http.rs"]
mod http;
#[path = "support/git.rs"]
mod support;

use std::collections::BTreeMap;

use http::{HttpAuth, HttpGitServer};
use porch_server::git::{Credentials, DraftContent, GitError, GitRepository, RepoConfig};
use support::{GitDaemon, bare_repo, blueprints, chain, git, kptfile, remote_refs};

fn content(name: &str) -> DraftContent {
    DraftContent {
        files: BTreeMap::from([("Kptfile".to_string(), kptfile(name).into_bytes())]),
        task: None,
        user: Some("tester".into()),
    }
}

#[tokio::test]
async fn git_daemon_remote_and_its_disappearance() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    let remote = blueprints(&base);
    let mut daemon = GitDaemon::start(&base);
    let repo =
        GitRepository::open(tmp.path().join("mirror"), RepoConfig::new(daemon.url("blueprints.git")), None)
            .await
            .unwrap();
    let refs = repo.fetch().await.unwrap().refs;
    assert_eq!(repo.discover_all(refs).await.unwrap().len(), 12);

    repo.create_draft("newpkg".into(), "ws".into(), content("newpkg")).await.unwrap();
    repo.approve("newpkg".into(), "ws".into(), 1, None).await.unwrap();
    let remote_view = remote_refs(&remote);
    assert_eq!(remote_view["refs/tags/newpkg/v1"], remote_view["refs/heads/main"]);
    assert_eq!(git(&remote, &["log", "-1", "--format=%P", "main"]).split(' ').count(), 2);

    // The daemon goes away: remote operations fail with a surfaced error, the mirror stays as it
    // was and reads keep working.
    let before = repo.refs().await.unwrap();
    daemon.stop();
    assert!(matches!(repo.fetch().await.unwrap_err(), GitError::Fetch { .. }));
    let err = repo.create_draft("other".into(), "ws".into(), content("other")).await.unwrap_err();
    assert!(matches!(err, GitError::Push { .. }), "{err}");
    assert!(!err.is_conflict());
    assert_eq!(repo.refs().await.unwrap(), before);
    assert_eq!(repo.discover_all(before).await.unwrap().len(), 14);
}

#[tokio::test]
async fn http_backend_with_basic_credentials() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    let remote = blueprints(&base);
    let server =
        HttpGitServer::start(base.clone(), HttpAuth::Basic("alice".into(), "s3cret-pw".into())).await;
    let url = server.url("blueprints.git");

    let good = Credentials::Basic { username: "alice".into(), password: "s3cret-pw".into() };
    let repo = GitRepository::open(tmp.path().join("m1"), RepoConfig::new(&url), Some(good)).await.unwrap();
    let refs = repo.fetch().await.unwrap().refs;
    assert_eq!(repo.discover_all(refs).await.unwrap().len(), 12);
    repo.create_draft("web".into(), "ws".into(), content("web")).await.unwrap();
    repo.approve("web".into(), "ws".into(), 1, Some("alice".into())).await.unwrap();
    assert!(remote_refs(&remote).contains_key("refs/tags/web/v1"));
    assert!(!remote_refs(&remote).contains_key("refs/heads/drafts/web/ws"));

    // Wrong password: refused, and the password appears nowhere in the error.
    let bad = Credentials::Basic { username: "alice".into(), password: "wrong-pw-123".into() };
    let repo = GitRepository::open(tmp.path().join("m2"), RepoConfig::new(&url), Some(bad)).await.unwrap();
    let err = repo.fetch().await.unwrap_err();
    assert!(matches!(err, GitError::Fetch { .. }));
    let text = chain(&err);
    assert!(!text.contains("wrong-pw-123") && !text.contains("s3cret-pw"), "{text}");
    assert!(!format!("{repo:?}").contains("wrong-pw-123"));

    // No credentials at all.
    let repo = GitRepository::open(tmp.path().join("m3"), RepoConfig::new(&url), None).await.unwrap();
    assert!(repo.fetch().await.is_err());
    assert!(server.unauthorized() >= 2);

    // Credentials can be replaced on a live repository.
    repo.set_credentials(Some(Credentials::Basic { username: "alice".into(), password: "s3cret-pw".into() }));
    repo.fetch().await.unwrap();
}

#[tokio::test]
async fn http_backend_with_bearer_token() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    bare_repo(&base, "empty.git");
    let server = HttpGitServer::start(base.clone(), HttpAuth::Bearer("tok-abc-123".into())).await;
    let mut config = RepoConfig::new(server.url("empty.git"));
    config.create_branch = true;

    let token = Credentials::Bearer("tok-abc-123".into());
    let repo = GitRepository::open(tmp.path().join("m1"), config.clone(), Some(token)).await.unwrap();
    let head = repo.fetch().await.unwrap().branch_head.unwrap();
    assert_eq!(git(&base.join("empty.git"), &["rev-parse", "main"]), head.to_string());

    let wrong = Credentials::Bearer("tok-wrong-999".into());
    let repo = GitRepository::open(tmp.path().join("m2"), config, Some(wrong)).await.unwrap();
    let err = repo.fetch().await.unwrap_err();
    assert!(!chain(&err).contains("tok-wrong-999"));
}

#[tokio::test]
async fn remote_going_away_mid_push_leaves_the_mirror_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    let remote = blueprints(&base);
    let server = HttpGitServer::start(base.clone(), HttpAuth::None).await;
    let repo =
        GitRepository::open(tmp.path().join("mirror"), RepoConfig::new(server.url("blueprints.git")), None)
            .await
            .unwrap();
    repo.fetch().await.unwrap();
    repo.create_draft("late".into(), "ws".into(), content("late")).await.unwrap();

    let remote_before = remote_refs(&remote);
    let mirror_before = repo.refs().await.unwrap();
    server.drop_pushes(true);
    let err = repo.approve("late".into(), "ws".into(), 1, None).await.unwrap_err();
    assert!(matches!(err, GitError::Push { .. }), "{err}");
    assert!(!err.is_conflict());
    // Nothing moved on either side; discovery still shows the draft.
    assert_eq!(remote_refs(&remote), remote_before);
    assert_eq!(repo.refs().await.unwrap(), mirror_before);
    let revs = repo.discover_all(mirror_before).await.unwrap();
    assert!(revs.iter().any(|r| r.package == "late" && r.revision == 0));

    // The remote is back: the same approval goes through once.
    server.drop_pushes(false);
    repo.approve("late".into(), "ws".into(), 1, None).await.unwrap();
    let after = remote_refs(&remote);
    assert_eq!(after["refs/tags/late/v1"], after["refs/heads/main"]);
    assert!(!after.contains_key("refs/heads/drafts/late/ws"));
    assert_eq!(repo.refs().await.unwrap(), repo.fetch().await.unwrap().refs);
}
