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
