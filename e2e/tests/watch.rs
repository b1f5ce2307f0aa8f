//! `kubectl get -w` prints the changes made while it runs. The server's repository controller
//! writes each Repository too: these remotes are unreachable, so after a create it adds its
//! finalizer, reports `Reconciling`, then the `Error`; after a spec change, the `Error` for the
//! new generation; then nothing until the next change. Each step waits for that, so the rows
//! printed are exactly known.

use anyhow::{Context, Result};
use porch_e2e::git::unreachable_url;
use porch_e2e::{Endpoint, Kubectl, repository_manifest, unique_name, wait_until};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn rows_of(out: &str, name: &str) -> usize {
    out.lines().filter(|l| l.split_whitespace().next() == Some(name)).count()
}

/// Applies Repository `name` (for an unreachable remote) and waits for the controller's writes.
fn apply(k: &Kubectl, name: &str, description: &str) -> Result<()> {
    let manifest = repository_manifest(name, &unreachable_url("catalog.git")?, description);
    k.with_manifest(&["apply", "-f", "-"], &manifest).success()?;
    settled(k, name)
}

/// Merge-patches Repository `name`'s spec with `spec` and waits for the controller's write.
fn patch_spec(k: &Kubectl, name: &str, spec: &str) -> Result<()> {
    k.run(&["patch", "repository", name, "--type=merge", "-p", &format!(r#"{{"spec":{spec}}}"#)])
        .success()?;
    settled(k, name)
}

/// Waits until the controller reported the failed sync of Repository `name`'s current generation.
fn settled(k: &Kubectl, name: &str) -> Result<()> {
    let jsonpath =
        "jsonpath={.metadata.generation} {.status.observedGeneration} {.status.conditions[0].reason}";
    wait_until(WAIT, || {
        let out = k.run(&["get", "repository", name, "-o", jsonpath]).stdout;
        let cells: Vec<&str> = out.split_whitespace().collect();
        matches!(cells[..], [generation, observed, "Error"] if generation == observed).then_some(())
    })
    .with_context(|| format!("the controller did not report the error of repository {name}"))
}

#[test]
fn get_w_prints_rows_for_changes_made_meanwhile() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let first = unique_name("first");
    let second = unique_name("second");
    apply(&k, &first, "one")?;

    let watch = ep.kubectl().spawn(&["get", "repositories", "-w"])?;
    watch.wait_for_stdout(WAIT, "the header and the existing row", |out| {
        out.lines().next().is_some_and(|h| h.starts_with("NAME") && h.contains("BRANCH"))
            && rows_of(out, &first) == 1
    })?;

    // Another Repository is created (4 rows: the user's, the controller's 3), then the first one
    // is changed (2: the user's, the controller's), then the second deleted (2: marked for
    // deletion, then gone once the controller's cleanup released its finalizer).
    apply(&k, &second, "two")?;
    watch.wait_for_stdout(WAIT, "rows for the new repository", |out| rows_of(out, &second) == 4)?;
    patch_spec(&k, &first, r#"{"deployment":true}"#)?;
    watch.wait_for_stdout(WAIT, "rows for the modified repository", |out| rows_of(out, &first) == 3)?;
    k.run(&["delete", "repository", &second]).success()?;
    watch.wait_for_stdout(WAIT, "rows for the deleted repository", |out| rows_of(out, &second) == 6)?;

    let out = watch.stop();
    // The header is printed once; every change got its row, and only those.
    assert_eq!(out.stdout.lines().filter(|l| l.starts_with("NAME")).count(), 1, "{}", out.stdout);
    let deployment: Vec<bool> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with(&first))
        .map(|l| l.split_whitespace().any(|c| c == "true"))
        .collect();
    assert_eq!(deployment, [false, true, true], "{}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 10, "{}", out.stdout);
    Ok(())
}

#[test]
fn get_w_with_watch_events_names_each_change() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("evented");
    let anchor = unique_name("anchor");
    apply(&k, &anchor, "listed")?;
    let watch = ep.kubectl().spawn(&["get", "repositories", "-w", "--output-watch-events"])?;
    // Once the existing object is printed, the list is done and the watch follows.
    watch.wait_for_stdout(WAIT, "the existing repository", |out| out.contains(&anchor))?;
    apply(&k, &name, "one")?;
    patch_spec(&k, &name, r#"{"description":"two"}"#)?;
    k.run(&["delete", "repository", &name]).success()?;
    watch.wait_for_stdout(WAIT, "ADDED, MODIFIED and DELETED", |out| out.contains("DELETED"))?;
    let out = watch.stop();
    let mut lines = out.stdout.lines();
    assert!(lines.next().is_some_and(|h| h.starts_with("EVENT") && h.contains("NAME")), "{}", out.stdout);
    let events: Vec<(&str, &str)> = lines
        .map(|l| {
            let mut cells = l.split_whitespace();
            (cells.next().unwrap_or_default(), cells.next().unwrap_or_default())
        })
        .collect();
    // The creation and the controller's 3 writes, the user's change and the controller's write,
    // the deletion mark, the deletion.
    let mut want = vec![("ADDED", anchor.as_str()), ("ADDED", name.as_str())];
    want.extend([("MODIFIED", name.as_str()); 6]);
    want.push(("DELETED", name.as_str()));
    assert_eq!(events, want, "{}", out.stdout);
    Ok(())
}

#[test]
fn get_w_of_one_named_object_follows_only_it() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("followed");
    let other = unique_name("other");
    apply(&k, &name, "one")?;
    let watch = ep.kubectl().spawn(&[
        "get",
        "repository",
        &name,
        "-w",
        "-o",
        "jsonpath={.spec.description}{\"\\n\"}",
    ])?;
    watch.wait_for_stdout(WAIT, "the current description", |out| out.lines().any(|l| l == "one"))?;
    apply(&k, &other, "not followed")?;
    patch_spec(&k, &name, r#"{"description":"two"}"#)?;
    // The user's change, then the controller's status write.
    watch.wait_for_stdout(WAIT, "the new description", |out| {
        out.lines().filter(|l| *l == "two").count() == 2
    })?;
    let out = watch.stop();
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), ["one", "two", "two"], "{out:?}");
    Ok(())
}
