//! What only aggregated mode has: porch-server behind a real kube-apiserver, reached through the
//! aggregator and directly on its own HTTPS port. Who may do what is the cluster's RBAC; a forged
//! `X-Remote-User` without the front-proxy certificate is nobody; a token is checked with a
//! TokenReview; a client certificate of the cluster CA names its user; a restart keeps every
//! object and never takes a resourceVersion back; no new objects in a terminating namespace.
//!
//! Skipped (with a `SKIPPED:` line) where `../shared/tools/k8s` is absent.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use anyhow::{Context, Result, bail};
use porch_e2e::git::{file_url, remote_with_packages};
use porch_e2e::{Aggregated, Kubectl, register, unique_name, wait_until};
use serde_json::{Value, json};

/// One test at a time: one of them restarts the server the others use.
static SERIAL: Mutex<()> = Mutex::new(());

/// One test's world: the shared setup (held by this test alone), a namespace of its own with a
/// Repository `blue` holding package `app` (revisions 1 and 2, so 3 PackageRevisions with
/// `main`), an admin kubectl in it, and scratch space.
struct Case {
    setup: &'static Aggregated,
    ns: String,
    k: Kubectl,
    scratch: tempfile::TempDir,
    _serial: MutexGuard<'static, ()>,
}

impl Drop for Case {
    /// Deletes the namespace (its Repository first of all) while its remote still exists, so no
    /// broken repository is left behind for the tests after it.
    fn drop(&mut self) {
        let _ = self.setup.kubectl(None).run(&["delete", "namespace", &self.ns, "--wait=false"]);
    }
}

/// The [`Case`] of a test, or `None` (skip) where the control-plane tools are absent.
fn case() -> Result<Option<Case>> {
    let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(setup) = Aggregated::shared()? else { return Ok(None) };
    let scratch = tempfile::tempdir()?;
    let ns = unique_name("agg");
    setup.kubectl(None).run(&["create", "namespace", &ns]).success()?;
    let k = setup.kubectl(Some(&ns));
    let remote = remote_with_packages(scratch.path(), "blue", &[("app", &[1, 2])])?;
    register(&k, "blue", &file_url(&remote))?;
    Ok(Some(Case { setup, ns, k, scratch, _serial: serial }))
}

/// How a direct request proves who it is.
enum Credential<'a> {
    None,
    /// A client certificate and its key.
    Cert(&'a Path, &'a Path),
    Bearer(&'a str),
}

/// An HTTPS request straight to porch-server (not through kube-apiserver), with `curl`, carrying
/// `credential`, the extra `headers` and a JSON `body`; its status and body.
fn direct(
    setup: &Aggregated,
    method: &str,
    path: &str,
    body: Option<&str>,
    credential: Credential<'_>,
    headers: &[&str],
) -> Result<(u16, String)> {
    let url = format!("https://127.0.0.1:{}{path}", setup.port());
    let mut curl = Command::new("curl");
    curl.args(["-s", "-k", "-o", "-", "-w", "\n%{http_code}", "-X", method]);
    if let Some(body) = body {
        curl.args(["-H", "Content-Type: application/json", "-d", body]);
    }
    match credential {
        Credential::None => {}
        Credential::Cert(cert, key) => {
            curl.arg("--cert").arg(cert).arg("--key").arg(key);
        }
        Credential::Bearer(token) => {
            curl.arg("-H").arg(format!("Authorization: Bearer {token}"));
        }
    }
    for header in headers {
        curl.arg("-H").arg(header);
    }
    let out = curl.arg(&url).output().context("running curl")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').context("curl printed no status")?;
    Ok((code.trim().parse().with_context(|| format!("curl status of {url}: {text}"))?, body.to_string()))
}

/// Who signs a test's client certificate.
enum Signer<'a> {
    /// The CA of that name in the cluster's PKI (`ca`, `front-proxy-ca`).
    Cluster(&'a str),
    /// Nobody the cluster knows: the certificate signs itself.
    Itself,
}

