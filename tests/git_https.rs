//! `https://` remotes: `git http-backend` behind the test server speaking TLS with a certificate
//! from a CA made by the test, trusted through the repository's CA bundle (or through the system
//! store, in a child process whose `SSL_CERT_FILE` names the test CA); fetch, discovery and
//! pushes with basic and bearer credentials; and certificates that must be refused (no bundle, a
//! bundle of another CA, a certificate for another host, an expired one) without the credentials
//! ever being sent or appearing in the error.

#[path = "support/http.rs"]
mod http;
#[path = "support/git.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use http::{HttpAuth, HttpGitServer, ServerCert, TestCa};
use porch_server::git::{Credentials, DraftContent, GitError, GitRepository, RepoConfig};
use support::{bare_repo, blueprints, chain, git, kptfile, remote_refs};

const PASSWORD: &str = "s3cret-pw-https";

fn content(name: &str) -> DraftContent {
    DraftContent {
        files: BTreeMap::from([("Kptfile".to_string(), kptfile(name).into_bytes())]),
        task: None,
        user: Some("tester".into()),
    }
}

fn basic() -> Option<Credentials> {
    Some(Credentials::Basic { username: "alice".into(), password: PASSWORD.into() })
}

fn config(url: String, ca: Option<&TestCa>) -> RepoConfig {
    let mut config = RepoConfig::new(url);
    config.ca_bundle = ca.map(|ca| ca.pem().into_bytes());
    config
}

/// Serves `root` over HTTPS with `cert`, asking for basic credentials.
async fn server(root: &Path, cert: ServerCert) -> HttpGitServer {
    HttpGitServer::start_tls(root.to_path_buf(), HttpAuth::Basic("alice".into(), PASSWORD.into()), cert).await
}

/// A fetch from `url` that must fail on the certificate: the error names `host`, says the
/// certificate is not trusted, holds no secret, and the server never got a request (so never
/// saw the credentials).
async fn assert_refused(dir: &Path, server: &HttpGitServer, config: RepoConfig, host: &str) -> String {
    let repo = GitRepository::open(dir, config, basic()).await.unwrap();
    let err = repo.fetch().await.unwrap_err();
    assert!(matches!(err, GitError::Fetch { .. }), "{err}");
    let text = chain(&err);
    assert!(text.contains(&format!("the TLS certificate of {host} is not trusted")), "{text}");
    assert!(!text.contains(PASSWORD) && !text.contains("alice"), "{text}");
    assert_eq!(server.requests(), 0, "an HTTP request went to a server that is not trusted");
    text
}

#[tokio::test]
async fn https_with_a_ca_bundle_and_basic_credentials() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    let remote = blueprints(&base);
    let ca = TestCa::new("porch test CA");
    let server = server(&base, ca.server_cert(&["localhost", "127.0.0.1"])).await;

    // By DNS name: fetch, discovery, a draft and its approval pushed.
    let url = server.url_on("localhost", "blueprints.git");
    let repo = GitRepository::open(tmp.path().join("m1"), config(url, Some(&ca)), basic()).await.unwrap();
    let refs = repo.fetch().await.unwrap().refs;
    assert_eq!(repo.discover_all(refs).await.unwrap().len(), 12);
    repo.create_draft("web".into(), "ws".into(), content("web")).await.unwrap();
    assert!(remote_refs(&remote).contains_key("refs/heads/drafts/web/ws"));
    repo.approve("web".into(), "ws".into(), 1, Some("alice".into())).await.unwrap();
    let after = remote_refs(&remote);
    assert_eq!(after["refs/tags/web/v1"], after["refs/heads/main"]);
    assert!(!after.contains_key("refs/heads/drafts/web/ws"));
    assert_eq!(git(&remote, &["show", "main:web/Kptfile"]), kptfile("web").trim_end());
    assert_eq!(repo.refs().await.unwrap(), repo.fetch().await.unwrap().refs);

    // By IP address (the certificate's IP SAN), in another mirror: sees the approval.
    let repo =
        GitRepository::open(tmp.path().join("m2"), config(server.url("blueprints.git"), Some(&ca)), basic())
            .await
            .unwrap();
    let refs = repo.fetch().await.unwrap().refs;
    assert!(refs.iter().any(|(name, _)| name == "refs/tags/web/v1"));
}

