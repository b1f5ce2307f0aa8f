//! The life of a Repository through kubectl: apply, get (table, yaml), apply again, server-side
//! apply, patch (merge and JSON), delete; and the errors a user sees for bad input.

use anyhow::Result;
use porch_e2e::git::unreachable_url;
use porch_e2e::{Endpoint, Kubectl, normalize_ws, register, repository_manifest, unique_name};

fn description(k: &Kubectl, name: &str) -> Result<String> {
    k.run(&["get", "repository", name, "-o", "jsonpath={.spec.description}"]).success()
}

#[test]
fn repository_lifecycle_through_kubectl() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("catalog");
    let url = unreachable_url("catalog.git")?;

    // apply: created.
    let out = k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&name, &url, "first")).success()?;
    assert_eq!(out.trim(), format!("repository.config.porch.kpt.dev/{name} created"));

    // get: the CRD's printer columns, and a row for it.
    let table = k.run(&["get", "repositories"]).success()?;
    let mut lines = table.lines();
    assert_eq!(
        normalize_ws(lines.next().unwrap_or_default()),
        "NAME TYPE CONTENT SYNC SCHEDULE DEPLOYMENT READY ADDRESS BRANCH AGE",
        "{table}"
    );
    let row = lines.find(|l| l.starts_with(&format!("{name} "))).unwrap_or_default();
    let cells: Vec<&str> = row.split_whitespace().collect();
    for cell in ["git", "Package", &url, "main"] {
        assert!(cells.contains(&cell), "row {row:?} lacks {cell:?}:\n{table}");
    }
    // The short name and a single-object Table.
    let one = k.run(&["get", "repo", &name]).success()?;
    assert_eq!(one.lines().count(), 2, "{one}");
    assert!(one.lines().nth(1).is_some_and(|l| l.starts_with(&name)), "{one}");

    // -o yaml shows the spec as applied (and defaulted).
    let yaml = k.run(&["get", "repo", &name, "-o", "yaml"]).success()?;
    for needle in [
        "apiVersion: config.porch.kpt.dev/v1alpha1",
        "kind: Repository",
        &format!("name: {name}"),
        "description: first",
        "type: git",
        &format!("repo: {url}"),
        "branch: main",
        "resourceVersion:",
        "creationTimestamp:",
        "kubectl.kubernetes.io/last-applied-configuration",
    ] {
        assert!(yaml.contains(needle), "-o yaml lacks {needle:?}:\n{yaml}");
    }

    // apply of a changed file: configured, and visible.
    let out =
        k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&name, &url, "second")).success()?;
    assert_eq!(out.trim(), format!("repository.config.porch.kpt.dev/{name} configured"));
    assert_eq!(description(&k, &name)?, "second");
    // apply of the same file again: unchanged.
    let out =
        k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&name, &url, "second")).success()?;
    assert_eq!(out.trim(), format!("repository.config.porch.kpt.dev/{name} unchanged"));

    // Server-side apply of a further change.
    let out = k
        .with_manifest(
            &["apply", "--server-side", "--force-conflicts", "-f", "-"],
            &repository_manifest(&name, &url, "third"),
        )
        .success()?;
    assert_eq!(out.trim(), format!("repository.config.porch.kpt.dev/{name} serverside-applied"));
    assert_eq!(description(&k, &name)?, "third");

    // Merge patch and JSON patch.
    let out = k
        .run(&["patch", "repository", &name, "--type=merge", "-p", r#"{"spec":{"description":"merged"}}"#])
        .success()?;
    assert_eq!(out.trim(), format!("repository.config.porch.kpt.dev/{name} patched"));
    assert_eq!(description(&k, &name)?, "merged");
    k.run(&[
        "patch",
        "repository",
        &name,
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/description","value":"json-patched"},
            {"op":"add","path":"/metadata/labels","value":{"team":"blue"}}]"#,
    ])
    .success()?;
    assert_eq!(description(&k, &name)?, "json-patched");
    let labelled = k.run(&["get", "repositories", "-l", "team=blue", "-o", "name"]).success()?;
    assert_eq!(labelled.trim(), format!("repository.config.porch.kpt.dev/{name}"));

    // delete: gone.
    let out = k.run(&["delete", "repository", &name]).success()?;
    // kubectl 1.35 adds " from <namespace> namespace".
    let deleted = format!("repository.config.porch.kpt.dev \"{name}\" deleted");
    assert!(out.trim() == deleted || out.trim().starts_with(&format!("{deleted} from ")), "{out}");
    let err = k.run(&["get", "repository", &name]).failure()?;
    assert_eq!(
        err.trim(),
        format!("Error from server (NotFound): repositories.config.porch.kpt.dev \"{name}\" not found")
    );
    let none = k.run(&["get", "repositories"]);
    assert!(none.ok() && !none.stdout.contains(&name), "{none:?}");
    Ok(())
}

