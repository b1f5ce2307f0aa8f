//! Credentials and HTTP redirects: the credentials of a Repository go only to the origin
//! (scheme, host, port) of its `spec.git.repo`. A redirect within that origin keeps working with
//! them; a redirect to another origin gets none (the fetch or push then goes on without them, or
//! fails with an error that says why), for fetches and pushes, basic credentials and bearer tokens.
//! The servers are real `git http-backend`s on 127.0.0.1 that record every `Authorization`
//! header they receive.

#[path = "support/http.rs"]
mod http;
#[path = "support/git.rs"]
mod support;

use std::collections::BTreeMap;

use http::{HttpAuth, HttpGitServer};
use porch_server::git::{Credentials, DraftContent, GitError, GitRepository, RepoConfig};
use support::{blueprints, chain, kptfile, remote_refs};

const USER: &str = "alice";
const PASSWORD: &str = "S3cr3tPW-redirect-9f8e";
const TOKEN: &str = "tok-redirect-7a6b5c";

fn basic() -> Credentials {
    Credentials::Basic { username: USER.into(), password: PASSWORD.into() }
}

fn basic_auth() -> HttpAuth {
    HttpAuth::Basic(USER.into(), PASSWORD.into())
}

fn content(name: &str) -> DraftContent {
    DraftContent {
        files: BTreeMap::from([("Kptfile".to_string(), kptfile(name).into_bytes())]),
        task: None,
        user: Some("tester".into()),
    }
}

#[tokio::test]
async fn basic_credentials_do_not_follow_a_redirect_to_another_origin() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    let remote = blueprints(&base);
    // The redirect target would accept the very same credentials: it must never see them.
    let target = HttpGitServer::start(base.clone(), basic_auth()).await;
    let origin = HttpGitServer::start(base.clone(), basic_auth()).await;
    origin.redirect(Some(("/r.git", &target.url("blueprints.git"))));
    let url = origin.url("r.git");

    let repo =
        GitRepository::open(tmp.path().join("m1"), RepoConfig::new(&url), Some(basic())).await.unwrap();
    let err = repo.fetch().await.unwrap_err();
    let text = chain(&err);
    assert!(matches!(err, GitError::Fetch { .. }), "{text}");
    assert!(
        text.contains(&format!("redirected to {}", target.url("blueprints.git")))
            && text.contains(&format!("credentials are only sent to http://127.0.0.1:{}", origin.port)),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(target.requests() > 0, "the redirect was followed");
    assert_eq!(target.authorizations(), Vec::<String>::new());

    // A push whose first request is redirected: the same. The mirror is fetched from the origin
    // while it still serves the repository itself.
    let direct = origin.url("blueprints.git");
    let repo =
        GitRepository::open(tmp.path().join("m2"), RepoConfig::new(&direct), Some(basic())).await.unwrap();
    repo.fetch().await.unwrap();
    let before = remote_refs(&remote);
    origin.redirect(Some(("/blueprints.git", &target.url("blueprints.git"))));
    let err = repo.create_draft("web".into(), "ws".into(), content("web")).await.unwrap_err();
    let text = chain(&err);
    assert!(matches!(err, GitError::Push { .. }), "{text}");
    assert!(text.contains("credentials are only sent to"), "{text}");
    assert_eq!(target.authorizations(), Vec::<String>::new());
    assert_eq!(remote_refs(&remote), before);
}

#[tokio::test]
async fn a_public_redirect_target_is_used_without_the_credentials() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    let remote = blueprints(&base);
    let target = HttpGitServer::start(base.clone(), HttpAuth::None).await;
    let origin = HttpGitServer::start(base.clone(), basic_auth()).await;
    origin.redirect(Some(("/r.git", &target.url("blueprints.git"))));

    let repo = GitRepository::open(tmp.path().join("m"), RepoConfig::new(origin.url("r.git")), Some(basic()))
        .await
        .unwrap();
    let refs = repo.fetch().await.unwrap().refs;
    assert_eq!(repo.discover_all(refs).await.unwrap().len(), 12);
    repo.create_draft("web".into(), "ws".into(), content("web")).await.unwrap();
    assert!(remote_refs(&remote).contains_key("refs/heads/drafts/web/ws"));
    assert!(target.requests() >= 4, "fetch and push went to the redirect target");
    assert_eq!(target.authorizations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_redirect_within_the_origin_keeps_the_credentials() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    let remote = blueprints(&base);
    let server = HttpGitServer::start(base.clone(), basic_auth()).await;
    server.redirect(Some(("/old.git", &server.url("blueprints.git"))));

    let repo =
        GitRepository::open(tmp.path().join("m"), RepoConfig::new(server.url("old.git")), Some(basic()))
            .await
            .unwrap();
    let refs = repo.fetch().await.unwrap().refs;
    assert_eq!(repo.discover_all(refs).await.unwrap().len(), 12);
    repo.create_draft("web".into(), "ws".into(), content("web")).await.unwrap();
    assert!(remote_refs(&remote).contains_key("refs/heads/drafts/web/ws"));
    assert!(!server.authorizations().is_empty());
}

#[tokio::test]
async fn a_bearer_token_does_not_follow_a_redirect_to_another_host() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    let remote = blueprints(&base);
    let target = HttpGitServer::start(base.clone(), HttpAuth::Bearer(TOKEN.into())).await;
    let origin = HttpGitServer::start(base.clone(), HttpAuth::Bearer(TOKEN.into())).await;
    origin.redirect(Some(("/r.git", &target.url_on("localhost", "blueprints.git"))));
    let token = || Some(Credentials::Bearer(TOKEN.into()));

    let repo = GitRepository::open(tmp.path().join("m1"), RepoConfig::new(origin.url("r.git")), token())
        .await
        .unwrap();
    let err = repo.fetch().await.unwrap_err();
    let text = chain(&err);
    assert!(text.contains("redirect") && text.contains("localhost"), "{text}");
    assert!(
        text.contains(&format!("credentials are only sent to http://127.0.0.1:{}", origin.port)),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "{text}");
    assert_eq!(target.authorizations(), Vec::<String>::new());

    // Push.
    let repo =
        GitRepository::open(tmp.path().join("m2"), RepoConfig::new(origin.url("blueprints.git")), token())
            .await
            .unwrap();
    repo.fetch().await.unwrap();
    let before = remote_refs(&remote);
    origin.redirect(Some(("/blueprints.git", &target.url_on("localhost", "blueprints.git"))));
    let err = repo.create_draft("web".into(), "ws".into(), content("web")).await.unwrap_err();
    assert!(matches!(err, GitError::Push { .. }), "{}", chain(&err));
    assert_eq!(target.authorizations(), Vec::<String>::new());
    assert_eq!(remote_refs(&remote), before);

    // Within the origin a redirect is followed, token and all.
    origin.redirect(Some(("/old.git", &origin.url("blueprints.git"))));
    let repo = GitRepository::open(tmp.path().join("m3"), RepoConfig::new(origin.url("old.git")), token())
        .await
        .unwrap();
    repo.fetch().await.unwrap();
    repo.create_draft("web".into(), "ws".into(), content("web")).await.unwrap();
    assert!(remote_refs(&remote).contains_key("refs/heads/drafts/web/ws"));
}