#[tokio::test]
async fn https_with_a_bearer_token_creates_the_branch() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    bare_repo(&base, "empty.git");
    let ca = TestCa::new("porch test CA");
    let auth = HttpAuth::Bearer("tok-https-123".into());
    let server = HttpGitServer::start_tls(base.clone(), auth, ca.server_cert(&["localhost"])).await;
    let mut config = config(server.url_on("localhost", "empty.git"), Some(&ca));
    config.create_branch = true;

    let token = Some(Credentials::Bearer("tok-https-123".into()));
    let repo = GitRepository::open(tmp.path().join("m"), config, token).await.unwrap();
    let head = repo.fetch().await.unwrap().branch_head.unwrap();
    assert_eq!(git(&base.join("empty.git"), &["rev-parse", "main"]), head.to_string());
}

#[tokio::test]
async fn https_without_a_trusted_ca_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    blueprints(&base);
    let ca = TestCa::new("porch test CA");
    let server = server(&base, ca.server_cert(&["localhost", "127.0.0.1"])).await;
    let url = server.url_on("localhost", "blueprints.git");

    // No bundle: the system store does not know the test CA.
    let text = assert_refused(&tmp.path().join("m1"), &server, config(url.clone(), None), "localhost").await;
    assert!(text.contains("no CA bundle is configured"), "{text}");

    // A bundle of another CA.
    let other = TestCa::new("another CA");
    let text =
        assert_refused(&tmp.path().join("m2"), &server, config(url.clone(), Some(&other)), "localhost").await;
    assert!(text.contains("CA bundle"), "{text}");

    // A bundle that is not PEM.
    let mut garbage = config(url, None);
    garbage.ca_bundle = Some(b"not a certificate".to_vec());
    let text = assert_refused(&tmp.path().join("m3"), &server, garbage, "localhost").await;
    assert!(text.contains("no PEM certificate"), "{text}");
}

#[tokio::test]
async fn https_certificates_for_another_host_or_expired_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    blueprints(&base);
    let ca = TestCa::new("porch test CA");

    // Signed by the trusted CA, but for another DNS name: refused by name and by IP address.
    let wrong_host = server(&base, ca.server_cert(&["git.example.com"])).await;
    let url = wrong_host.url_on("localhost", "blueprints.git");
    let text = assert_refused(&tmp.path().join("m1"), &wrong_host, config(url, Some(&ca)), "localhost").await;
    assert!(text.to_lowercase().contains("mismatch"), "{text}");
    let url = wrong_host.url("blueprints.git");
    assert_refused(&tmp.path().join("m2"), &wrong_host, config(url, Some(&ca)), "127.0.0.1").await;

    // Signed by the trusted CA for the right name, but expired.
    let expired = ca.server_cert_with(&["localhost"], |params| {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    });
    let expired = server(&base, expired).await;
    let url = expired.url_on("localhost", "blueprints.git");
    let text = assert_refused(&tmp.path().join("m3"), &expired, config(url, Some(&ca)), "localhost").await;
    assert!(text.contains("expired"), "{text}");
}

/// Where the parent test leaves the CA and server certificate for the child.
const SYSTEM_STORE_DIR: &str = "PORCH_TEST_SYSTEM_STORE_DIR";

/// The system CA store is trusted by default (and a bundle adds to it, it does not replace it).
/// OpenSSL reads the store once per process, so the check runs in a child process of this test
/// binary with `SSL_CERT_FILE` naming the test CA.
#[test]
fn https_trusted_by_the_system_store() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = TestCa::new("porch test system CA");
    std::fs::write(tmp.path().join("ca.pem"), ca.pem()).unwrap();
    ca.server_cert(&["localhost"]).save(tmp.path());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "system_store_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("SSL_CERT_FILE", tmp.path().join("ca.pem"))
        .env_remove("SSL_CERT_DIR")
        .env(SYSTEM_STORE_DIR, tmp.path())
        .output()
        .unwrap();
    let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && output.contains("1 passed"), "{output}");
}

#[tokio::test]
#[ignore = "run by https_trusted_by_the_system_store in a child process"]
async fn system_store_child() {
    let dir = std::path::PathBuf::from(std::env::var_os(SYSTEM_STORE_DIR).expect("run by the parent test"));
    let base = dir.join("served");
    blueprints(&base);
    let server = server(&base, ServerCert::load(&dir)).await;
    let url = server.url_on("localhost", "blueprints.git");

    let repo = GitRepository::open(dir.join("m1"), config(url.clone(), None), basic()).await.unwrap();
    let refs = repo.fetch().await.unwrap().refs;
    assert_eq!(repo.discover_all(refs).await.unwrap().len(), 12);
    repo.create_draft("sys".into(), "ws".into(), content("sys")).await.unwrap();
    assert!(remote_refs(&base.join("blueprints.git")).contains_key("refs/heads/drafts/sys/ws"));

    let other = TestCa::new("another CA");
    let repo = GitRepository::open(dir.join("m2"), config(url, Some(&other)), basic()).await.unwrap();
    repo.fetch().await.unwrap();
}
