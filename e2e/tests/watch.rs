//! `kubectl get -w` prints the changes made while it runs.

use anyhow::Result;
use porch_e2e::{Endpoint, repository_manifest, unique_name};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
const REPO_URL: &str = "https://github.com/nephio-project/catalog.git";

fn rows_of(out: &str, name: &str) -> usize {
    out.lines().filter(|l| l.split_whitespace().next() == Some(name)).count()
}

#[test]
fn get_w_prints_rows_for_changes_made_meanwhile() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let first = unique_name("first");
    let second = unique_name("second");
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&first, REPO_URL, "one")).success()?;

    let watch = ep.kubectl().spawn(&["get", "repositories", "-w"])?;
    watch.wait_for_stdout(WAIT, "the header and the existing row", |out| {
        out.lines().next().is_some_and(|h| h.starts_with("NAME") && h.contains("BRANCH"))
            && rows_of(out, &first) == 1
    })?;

    // Another Repository is created, then the first one is changed, then the second deleted.
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&second, REPO_URL, "two")).success()?;
    watch.wait_for_stdout(WAIT, "a row for the new repository", |out| rows_of(out, &second) == 1)?;
    k.run(&["patch", "repository", &first, "--type=merge", "-p", r#"{"spec":{"deployment":true}}"#])
        .success()?;
    watch.wait_for_stdout(WAIT, "a row for the modified repository", |out| {
        out.lines().any(|l| l.starts_with(&first) && l.split_whitespace().any(|c| c == "true"))
    })?;
    k.run(&["delete", "repository", &second]).success()?;
    watch.wait_for_stdout(WAIT, "a row for the deleted repository", |out| rows_of(out, &second) == 2)?;

    let out = watch.stop();
    // The header is printed once, and every row has the table's columns.
    assert_eq!(out.stdout.lines().filter(|l| l.starts_with("NAME")).count(), 1, "{}", out.stdout);
    assert_eq!(rows_of(&out.stdout, &first), 2, "{}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 5, "{}", out.stdout);
    Ok(())
}

#[test]
fn get_w_with_watch_events_names_each_change() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("evented");
    let anchor = unique_name("anchor");
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&anchor, REPO_URL, "listed")).success()?;
    let watch = ep.kubectl().spawn(&["get", "repositories", "-w", "--output-watch-events"])?;
    // Once the existing object is printed, the list is done and the watch follows.
    watch.wait_for_stdout(WAIT, "the existing repository", |out| out.contains(&anchor))?;
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&name, REPO_URL, "one")).success()?;
    k.run(&["patch", "repository", &name, "--type=merge", "-p", r#"{"spec":{"description":"two"}}"#])
        .success()?;
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
    assert_eq!(
        events,
        [
            ("ADDED", anchor.as_str()),
            ("ADDED", name.as_str()),
            ("MODIFIED", name.as_str()),
            ("DELETED", name.as_str())
        ],
        "{}",
        out.stdout
    );
    Ok(())
}

#[test]
fn get_w_of_one_named_object_follows_only_it() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("followed");
    let other = unique_name("other");
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&name, REPO_URL, "one")).success()?;
    let watch = ep.kubectl().spawn(&[
        "get",
        "repository",
        &name,
        "-w",
        "-o",
        "jsonpath={.spec.description}{\"\\n\"}",
    ])?;
    watch.wait_for_stdout(WAIT, "the current description", |out| out.lines().any(|l| l == "one"))?;
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&other, REPO_URL, "not followed"))
        .success()?;
    k.run(&["patch", "repository", &name, "--type=merge", "-p", r#"{"spec":{"description":"two"}}"#])
        .success()?;
    watch.wait_for_stdout(WAIT, "the new description", |out| out.lines().any(|l| l == "two"))?;
    let out = watch.stop();
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), ["one", "two"], "{out:?}");
    Ok(())
}
