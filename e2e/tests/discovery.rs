//! Discovery, OpenAPI and the non-resource endpoints, as kubectl sees them.

use anyhow::{Context, Result};
use porch_e2e::{Endpoint, http_request};

/// The row of `kubectl api-resources` whose NAME is `name`, split into its cells.
fn api_resource_row(table: &str, name: &str) -> Option<Vec<String>> {
    table
        .lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .find(|cells| cells.first().is_some_and(|c| c == name))
}

#[test]
fn api_resources_lists_the_porch_and_core_resources() -> Result<()> {
    let ep = Endpoint::start()?;
    let out = ep.kubectl().run(&["api-resources"]).success()?;
    let header = out.lines().next().unwrap_or_default();
    assert_eq!(porch_e2e::normalize_ws(header), "NAME SHORTNAMES APIVERSION NAMESPACED KIND", "{out}");

    // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND
    let expected: &[&[&str]] = &[
        &["repositories", "repo", "config.porch.kpt.dev/v1alpha1", "true", "Repository"],
        &["packagerevs", "config.porch.kpt.dev/v1alpha1", "true", "PackageRev"],
        &["functionconfigs", "config.porch.kpt.dev/v1alpha1", "true", "FunctionConfig"],
        &["packagerevisions", "porch.kpt.dev/v1alpha1", "true", "PackageRevision"],
        &["packagerevisionresources", "porch.kpt.dev/v1alpha1", "true", "PackageRevisionResources"],
        &["packages", "porch.kpt.dev/v1alpha1", "true", "PorchPackage"],
        &["namespaces", "ns", "v1", "false", "Namespace"],
        &["secrets", "v1", "true", "Secret"],
    ];
    for row in expected {
        let got =
            api_resource_row(&out, row[0]).with_context(|| format!("no row for {} in:\n{out}", row[0]))?;
        assert_eq!(got, row.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "api-resources:\n{out}");
    }

    // The short name works as a resource name.
    let short =
        ep.kubectl().run(&["api-resources", "--api-group=config.porch.kpt.dev", "-o", "name"]).success()?;
    let mut names: Vec<&str> = short.lines().collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "functionconfigs.config.porch.kpt.dev",
            "packagerevs.config.porch.kpt.dev",
            "repositories.config.porch.kpt.dev"
        ]
    );
    Ok(())
}

#[test]
fn explain_prints_the_field_docs_of_repository_spec_git() -> Result<()> {
    let ep = Endpoint::start()?;
    let out = ep.kubectl().run(&["explain", "repository.spec.git"]).success()?;
    for needle in [
        "KIND:",
        "Repository",
        "config.porch.kpt.dev",
        "FIELDS:",
        "repo\t",
        "branch\t",
        "Address of the git repository",
        "Branch holding the packages",
        "secretRef",
    ] {
        assert!(out.contains(needle), "`kubectl explain repository.spec.git` lacks {needle:?}:\n{out}");
    }
    let spec = ep.kubectl().run(&["explain", "repositories.spec"]).success()?;
    assert!(spec.contains("git\t") && spec.contains("description\t"), "{spec}");
    Ok(())
}

#[test]
fn explain_prints_the_field_docs_of_packagerevision_spec_tasks() -> Result<()> {
    let ep = Endpoint::start()?;
    let out = ep.kubectl().run(&["explain", "packagerevision.spec.tasks"]).success()?;
    for needle in
        ["porch.kpt.dev", "PackageRevision", "FIELDS:", "init\t", "clone\t", "edit\t", "upgrade\t", "type\t"]
    {
        assert!(
            out.contains(needle),
            "`kubectl explain packagerevision.spec.tasks` lacks {needle:?}:\n{out}"
        );
    }
    Ok(())
}

#[test]
fn porch_kpt_dev_resources_are_served_empty_before_any_repository() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    for resource in ["packagerevisions", "packagerevisionresources", "packages"] {
        let out = k.run(&["get", resource]);
        assert!(out.ok(), "{out:?}");
        assert!(out.stderr.contains("No resources found"), "{out:?}");
    }
    // Packages cannot be written directly: 405 with Porch's text.
    let manifest = r#"{"apiVersion":"porch.kpt.dev/v1alpha1","kind":"PorchPackage","metadata":{"name":"r.p"},"spec":{}}"#;
    let err = k.with_manifest(&["create", "-f", "-"], manifest).failure()?;
    assert!(err.contains("create or clone a PackageRevision resource to create a package"), "{err}");
    Ok(())
}

#[test]
fn health_version_and_metrics_endpoints() -> Result<()> {
    let ep = Endpoint::start()?;
    let Some(addr) = ep.host_port() else { return Ok(()) };
    for path in ["/livez", "/readyz", "/healthz"] {
        let r = http_request(addr, "GET", path, &[], b"")?;
        assert_eq!((r.status, r.text().trim()), (200, "ok"), "{path}");
    }
    let version = ep.kubectl().run(&["version", "-o", "json"]).success()?;
    let v: serde_json::Value = serde_json::from_str(&version)?;
    assert!(v["serverVersion"]["gitVersion"].as_str().is_some_and(|s| !s.is_empty()), "{version}");

    // Requests made so far are counted (the binary installs the Prometheus recorder).
    ep.kubectl().run(&["get", "repositories"]).success()?;
    let m = http_request(addr, "GET", "/metrics", &[], b"")?;
    assert_eq!(m.status, 200);
    let text = m.text();
    let counted = text.lines().filter(|l| l.starts_with("porch_requests_total{")).collect::<Vec<_>>();
    assert!(!counted.is_empty(), "no porch_requests_total in /metrics:\n{text}");
    let list_ok = ["verb=\"list\"", "resource=\"repositories\"", "code=\"200\""];
    assert!(
        counted.iter().any(|l| list_ok.iter().all(|label| l.contains(label))),
        "the list of repositories is not counted:\n{}",
        counted.join("\n")
    );
    assert!(text.contains("porch_request_duration_seconds"), "{text}");
    Ok(())
}
