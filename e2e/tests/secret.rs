//! Core v1 Secrets, as a Repository's credentials are created.

use anyhow::Result;
use porch_e2e::{Endpoint, unique_name};

#[test]
fn create_secret_generic_basic_auth() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("git-auth");
    let out = k
        .run(&[
            "create",
            "secret",
            "generic",
            &name,
            "--type=kubernetes.io/basic-auth",
            "--from-literal=username=u",
            "--from-literal=password=p",
        ])
        .success()?;
    assert_eq!(out.trim(), format!("secret/{name} created"));
    assert_eq!(k.run(&["get", "secret", &name, "-o", "jsonpath={.data.username}"]).success()?, "dQ==");
    assert_eq!(k.run(&["get", "secret", &name, "-o", "jsonpath={.data.password}"]).success()?, "cA==");
    assert_eq!(
        k.run(&["get", "secret", &name, "-o", "jsonpath={.type}"]).success()?,
        "kubernetes.io/basic-auth"
    );

    let table = k.run(&["get", "secrets"]).success()?;
    assert!(table.lines().any(|l| l.starts_with(&name) && l.contains("kubernetes.io/basic-auth")), "{table}");

    // A basic-auth secret must carry its keys.
    let err =
        k.run(&["create", "secret", "generic", "empty", "--type=kubernetes.io/basic-auth"]).failure()?;
    assert!(err.contains("is invalid"), "{err}");

    k.run(&["delete", "secret", &name]).success()?;
    assert!(k.run(&["get", "secret", &name]).failure()?.contains("NotFound"));
    Ok(())
}

/// `kubectl patch`, `label` and `annotate` send strategic merge patches for Secrets and
/// Namespaces by default; they are applied as kube-apiserver applies them (finalizers merge as
/// a set, `$deleteFromPrimitiveList` removes).
#[test]
fn kubectl_patch_label_and_annotate_send_strategic_merge_patches() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("smp");
    k.run(&["create", "secret", "generic", &name, "--from-literal=a=1"]).success()?;
    let get = |path: &str| k.run(&["get", "secret", &name, "-o", &format!("jsonpath={path}")]).success();

    k.run(&["patch", "secret", &name, "-p", r#"{"data":{"b":"Mg=="},"metadata":{"finalizers":["x/one"]}}"#])
        .success()?;
    k.run(&["patch", "secret", &name, "--type=strategic", "-p", r#"{"metadata":{"finalizers":["x/two"]}}"#])
        .success()?;
    assert_eq!(get("{.data.a},{.data.b}")?, "MQ==,Mg==");
    // A value new to the list comes first: kube-apiserver's order, which the aggregated run of
    // this test checks against the real thing.
    assert_eq!(get("{.metadata.finalizers}")?, r#"["x/two","x/one"]"#);
    let remove = r#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["x/one","x/two"]}}"#;
    k.run(&["patch", "secret", &name, "-p", remove]).success()?;
    assert_eq!(get("{.metadata.finalizers[*]}")?, "");

    k.run(&["label", "secret", &name, "team=blue"]).success()?;
    k.run(&["annotate", "secret", &name, "note=hi"]).success()?;
    assert_eq!(get("{.metadata.labels.team},{.metadata.annotations.note}")?, "blue,hi");
    k.run(&["label", "secret", &name, "team-"]).success()?;
    assert_eq!(get("{.metadata.labels.team}")?, "");

    let ns = unique_name("smp");
    k.run(&["create", "namespace", &ns]).success()?;
    k.run(&["label", "namespace", &ns, "env=test"]).success()?;
    let labels = k.run(&["get", "namespace", &ns, "-o", "jsonpath={.metadata.labels.env}"]).success()?;
    assert_eq!(labels, "test");

    k.run(&["delete", "namespace", &ns]).success()?;
    k.run(&["delete", "secret", &name]).success()?;
    Ok(())
}

/// Client-side `kubectl apply` of an existing Secret sends a three-way strategic merge patch:
/// keys the configuration dropped go, keys others added stay.
#[test]
fn kubectl_apply_updates_an_existing_secret() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("applied");
    let manifest = |data: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  labels:\n    app: x\ndata:\n{data}"
        )
    };
    k.with_manifest(&["apply", "-f", "-"], &manifest("  a: MQ==\n  b: Mg==\n")).success()?;
    k.run(&["label", "secret", &name, "added=by-hand"]).success()?;
    let out = k.with_manifest(&["apply", "-f", "-"], &manifest("  a: MTE=\n  c: Mw==\n")).success()?;
    assert_eq!(out.trim(), format!("secret/{name} configured"));
    let get = |path: &str| k.run(&["get", "secret", &name, "-o", &format!("jsonpath={path}")]).success();
    assert_eq!(get("{.data.a},{.data.b},{.data.c}")?, "MTE=,,Mw==");
    assert_eq!(get("{.metadata.labels.app},{.metadata.labels.added}")?, "x,by-hand");
    k.run(&["delete", "secret", &name]).success()?;
    Ok(())
}