#[test]
fn describe_shows_the_spec() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("described");
    let url = unreachable_url("catalog.git")?;
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&name, &url, "to describe")).success()?;
    let out = k.run(&["describe", "repository", &name]).success()?;
    let flat = normalize_ws(&out);
    for needle in [&format!("Name: {name}"), "Kind: Repository", "Description: to describe", &url] {
        assert!(flat.contains(needle), "describe lacks {needle:?}:\n{out}");
    }
    Ok(())
}

#[test]
fn an_uppercase_name_is_refused_with_the_field_error() -> Result<()> {
    let ep = Endpoint::start()?;
    let manifest = repository_manifest("Bad-Name", &unreachable_url("catalog.git")?, "x");
    let out = ep.kubectl().with_manifest(&["apply", "-f", "-"], &manifest);
    let stderr = out.clone().failure()?;
    assert!(stderr.contains("is invalid"), "{out:?}");
    assert!(stderr.contains("metadata.name"), "{out:?}");
    assert!(stderr.contains("Bad-Name"), "{out:?}");
    Ok(())
}

#[test]
fn spec_git_repo_is_immutable() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("fixed");
    let url = unreachable_url("catalog.git")?;
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&name, &url, "x")).success()?;

    let moved = repository_manifest(&name, "https://example.com/other.git", "x");
    let out = k.with_manifest(&["apply", "-f", "-"], &moved);
    let stderr = out.clone().failure()?;
    assert!(stderr.contains("spec.git.repo") && stderr.contains("immutable"), "{out:?}");

    let out = k.run(&[
        "patch",
        "repository",
        &name,
        "--type=merge",
        "-p",
        r#"{"spec":{"git":{"repo":"https://example.com/other.git"}}}"#,
    ]);
    let stderr = out.clone().failure()?;
    assert!(stderr.contains("immutable"), "{out:?}");

    let out = k.run(&[
        "patch",
        "repository",
        &name,
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/git/repo","value":"https://example.com/other.git"}]"#,
    ]);
    assert!(out.clone().failure()?.contains("immutable"), "{out:?}");

    let repo = k.run(&["get", "repository", &name, "-o", "jsonpath={.spec.git.repo}"]).success()?;
    assert_eq!(repo, url);
    Ok(())
}

#[test]
fn an_unknown_field_is_refused_by_strict_field_validation() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("bogus");
    let manifest = repository_manifest(&name, &unreachable_url("catalog.git")?, "x") + "  bogus: true\n";
    let out = k.with_manifest(&["create", "-f", "-"], &manifest);
    let stderr = out.clone().failure()?;
    assert!(stderr.contains("spec.bogus"), "{out:?}");
    let err = k.run(&["get", "repository", &name]).failure()?;
    assert!(err.contains("NotFound"), "{err}");
    Ok(())
}

#[test]
fn get_and_describe_show_readiness_and_the_sync_facts() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let remote = porch_e2e::git::remote_with_packages(ep.scratch(), "blueprints", &[("basens", &[1, 2])])?;
    let url = porch_e2e::git::file_url(&remote);
    register(&k, "blueprints", &url)?;
    let table = k.run(&["get", "repository", "blueprints"]).success()?;
    let row = normalize_ws(table.lines().nth(1).unwrap_or_default());
    assert!(row.starts_with(&format!("blueprints git Package True {url} main")), "{table}");
    let described = k.run(&["describe", "repository", "blueprints"]).success()?;
    for needle in [
        "Finalizers:",
        "config.porch.kpt.dev/repository",
        "Message:               Repository Ready",
        "Reason:                Ready",
        "Last Full Sync Time:",
        "Next Full Sync Time:",
        "Package Count:           3",
        &format!("Git Commit Hash:         {}", porch_e2e::git::git(&remote, &["rev-parse", "main"])?),
    ] {
        assert!(described.contains(needle), "describe lacks {needle:?}:\n{described}");
    }

    // An unreachable remote: Ready False with the error, within seconds.
    let unreachable = unreachable_url("x.git")?;
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest("unreachable", &unreachable, "closed port"))
        .success()?;
    k.run(&[
        "wait",
        "--for=jsonpath={.status.conditions[0].reason}=Error",
        "repository/unreachable",
        "--timeout=30s",
    ])
    .success()?;
    let described = k.run(&["describe", "repository", "unreachable"]).success()?;
    assert!(described.contains("Reason:                Error"), "{described}");
    assert!(described.contains(&unreachable), "{described}");
    // Deleting it runs the controller's cleanup; kubectl waits for it.
    let out = k.run(&["delete", "repository", "unreachable"]).success()?;
    assert_eq!(out.trim(), "repository.config.porch.kpt.dev \"unreachable\" deleted");
    Ok(())
}
