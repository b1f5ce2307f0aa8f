//! What only aggregated mode has: porch-server behind a real kube-apiserver, reached through the
//! aggregator and directly on its own HTTPS port. Who may do what is the cluster's RBAC; a forged
//! `X-Remote-User` without the front-proxy certificate is nobody; a token is checked with a
//! TokenReview; a client certificate of the cluster CA names its user; a restart keeps every
//! object and never takes a resourceVersion back; no new objects in a terminating namespace.
//!
//! Skipped (with a `SKIPPED:` line) where `../shared/tools/k8s` is absent.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use porch_e2e::git::{file_url, remote_with_packages};
use porch_e2e::{Aggregated, Kubectl, register, unique_name, wait_until};
use serde_json::{Value, json};

/// One test at a time: one of them restarts the server the others use.
static SERIAL: Mutex<()> = Mutex::new(());

/// The setup, or `None` (skip) where the control-plane tools are absent.
fn setup() -> Result<Option<&'static Aggregated>> {
    Aggregated::shared()
}

/// A namespace of its own, with a Repository `blue` holding package `app` (revisions 1 and 2).
fn namespace_with_repository(setup: &Aggregated, scratch: &Path) -> Result<(String, Kubectl)> {
    let ns = unique_name("agg");
    setup.kubectl(None).run(&["create", "namespace", &ns]).success()?;
    let k = setup.kubectl(Some(&ns));
    let remote = remote_with_packages(scratch, "blue", &[("app", &[1, 2])])?;
    register(&k, "blue", &file_url(&remote))?;
    Ok((ns, k))
}

/// An HTTPS request straight to porch-server (not through kube-apiserver), with `curl`; its
/// status and body.
fn direct(setup: &Aggregated, method: &str, path: &str, extra: &[&str]) -> Result<(u16, String)> {
    let url = format!("https://127.0.0.1:{}{path}", setup.port());
    let out = Command::new("curl")
        .args(["-s", "-k", "-o", "-", "-w", "\n%{http_code}", "-X", method])
        .args(extra)
        .arg(&url)
        .output()
        .context("running curl")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').context("curl printed no status")?;
    Ok((code.trim().parse().with_context(|| format!("curl status of {url}: {text}"))?, body.to_string()))
}

