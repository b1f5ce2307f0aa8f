//! The memory the server keeps for watches is bounded by bytes (`--watch-event-window-bytes`),
//! not only by the event count: a few hundred 1 MiB writes grow the server's resident memory by
//! at most the budget and a fixed slack, and a watch from before them then gets the 410
//! ERROR event because its events were evicted for their bytes (the count limit, 10 000, is far
//! away). Local server only: it reads `/proc/<pid>/status`.

use anyhow::{Context, Result, bail, ensure};
use porch_e2e::git::unreachable_url;
use porch_e2e::{Endpoint, http_request};
use serde_json::{Value, json};
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

const MIB: u64 = 1 << 20;
/// The byte budget the server runs with.
const BUDGET: u64 = 32 * MIB;
/// What the server's resident memory may grow beyond the budget: every 1 MiB write passes
/// through several transient copies (request body, parsed object, merge patch, stored object,
/// response, the controller's status write of the same object), which the allocator keeps for
/// reuse rather than returning, plus redb's page cache and what the stalled watcher holds (one
/// read chunk and hyper's write buffer). Measured on x86-64 glibc, 2 cores, debug build: 40 to
/// 55 MiB. Without a byte budget the same run grew by 2.5 MiB per write, 500 MiB in all.
const SLACK: u64 = 96 * MIB;
/// Writes in each half of the run.
const HALF: usize = 100;

const REPOSITORIES: &str = "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories";

fn rss(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmRSS in /proc/<pid>/status")?;
    Ok(kib * 1024)
}

fn request(host: &str, method: &str, path: &str, body: &Value) -> Result<Value> {
    let (headers, bytes) = match method {
        "PATCH" => (vec![("Content-Type", "application/merge-patch+json")], serde_json::to_vec(body)?),
        "POST" => (vec![("Content-Type", "application/json")], serde_json::to_vec(body)?),
        _ => (vec![], Vec::new()),
    };
    let res = http_request(host, method, path, &headers, &bytes)?;
    ensure!(
        res.status < 300,
        "{method} {path}: {} {}",
        res.status,
        res.text().chars().take(300).collect::<String>()
    );
    Ok(serde_json::from_slice(&res.body)?)
}

fn resource_version(object: &Value) -> Result<u64> {
    object["metadata"]["resourceVersion"].as_str().and_then(|v| v.parse().ok()).context("no resourceVersion")
}

/// Sets the description of Repository `name` to `tag` followed by 1 MiB.
fn write_mib(host: &str, name: &str, tag: usize) -> Result<u64> {
    let description = format!("{tag}:{}", "x".repeat(MIB as usize));
    let patch = json!({"spec": {"description": description}});
    resource_version(&request(host, "PATCH", &format!("{REPOSITORIES}/{name}"), &patch)?)
}

/// The lines of a watch of Repositories from `rv`, read to its end.
fn watch_lines(host: &str, query: &str) -> Result<Vec<Value>> {
    let res = http_request(host, "GET", &format!("{REPOSITORIES}?watch=1&{query}"), &[], b"")?;
    ensure!(res.status == 200, "watch: {} {}", res.status, res.text());
    res.text().lines().map(|l| serde_json::from_str(l).context("a watch line")).collect()
}

#[test]
fn one_mib_writes_keep_the_server_within_its_watch_byte_budget() -> Result<()> {
    let ep = Endpoint::start_with_args(&["--watch-event-window-bytes", &BUDGET.to_string()])?;
    let (Some(pid), Some(host)) = (ep.server_pid(), ep.host_port().map(str::to_string)) else {
        eprintln!("skipped: needs a local server");
        return Ok(());
    };
    let repository = json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
        "metadata": {"name": "big"},
        "spec": {"type": "git", "description": "small", "git": {"repo": unreachable_url("big.git")?, "branch": "main"}},
    });
    let created = request(&host, "POST", REPOSITORIES, &repository)?;
    let first_rv = resource_version(&created)?;

    // A watcher that never reads: what the server holds for it must stay bounded too.
    let mut stalled = TcpStream::connect(&host)?;
    write!(
        stalled,
        "GET {REPOSITORIES}?watch=1&resourceVersion={first_rv} HTTP/1.1\r\nHost: {host}\r\n\r\n"
    )?;
    std::thread::sleep(Duration::from_millis(500));

    let base = rss(pid)?;
    let mut last = 0;
    for i in 0..HALF {
        last = write_mib(&host, "big", i)?;
    }
    let middle = rss(pid)?;
    for i in HALF..2 * HALF {
        last = write_mib(&host, "big", i)?;
    }
    let end = rss(pid)?;
    eprintln!(
        "VmRSS: {} MiB before, {} MiB after {HALF} writes of 1 MiB, {} MiB after {}; budget {} MiB",
        base / MIB,
        middle / MIB,
        end / MIB,
        2 * HALF,
        BUDGET / MIB
    );
    if end > base + BUDGET + SLACK {
        bail!("the server grew by {} MiB, more than the budget and the slack", (end - base) / MIB);
    }
    if end > middle + SLACK / 4 {
        bail!("the server kept growing: {} MiB in the second {HALF} writes", (end - middle) / MIB);
    }

    // The events after the first version were evicted for their bytes: 410, and a relist works.
    let expired = watch_lines(&host, &format!("resourceVersion={first_rv}"))?;
    ensure!(expired.len() == 1 && expired[0]["type"] == "ERROR", "expected one ERROR event: {expired:?}");
    ensure!(expired[0]["object"]["code"] == 410, "{expired:?}");
    let list = request(&host, "GET", REPOSITORIES, &Value::Null)?;
    let description = list["items"][0]["spec"]["description"].as_str().unwrap_or_default();
    ensure!(description.starts_with(&format!("{}:", 2 * HALF - 1)), "the list shows the last write");
    // A recent version still resumes, with the latest change.
    let recent = watch_lines(&host, &format!("resourceVersion={}&timeoutSeconds=1", last - 1))?;
    let modified: Vec<u64> = recent
        .iter()
        .filter(|e| e["type"] == "MODIFIED")
        .filter_map(|e| e["object"]["metadata"]["resourceVersion"].as_str()?.parse().ok())
        .collect();
    ensure!(modified.contains(&last), "resuming from {} missed {last}: {recent:?}", last - 1);
    drop(stalled);
    Ok(())
}