/// A client certificate (clientAuth) for `user` in `groups`, signed by `signer`; its (cert, key)
/// paths in `dir`.
fn client_cert(
    setup: &Aggregated,
    dir: &Path,
    signer: Signer<'_>,
    user: &str,
    groups: &[&str],
) -> Result<(PathBuf, PathBuf)> {
    let file = |ext: &str| dir.join(format!("{user}-{}.{ext}", groups.len()));
    let (key, csr, cert, ext) = (file("key"), file("csr"), file("crt"), file("ext"));
    let subject: String =
        std::iter::once(format!("/CN={user}")).chain(groups.iter().map(|g| format!("/O={g}"))).collect();
    std::fs::write(&ext, "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n")?;
    let openssl = |args: &[&str], paths: &[(&str, &Path)]| -> Result<()> {
        let mut cmd = Command::new("openssl");
        cmd.args(args);
        for (flag, path) in paths {
            cmd.arg(flag).arg(path);
        }
        let out = cmd.output().context("running openssl")?;
        if !out.status.success() {
            bail!("openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    };
    let new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", &subject];
    match signer {
        Signer::Itself => openssl(
            &[&["req", "-x509", "-days", "1"][..], &new_key].concat(),
            &[("-keyout", &key), ("-out", &cert)],
        )?,
        Signer::Cluster(ca) => {
            let pki = setup.plane().pki_dir();
            openssl(&[&["req", "-new"][..], &new_key].concat(), &[("-keyout", &key), ("-out", &csr)])?;
            openssl(
                &["x509", "-req", "-CAcreateserial", "-days", "1"],
                &[
                    ("-in", &csr),
                    ("-CA", &pki.join(format!("{ca}.crt"))),
                    ("-CAkey", &pki.join(format!("{ca}.key"))),
                    ("-extfile", &ext),
                    ("-out", &cert),
                ],
            )?;
        }
    }
    Ok((cert, key))
}

/// A kubeconfig file for kube-apiserver that authenticates with `token` only.
fn token_kubeconfig(setup: &Aggregated, dir: &Path, token: &str) -> Result<PathBuf> {
    let path = dir.join("token.kubeconfig");
    std::fs::write(&path, porch_e2e::aggregated::token_kubeconfig(setup.plane(), token))?;
    Ok(path)
}

/// ServiceAccount `viewer` in `ns`, allowed to read porch.kpt.dev objects there and nothing
/// else; a token of it.
fn viewer_token(k: &Kubectl, ns: &str) -> Result<String> {
    k.run(&["create", "serviceaccount", "viewer"]).success()?;
    let resources = "--resource=packagerevisions.porch.kpt.dev,packagerevisionresources.porch.kpt.dev,packages.porch.kpt.dev";
    k.run(&["create", "role", "porch-reader", "--verb=get,list,watch", resources]).success()?;
    k.run(&[
        "create",
        "rolebinding",
        "viewer-reads",
        "--role=porch-reader",
        "--serviceaccount",
        &format!("{ns}:viewer"),
    ])
    .success()?;
    Ok(k.run(&["create", "token", "viewer", "--duration=1h"]).success()?.trim().to_string())
}

fn draft(package: &str) -> String {
    json!({"apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision", "metadata": {"name": "x"},
           "spec": {"repository": "blue", "packageName": format!("new-{package}"), "workspaceName": "ws",
                    "tasks": [{"type": "init", "init": {"description": "d"}}]}})
    .to_string()
}

/// A list's resourceVersion, and each item's name and resourceVersion.
fn versions(list: &Value) -> (u64, Vec<(String, u64)>) {
    let rv = |v: &Value| v["metadata"]["resourceVersion"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
    let items = list["items"].as_array().map(Vec::as_slice).unwrap_or_default();
    (
        rv(list),
        items
            .iter()
            .map(|i| (i["metadata"]["name"].as_str().unwrap_or_default().to_string(), rv(i)))
            .collect(),
    )
}

fn get_json(k: &Kubectl, args: &[&str]) -> Result<Value> {
    let out = k.run(&[&["get"][..], args, &["-o", "json"]].concat()).success()?;
    Ok(serde_json::from_str(&out)?)
}

#[test]
fn a_view_only_user_lists_through_kube_apiserver_and_may_not_create() -> Result<()> {
    let Some(case) = case()? else { return Ok(()) };
    let Case { setup, ns, k, scratch, .. } = &case;
    let token = viewer_token(k, ns)?;
    let viewer = Kubectl::new(&token_kubeconfig(setup, scratch.path(), &token)?, Some(ns));

    let listed = viewer.run(&["get", "packagerevisions", "-o", "name"]).success()?;
    assert_eq!(listed.lines().count(), 3, "v1, v2 and main: {listed}");
    let refused = viewer.with_manifest(&["create", "-f", "-"], &draft("v")).failure()?;
    assert!(
        refused.contains(r#"cannot create resource "packagerevisions" in API group "porch.kpt.dev""#),
        "{refused}"
    );
    assert!(refused.contains("forbidden"), "{refused}");
    Ok(())
}

#[test]
fn direct_requests_are_authenticated_by_the_cluster_and_forged_headers_are_nobody() -> Result<()> {
    let Some(case) = case()? else { return Ok(()) };
    let Case { setup, ns, k, scratch, .. } = &case;
    let list = format!("/apis/porch.kpt.dev/v1alpha1/namespaces/{ns}/packagerevisions");
    let forged = ["X-Remote-User: admin", "X-Remote-Group: system:masters"];
    let get = |credential, headers: &[&str]| direct(setup, "GET", &list, None, credential, headers);

    // No credentials, or forged front-proxy headers without the front-proxy certificate: nobody.
    let (code, body) = get(Credential::None, &[])?;
    assert_eq!(code, 401, "{body}");
    let (code, body) = get(Credential::None, &forged)?;
    assert_eq!(code, 401, "forged headers alone must not authenticate: {body}");
    assert_eq!(serde_json::from_str::<Value>(&body)?["reason"], "Unauthorized", "{body}");

    // A certificate of the cluster CA names its user; the forged headers beside it are ignored.
    let (cert, key) = client_cert(setup, scratch.path(), Signer::Cluster("ca"), "mallory", &["devs"])?;
    let (code, body) = get(Credential::Cert(&cert, &key), &forged)?;
    assert_eq!(code, 403, "{body}");
    assert!(body.contains(r#"User \"mallory\" cannot list resource \"packagerevisions\""#), "{body}");

    // A look-alike of the front proxy's certificate that signs itself is nobody.
    let (cert, key) = client_cert(setup, scratch.path(), Signer::Itself, "front-proxy-client", &[])?;
    let (code, body) = get(Credential::Cert(&cert, &key), &forged)?;
    assert_eq!(code, 401, "a self-signed front-proxy look-alike must not authenticate: {body}");

    // The front proxy's own certificate makes the headers authoritative.
    let (cert, key) =
        client_cert(setup, scratch.path(), Signer::Cluster("front-proxy-ca"), "front-proxy-client", &["x"])?;
    let (code, body) = get(Credential::Cert(&cert, &key), &forged)?;
    assert_eq!(code, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body)?["items"].as_array().map(Vec::len), Some(3), "{body}");

    // A bearer token is checked with a TokenReview; what it may do, with a SubjectAccessReview.
    let token = viewer_token(k, ns)?;
    let (code, body) = get(Credential::Bearer(&token), &[])?;
    assert_eq!(code, 200, "{body}");
    let (code, body) = direct(setup, "POST", &list, Some(&draft("t")), Credential::Bearer(&token), &[])?;
    assert_eq!(code, 403, "{body}");
    assert!(body.contains(&format!(r#"User \"system:serviceaccount:{ns}:viewer\" cannot create"#)), "{body}");
    let (code, body) = get(Credential::Bearer("not-a-token"), &[])?;
    assert_eq!(code, 401, "{body}");

    // Health needs no credentials (--authorization-always-allow-paths).
    let (code, body) = direct(setup, "GET", "/readyz", None, Credential::None, &[])?;
    assert_eq!((code, body.as_str()), (200, "ok"));
    // HTTP/2 and HTTP/1.1, as the client offers them by ALPN.
    for (flag, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
        let url = format!("https://127.0.0.1:{}/readyz", setup.port());
        let out = Command::new("curl")
            .args(["-sk", flag, "-o", "/dev/null", "-w", "%{http_version}", &url])
            .output()?;
        assert_eq!(String::from_utf8_lossy(&out.stdout), version, "{flag}");
    }
    Ok(())
}

#[test]
fn a_restart_keeps_every_object_and_resource_versions_never_go_back() -> Result<()> {
    let Some(case) = case()? else { return Ok(()) };
    let Case { setup, k, .. } = &case;
    k.with_manifest(&["create", "-f", "-"], &draft("r")).success()?;
    let (list_rv, items) = versions(&get_json(k, &["packagerevisions"])?);
    assert_eq!(items.len(), 4, "v1, v2, main and the draft");

    let status = setup.restart()?.status;
    assert!(status.success(), "SIGTERM ends the server cleanly: {status}");

    let (again_rv, again) = versions(&get_json(k, &["packagerevisions"])?);
    assert!(again_rv >= list_rv, "the list's resourceVersion went back: {again_rv} < {list_rv}");
    assert_eq!(again, items, "the same objects at the same resourceVersions");
    // A change after the restart gets a newer resourceVersion.
    let draft_name = "blue.new-r.ws";
    let proposed = r#"{"spec":{"lifecycle":"Proposed"}}"#;
    k.run(&["patch", "packagerevision", draft_name, "--type=merge", "-p", proposed]).success()?;
    let (rv, _) = versions(&json!({"metadata": get_json(k, &["packagerevision", draft_name])?["metadata"]}));
    assert!(rv > list_rv, "{rv} <= {list_rv}");
    Ok(())
}

#[test]
fn no_new_revisions_in_a_terminating_namespace() -> Result<()> {
    let Some(case) = case()? else { return Ok(()) };
    let Case { setup, ns, k, .. } = &case;
    // A ConfigMap with a finalizer nobody removes keeps the namespace Terminating.
    k.with_manifest(
        &["create", "-f", "-"],
        r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "hold", "finalizers": ["example.com/hold"]}}"#,
    )
    .success()?;
    setup.kubectl(None).run(&["delete", "namespace", ns, "--wait=false"]).success()?;
    let terminating = wait_until(std::time::Duration::from_secs(30), || {
        let phase =
            setup.kubectl(None).run(&["get", "namespace", ns, "-o", "jsonpath={.status.phase}"]).stdout;
        (phase == "Terminating").then_some(())
    });
    assert!(terminating.is_some(), "the namespace never became Terminating");
    let refused = k.with_manifest(&["create", "-f", "-"], &draft("late")).failure()?;
    assert!(
        refused.contains(&format!(
            "unable to create new content in namespace {ns} because it is being terminated"
        )),
        "{refused}"
    );
    let _ =
        k.run(&["patch", "configmap", "hold", "--type=merge", "-p", r#"{"metadata":{"finalizers":null}}"#]);
    Ok(())
}

#[test]
fn kube_controller_manager_collects_a_revision_whose_owner_is_deleted() -> Result<()> {
    let Some(case) = case()? else { return Ok(()) };
    let Case { setup, k, .. } = &case;
    k.run(&["create", "configmap", "owner"]).success()?;
    let uid = k.run(&["get", "configmap", "owner", "-o", "jsonpath={.metadata.uid}"]).success()?;
    let mut pr: Value = serde_json::from_str(&draft("owned"))?;
    pr["metadata"]["ownerReferences"] =
        json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid}]);
    k.with_manifest(&["create", "-f", "-"], &pr.to_string()).success()?;
    let name = "blue.new-owned.ws";
    k.run(&["get", "packagerevision", name]).success()?;

    // The garbage collector of kube-controller-manager finds the revision through the
    // aggregated API (metadata lists and watches) and deletes it once its owner is gone. It
    // picks up new API groups on its 30 s discovery resync, and its informers relist with
    // backoff after a restart of the server (another test may just have made one).
    k.run(&["delete", "configmap", "owner"]).success()?;
    let collected = || {
        let out = k.run(&["get", "packagerevision", name, "--ignore-not-found", "-o", "name"]);
        (out.ok() && out.stdout.trim().is_empty()).then_some(())
    };
    let gone = wait_until(std::time::Duration::from_secs(180), collected);
    let mentions = std::fs::read_to_string(setup.plane().log_dir().join("kube-controller-manager.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("new-owned") || l.contains("garbagecollector"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        gone.is_some(),
        "the garbage collector did not delete {name}; its kube-controller-manager lines:\n{mentions}\n\
         kube-controller-manager log:\n{}\nporch-server log:\n{}",
        setup.plane().log_tail(40),
        setup.server_logs()
    );
    Ok(())
}

#[test]
fn a_deleted_namespace_goes_with_its_repository_and_published_revisions() -> Result<()> {
    let Some(case) = case()? else { return Ok(()) };
    let Case { setup, ns, k, .. } = &case;
    assert_eq!(k.run(&["get", "packagerevisions", "-o", "name"]).success()?.lines().count(), 3);
    // kube-controller-manager's namespace controller deletes what the namespace holds, the
    // porch.kpt.dev resources through the aggregated API among them; published revisions go
    // with their Repository.
    setup.kubectl(None).run(&["delete", "namespace", ns, "--wait=false"]).success()?;
    let gone = wait_until(std::time::Duration::from_secs(90), || {
        let out = setup.kubectl(None).run(&["get", "namespace", ns, "--ignore-not-found", "-o", "name"]);
        (out.ok() && out.stdout.trim().is_empty()).then_some(())
    });
    let conditions =
        setup.kubectl(None).run(&["get", "namespace", ns, "-o", "jsonpath={.status.conditions}"]).stdout;
    assert!(
        gone.is_some(),
        "namespace {ns} was not finalized: {conditions}\nporch-server log:\n{}",
        setup.server_logs()
    );
    Ok(())
}