/// A client certificate for `user` in `groups`, signed by the CA named `ca` (`ca` or
/// `front-proxy-ca`) of the cluster's PKI; its (cert, key) paths.
fn client_cert(
    setup: &Aggregated,
    dir: &Path,
    ca: &str,
    user: &str,
    groups: &[&str],
) -> Result<(PathBuf, PathBuf)> {
    let pki = setup.plane().pki_dir();
    let (key, csr, cert) =
        (dir.join(format!("{user}.key")), dir.join(format!("{user}.csr")), dir.join(format!("{user}.crt")));
    let subject: String =
        std::iter::once(format!("/CN={user}")).chain(groups.iter().map(|g| format!("/O={g}"))).collect();
    let ext = dir.join(format!("{user}.ext"));
    std::fs::write(&ext, "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n")?;
    let run = |args: &[&str]| -> Result<()> {
        let out = Command::new("openssl").args(args).output().context("running openssl")?;
        if !out.status.success() {
            bail!("openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    };
    let p = |p: &Path| p.display().to_string();
    run(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        &subject,
        "-keyout",
        &p(&key),
        "-out",
        &p(&csr),
    ])?;
    run(&[
        "x509",
        "-req",
        "-in",
        &p(&csr),
        "-CA",
        &p(&pki.join(format!("{ca}.crt"))),
        "-CAkey",
        &p(&pki.join(format!("{ca}.key"))),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        &p(&ext),
        "-out",
        &p(&cert),
    ])?;
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
    k.run(&[
        "create", "role", "porch-reader", "--verb=get,list,watch",
        "--resource=packagerevisions.porch.kpt.dev,packagerevisionresources.porch.kpt.dev,packages.porch.kpt.dev",
    ])
    .success()?;
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

fn draft(name_suffix: &str) -> String {
    json!({"apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision", "metadata": {"name": "x"},
           "spec": {"repository": "blue", "packageName": format!("new-{name_suffix}"), "workspaceName": "ws",
                    "tasks": [{"type": "init", "init": {"description": "d"}}]}})
    .to_string()
}

#[test]
fn a_view_only_user_lists_through_kube_apiserver_and_may_not_create() -> Result<()> {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(setup) = setup()? else { return Ok(()) };
    let scratch = tempfile::tempdir()?;
    let (ns, admin) = namespace_with_repository(setup, scratch.path())?;
    let token = viewer_token(&admin, &ns)?;
    let viewer = Kubectl::new(&token_kubeconfig(setup, scratch.path(), &token)?, Some(&ns));

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
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(setup) = setup()? else { return Ok(()) };
    let scratch = tempfile::tempdir()?;
    let (ns, admin) = namespace_with_repository(setup, scratch.path())?;
    let list = format!("/apis/porch.kpt.dev/v1alpha1/namespaces/{ns}/packagerevisions");
    let forged = ["-H", "X-Remote-User: admin", "-H", "X-Remote-Group: system:masters"];

    // No credentials, or forged front-proxy headers without the front-proxy certificate: nobody.
    let (code, body) = direct(setup, "GET", &list, &[])?;
    assert_eq!(code, 401, "{body}");
    let (code, body) = direct(setup, "GET", &list, &forged)?;
    assert_eq!(code, 401, "forged headers alone must not authenticate: {body}");
    assert_eq!(serde_json::from_str::<Value>(&body)?["reason"], "Unauthorized", "{body}");

    // A certificate of the cluster CA names its user; the forged headers beside it are ignored.
    let (cert, key) = client_cert(setup, scratch.path(), "ca", "mallory", &["devs"])?;
    let with_cert = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["--cert", &cert.display().to_string(), "--key", &key.display().to_string()]
            .map(String::from)
            .to_vec();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let args = with_cert(&forged);
    let (code, body) = direct(setup, "GET", &list, &args.iter().map(String::as_str).collect::<Vec<_>>())?;
    assert_eq!(code, 403, "{body}");
    assert!(body.contains(r#"User \"mallory\" cannot list resource \"packagerevisions\""#), "{body}");

    // A certificate of an unknown CA is nobody either.
    let (self_cert, self_key) =
        client_cert(setup, scratch.path(), "front-proxy-ca", "front-proxy-client", &[])?;
    let rogue = scratch.path().join("rogue");
    std::fs::create_dir_all(&rogue)?;
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=front-proxy-client",
        ])
        .arg("-keyout")
        .arg(rogue.join("k.pem"))
        .arg("-out")
        .arg(rogue.join("c.pem"))
        .output()?;
    assert!(status.status.success());
    let rogue_args = [
        "--cert",
        &rogue.join("c.pem").display().to_string(),
        "--key",
        &rogue.join("k.pem").display().to_string(),
        "-H",
        "X-Remote-User: admin",
        "-H",
        "X-Remote-Group: system:masters",
    ]
    .map(String::from);
    let (code, body) =
        direct(setup, "GET", &list, &rogue_args.iter().map(String::as_str).collect::<Vec<_>>())?;
    assert_eq!(code, 401, "a self-signed front-proxy look-alike must not authenticate: {body}");

    // The front proxy's certificate makes the headers authoritative.
    let proxy_args = [
        "--cert",
        &self_cert.display().to_string(),
        "--key",
        &self_key.display().to_string(),
        "-H",
        "X-Remote-User: admin",
        "-H",
        "X-Remote-Group: system:masters",
    ]
    .map(String::from);
    let (code, body) =
        direct(setup, "GET", &list, &proxy_args.iter().map(String::as_str).collect::<Vec<_>>())?;
    assert_eq!(code, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body)?["items"].as_array().map(Vec::len), Some(3), "{body}");

    // A bearer token is checked with a TokenReview; what it may do, with a SubjectAccessReview.
    let token = viewer_token(&admin, &ns)?;
    let bearer = format!("Authorization: Bearer {token}");
    let (code, body) = direct(setup, "GET", &list, &["-H", &bearer])?;
    assert_eq!(code, 200, "{body}");
    let (code, body) = direct(
        setup,
        "POST",
        &list,
        &["-H", &bearer, "-H", "Content-Type: application/json", "-d", &draft("t")],
    )?;
    assert_eq!(code, 403, "{body}");
    assert!(body.contains(&format!(r#"User \"system:serviceaccount:{ns}:viewer\" cannot create"#)), "{body}");
    let (code, body) = direct(setup, "GET", &list, &["-H", "Authorization: Bearer not-a-token"])?;
    assert_eq!(code, 401, "{body}");

    // Health needs no credentials (--authorization-always-allow-paths).
    let (code, body) = direct(setup, "GET", "/readyz", &[])?;
    assert_eq!((code, body.as_str()), (200, "ok"));
    Ok(())
}

#[test]
fn a_restart_keeps_every_object_and_resource_versions_never_go_back() -> Result<()> {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(setup) = setup()? else { return Ok(()) };
    let scratch = tempfile::tempdir()?;
    let (_ns, k) = namespace_with_repository(setup, scratch.path())?;
    k.with_manifest(&["create", "-f", "-"], &draft("r")).success()?;
    let before: Value = serde_json::from_str(&k.run(&["get", "packagerevisions", "-o", "json"]).success()?)?;
    let rv = |v: &Value| {
        v["metadata"]["resourceVersion"].as_str().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
    };
    let list_rv = rv(&before);
    let items: Vec<(String, u64)> = before["items"]
        .as_array()
        .context("items")?
        .iter()
        .map(|i| (i["metadata"]["name"].as_str().unwrap_or_default().to_string(), rv(i)))
        .collect();
    assert_eq!(items.len(), 4, "v1, v2, main and the draft");

    let status = setup.restart()?.status;
    assert!(status.success(), "SIGTERM ends the server cleanly: {status}");

    let after: Value = serde_json::from_str(&k.run(&["get", "packagerevisions", "-o", "json"]).success()?)?;
    assert!(rv(&after) >= list_rv, "the list's resourceVersion went back: {} < {list_rv}", rv(&after));
    let again: Vec<(String, u64)> = after["items"]
        .as_array()
        .context("items")?
        .iter()
        .map(|i| (i["metadata"]["name"].as_str().unwrap_or_default().to_string(), rv(i)))
        .collect();
    assert_eq!(again, items, "the same objects at the same resourceVersions");
    // A change after the restart gets a newer resourceVersion.
    let draft_name =
        items.iter().find(|(n, _)| n.contains("new-r")).map(|(n, _)| n.clone()).context("the draft")?;
    k.run(&[
        "patch",
        "packagerevision",
        &draft_name,
        "--type=merge",
        "-p",
        r#"{"spec":{"lifecycle":"Proposed"}}"#,
    ])
    .success()?;
    let proposed: Value =
        serde_json::from_str(&k.run(&["get", "packagerevision", &draft_name, "-o", "json"]).success()?)?;
    assert!(rv(&proposed) > list_rv, "{} <= {list_rv}", rv(&proposed));
    Ok(())
}

#[test]
fn no_new_revisions_in_a_terminating_namespace() -> Result<()> {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(setup) = setup()? else { return Ok(()) };
    let scratch = tempfile::tempdir()?;
    let (ns, k) = namespace_with_repository(setup, scratch.path())?;
    // A ConfigMap with a finalizer nobody removes keeps the namespace Terminating.
    k.with_manifest(
        &["create", "-f", "-"],
        r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "hold", "finalizers": ["example.com/hold"]}}"#,
    )
    .success()?;
    setup.kubectl(None).run(&["delete", "namespace", &ns, "--wait=false"]).success()?;
    let terminating = wait_until(std::time::Duration::from_secs(30), || {
        let phase =
            setup.kubectl(None).run(&["get", "namespace", &ns, "-o", "jsonpath={.status.phase}"]).stdout;
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
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(setup) = setup()? else { return Ok(()) };
    let scratch = tempfile::tempdir()?;
    let (_ns, k) = namespace_with_repository(setup, scratch.path())?;
    k.run(&["create", "configmap", "owner"]).success()?;
    let uid = k.run(&["get", "configmap", "owner", "-o", "jsonpath={.metadata.uid}"]).success()?;
    let mut pr: Value = serde_json::from_str(&draft("owned"))?;
    pr["metadata"]["ownerReferences"] =
        json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid}]);
    k.with_manifest(&["create", "-f", "-"], &pr.to_string()).success()?;
    let name = "blue.new-owned.ws";
    k.run(&["get", "packagerevision", name]).success()?;

    // The garbage collector of kube-controller-manager finds the revision through the
    // aggregated API (metadata lists and watches) and deletes it once its owner is gone.
    k.run(&["delete", "configmap", "owner"]).success()?;
    let gone = wait_until(std::time::Duration::from_secs(60), || {
        let out = k.run(&["get", "packagerevision", name, "--ignore-not-found", "-o", "name"]);
        (out.ok() && out.stdout.trim().is_empty()).then_some(())
    });
    assert!(
        gone.is_some(),
        "the garbage collector did not delete {name}; porch-server log:\n{}",
        setup.server_logs()
    );
    Ok(())
}
