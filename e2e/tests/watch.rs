//! `kubectl get -w` prints the changes made while it runs. The server's repository controller
//! writes each Repository's `Ready` condition too (these remotes are unreachable, so it reports
//! an error), so status-only MODIFIED rows come in between the users' changes.

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
            && rows_of(out, &first) >= 1
    })?;

    // Another Repository is created, then the first one is changed, then the second deleted.
    k.with_manifest(&["apply", "-f", "-"], &repository_manifest(&second, REPO_URL, "two")).success()?;
    watch.wait_for_stdout(WAIT, "a row for the new repository", |out| rows_of(out, &second) >= 1)?;
    k.run(&["patch", "repository", &first, "--type=merge", "-p", r#"{"spec":{"deployment":true}}"#])
        .success()?;
    watch.wait_for_stdout(WAIT, "a row for the modified repository", |out| {
        out.lines().any(|l| l.starts_with(&first) && l.split_whitespace().any(|c| c == "true"))
    })?;
    let before_delete = rows_of(&watch.stdout(), &second);
    k.run(&["delete", "repository", &second]).success()?;
    watch.wait_for_stdout(WAIT, "a row for the deleted repository", |out| {
        rows_of(out, &second) > before_delete
    })?;

    let out = watch.stop();
    // The header is printed once; every change got its row.
    assert_eq!(out.stdout.lines().filter(|l| l.starts_with("NAME")).count(), 1, "{}", out.stdout);
    assert!(rows_of(&out.stdout, &first) >= 2, "{}", out.stdout);
    assert!(rows_of(&out.stdout, &second) >= 2, "{}", out.stdout);
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
    // The user's changes in order; status-only MODIFIED events may come in between.
    let of = |who: &str| -> Vec<&str> { events.iter().filter(|(_, n)| *n == who).map(|(e, _)| *e).collect() };
    let anchor_events = of(&anchor);
    assert_eq!(anchor_events.first(), Some(&"ADDED"), "{}", out.stdout);
    assert!(anchor_events[1..].iter().all(|e| *e == "MODIFIED"), "{}", out.stdout);
    let named = of(&name);
    assert_eq!((named.first(), named.last()), (Some(&"ADDED"), Some(&"DELETED")), "{}", out.stdout);
    assert!(named[1..named.len() - 1].iter().all(|e| *e == "MODIFIED") && named.len() >= 3, "{}", out.stdout);
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
    // Status writes of the controller print the same description again.
    let mut seen: Vec<&str> = out.stdout.lines().collect();
    seen.dedup();
    assert_eq!(seen, ["one", "two"], "{out:?}");
    Ok(())
}
