//! Watch fan-out through the real server: the `porch-server` binary of this workspace as a child
//! process (plain HTTP on a free loopback port, a temporary data directory), and W watches of
//! `packagerevisions` held open by this process over real TCP sockets, one connection each.
//! Run with `cargo bench --bench watch`; prints one line per figure.
//!
//! Setup: one Repository (`createBranch` on an empty `file://` bare remote), waited on until
//! Ready; one draft PackageRevision (init task); a list of `packagerevisions`, whose
//! resourceVersion every watch starts from; W watches opened at once and waited on until each
//! has its response head.
//!
//! Then N merge-PATCHes of a label on the draft, one after another over one keep-alive
//! connection, each acknowledged (its 200 read in full) before the next is sent. Every watcher
//! timestamps each event as its chunk arrives. Printed:
//!
//! - delivery latency from a write's acknowledgement to each watcher's receipt of the event with
//!   that write's resourceVersion, over all W × N deliveries: p50/p99/max (a receipt before the
//!   acknowledgement counts as 0; goal p99 < 50 ms);
//! - the events delivered (W × N expected; missing and unexpected ones reported);
//! - the same figures for the floor (`support/fanout.rs`): a minimal server process that writes
//!   each event as one chunk to every watch socket and does nothing else, driven by the same
//!   client with the same events (the last revision porch-server acknowledged) at porch-server's
//!   pace of writes (so under the same load), and the ratio of
//!   porch-server's latencies to the floor's — on a machine whose cores the client shares, the
//!   floor shows what the goal asks of the hardware;
//! - the server's CPU time (utime + stime of its `/proc/<pid>/stat`, from before the first write
//!   until the last delivery) per delivered event, the bench process's own CPU time over the
//!   same span (it shares the machine's cores with the server), and the wall time of the writes.
//!
//! Defaults: W=10 000, N=200; override with `BENCH_WATCHERS`, `BENCH_WRITES` (the figures before
//! issue 14 were W=1000, N=1000). The client is lean (one task per socket, events recognised by
//! their first bytes, one of them parsed in full) and its own CPU time is printed, since it shares
//! the two cores with the server. The server binary is
//! the one Cargo builds for this bench (same target directory and profile) unless
//! `PORCH_SERVER_BIN` names another.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;

mod support;
use support::git::bare_repo;
use support::server::{
    Conn, Server, clock_ticks, cpu_ticks, raise_nofile_limit, register, resource_version, rss_mib, wait_ready,
};
use support::{env_usize, fanout, ms, quantile};

/// The packagerevisions collection.
const PRS: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions";
/// The Repository and package the bench writes to.
const REPOSITORY: &str = "watch-bench";
const PACKAGE: &str = "watched";
/// How long the server may take to start, and the Repository to become Ready.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the watches may take to be established.
const ESTABLISH_TIMEOUT: Duration = Duration::from_secs(120);
/// After the last write: how long to wait without a single new event before giving up on the
/// missing ones.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Setup

/// Registers the Repository (createBranch on an empty bare remote) and waits until it is Ready.
async fn register_repository(conn: &mut Conn, remote: &Path) {
    register(conn, REPOSITORY, &format!("file://{}", remote.display()), true).await;
    wait_ready(conn, 1, START_TIMEOUT).await;
}

/// Creates the draft (init task) and returns its name.
async fn create_draft(conn: &mut Conn) -> String {
    let pr = json!({
        "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision",
        "metadata": {"namespace": "default"},
        "spec": {
            "repository": REPOSITORY, "packageName": PACKAGE, "workspaceName": "ws1",
            "tasks": [{"type": "init", "init": {"description": "watched by the bench"}}],
        },
    });
    let created = conn.expect(201, "POST", PRS, Some(&pr)).await;
    created["metadata"]["name"].as_str().expect("the created revision has a name").to_string()
}

// ---------------------------------------------------------------------------------------------
// Watchers

/// What one watcher saw.
#[derive(Default)]
struct Seen {
    /// resourceVersion and receipt time of every event carrying an object.
    events: Vec<(u64, Instant)>,
    /// Events without an object (BOOKMARK, ERROR), with the first ERROR's line.
    other: usize,
    error: Option<String>,
    /// Whether the server ended the stream.
    ended: bool,
}

/// The `resourceVersion` of the object of one event line, read without parsing the whole line.
fn event_resource_version(line: &[u8]) -> Option<u64> {
    const META: &[u8] = br#""metadata":{"#;
    const RV: &[u8] = br#""resourceVersion":""#;
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let meta = find(line, META)?;
    let at = meta + find(&line[meta..], RV)? + RV.len();
    let end = at + line[at..].iter().position(|b| *b == b'"')?;
    std::str::from_utf8(&line[at..end]).ok()?.parse().ok()
}

/// Records one complete event line; `verify` parses it in full and checks the quick reading.
fn record(line: &[u8], at: Instant, verify: bool, seen: &mut Seen, received: &AtomicUsize) {
    let carries_object = [&br#"{"type":"ADDED""#[..], br#"{"type":"MODIFIED""#, br#"{"type":"DELETED""#]
        .iter()
        .any(|p| line.starts_with(p));
    if !carries_object {
        seen.other += 1;
        if line.starts_with(br#"{"type":"ERROR""#) && seen.error.is_none() {
            seen.error = Some(String::from_utf8_lossy(line).into_owned());
        }
        return;
    }
    let rv = event_resource_version(line)
        .unwrap_or_else(|| panic!("an event without a resourceVersion: {}", String::from_utf8_lossy(line)));
    if verify {
        let event: Value = serde_json::from_slice(line).expect("an event line is JSON");
        assert_eq!(resource_version(&event["object"]), rv, "quick resourceVersion reading");
    }
    seen.events.push((rv, at));
    received.fetch_add(1, Ordering::Relaxed);
}

/// One watch on its own connection: counts itself in `established` when the response head has
/// arrived, then records events until `stop` or the end of the stream.
async fn watcher(
    addr: String,
    path: String,
    verify: bool,
    established: Arc<AtomicUsize>,
    received: Arc<AtomicUsize>,
    mut stop: watch::Receiver<bool>,
) -> Seen {
    let mut conn = Conn::open(&addr).await.unwrap_or_else(|e| panic!("connecting to {addr}: {e}"));
    conn.send("GET", &path, &[], b"").await;
    let head = conn.head().await;
    assert!(head.status == 200 && head.chunked, "watch answered {} (chunked: {})", head.status, head.chunked);
    established.fetch_add(1, Ordering::Relaxed);
    let mut seen = Seen::default();
    let mut buf = Vec::with_capacity(8192);
    loop {
        let more = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            more = conn.chunk(&mut buf) => more,
        };
        let at = Instant::now();
        let mut start = 0;
        while let Some(nl) = buf[start..].iter().position(|b| *b == b'\n') {
            record(&buf[start..start + nl], at, verify, &mut seen, &received);
            start += nl + 1;
        }
        buf.drain(..start);
        if !more {
            seen.ended = true;
            break;
        }
    }
    seen
}

// ---------------------------------------------------------------------------------------------
// One phase: W watches of a server, N acknowledged writes, every delivery timed

/// How the writes of a phase are made.
enum Writes {
    /// Merge-PATCHes of a label on porch-server's draft `uri`.
    Porch { uri: String },
    /// POSTs of an event line to the floor server: `object` with resourceVersion `i + 1`, write
    /// `i` sent no sooner than `i × every` after the first (porch-server's pace: the same load).
    Floor { object: Value, every: Duration },
}

impl Writes {
    /// When write `i` of a phase that started at `start` may be sent.
    fn due(&self, start: Instant, i: usize) -> Instant {
        match self {
            Writes::Porch { .. } => start,
            Writes::Floor { every, .. } => start + *every * i as u32,
        }
    }

    /// Makes write `i` over `conn`; returns its resourceVersion and the object acknowledged.
    async fn write(&self, conn: &mut Conn, i: usize) -> (u64, Value) {
        match self {
            Writes::Porch { uri } => {
                let patch = json!({"metadata": {"labels": {"n": i.to_string()}}}).to_string();
                let merge = [("Content-Type", "application/merge-patch+json")];
                let (status, body) = conn.request("PATCH", uri, &merge, patch.as_bytes()).await;
                assert_eq!(status, 200, "PATCH {i}: {}", String::from_utf8_lossy(&body));
                let object: Value = serde_json::from_slice(&body).expect("the patched revision is JSON");
                (resource_version(&object), object)
            }
            Writes::Floor { object, .. } => {
                let rv = i as u64 + 1;
                let mut object = object.clone();
                object["metadata"]["resourceVersion"] = json!(rv.to_string());
                // As porch-server writes it: `type` first (the readers recognise events by it).
                let event = format!(r#"{{"type":"MODIFIED","object":{object}}}"#);
                let json = [("Content-Type", "application/json")];
                let (status, _) = conn.request("POST", "/write", &json, event.as_bytes()).await;
                assert_eq!(status, 200, "the floor's write {i}");
                (rv, object)
            }
        }
    }
}

/// What one phase measured.
struct Report {
    watchers: usize,
    writes: usize,
    established: Duration,
    write_wall: Duration,
    /// Sorted.
    write_times: Vec<Duration>,
    /// Sorted.
    latencies: Vec<Duration>,
    early: usize,
    unexpected: usize,
    duplicates: usize,
    other: usize,
    ended: usize,
    first_error: Option<String>,
    /// Last receipt after the first write, and after the last acknowledgement.
    last: (Duration, Duration),
    until_last: Duration,
    /// utime and stime (s) of the server and of this process over `until_last`.
    server_cpu: (f64, f64),
    own_cpu: (f64, f64),
    /// The last object a write was acknowledged with.
    last_object: Value,
}

impl Report {
    fn p(&self, q: f64) -> Duration {
        quantile(&self.latencies, q)
    }

    /// Prints the phase's figures.
    fn print(&self, label: &str) {
        let (writes, watchers, delivered) = (self.writes, self.watchers, self.latencies.len());
        let expected = watchers * writes;
        println!(
            "{label}: {watchers} watches established in {:.0} ms; {writes} writes in {:.2} s ({:.0} writes/s; \
             write p50 {:.2} ms, p99 {:.2} ms)",
            ms(self.established),
            self.write_wall.as_secs_f64(),
            writes as f64 / self.write_wall.as_secs_f64(),
            ms(quantile(&self.write_times, 0.50)),
            ms(quantile(&self.write_times, 0.99))
        );
        if delivered > 0 {
            println!(
                "{label}: delivery latency ack -> receipt ({delivered} deliveries): p50 {:.2} ms, p99 {:.2} ms, \
                 max {:.2} ms; {} received before the ack (counted as 0)",
                ms(self.p(0.50)),
                ms(self.p(0.99)),
                ms(self.latencies[delivered - 1]),
                self.early
            );
        }
        println!(
            "{label}: events delivered: {delivered} of {expected} ({watchers} x {writes}){}; unexpected {}, \
             duplicates {}, events without an object {}, streams ended by the server {}",
            if delivered == expected { String::new() } else { format!(", MISSING {}", expected - delivered) },
            self.unexpected,
            self.duplicates,
            self.other,
            self.ended
        );
        if let Some(error) = &self.first_error {
            println!("{label}: first ERROR event: {error}");
        }
        let (user, sys) = self.server_cpu;
        println!(
            "{label}: last delivery {:.2} s after the first write ({:.2} s after the last acknowledgement); \
             server CPU {:.2} s (user {user:.2} s, sys {sys:.2} s) = {:.1} us per delivered event ({:.2} ms \
             per write)",
            self.last.0.as_secs_f64(),
            self.last.1.as_secs_f64(),
            user + sys,
            (user + sys) * 1e6 / delivered.max(1) as f64,
            (user + sys) * 1e3 / writes as f64
        );
        let (user, sys) = self.own_cpu;
        println!(
            "{label}: bench process CPU over the same {:.2} s (the readers and the writer, on the same cores): \
             {:.2} s (user {user:.2} s, sys {sys:.2} s)",
            self.until_last.as_secs_f64(),
            user + sys
        );
    }
}

/// Opens `watchers` watches of `path` on `addr` (all at once, each on its own connection), then
/// makes `writes` writes one after another over one more connection, and times every delivery.
async fn phase(
    (addr, pid): (&str, &str),
    path: &str,
    (watchers, writes): (usize, usize),
    how: &Writes,
    logs: &dyn Fn() -> String,
) -> Report {
    let expected = watchers * writes;
    let established = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let start = Instant::now();
    let tasks: Vec<_> = (0..watchers)
        .map(|i| {
            let task = watcher(
                addr.to_string(),
                path.to_string(),
                i == 0,
                established.clone(),
                received.clone(),
                stop_rx.clone(),
            );
            tokio::spawn(task)
        })
        .collect();
    while established.load(Ordering::Relaxed) < watchers {
        if tasks.iter().any(|t| t.is_finished()) {
            panic!("a watch ended before it was established; server log:\n{}", logs());
        }
        assert!(
            start.elapsed() < ESTABLISH_TIMEOUT,
            "only {} of {watchers} watches established after {ESTABLISH_TIMEOUT:?}",
            established.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let established = start.elapsed();

    // The writes, one after another.
    let conn = &mut Conn::open(addr).await.expect("connecting the writer");
    let mut acked: Vec<Instant> = Vec::with_capacity(writes);
    let mut write_times = Vec::with_capacity(writes);
    let mut by_rv: HashMap<u64, usize> = HashMap::with_capacity(writes);
    let mut last_object = Value::Null;
    let (server0, self0) = (cpu_ticks(pid), cpu_ticks("self"));
    let start = Instant::now();
    for i in 0..writes {
        tokio::time::sleep_until(how.due(start, i).into()).await;
        let sent = Instant::now();
        let (rv, object) = how.write(conn, i).await;
        let ack = Instant::now();
        assert!(by_rv.insert(rv, i).is_none(), "two writes acknowledged with resourceVersion {rv}");
        acked.push(ack);
        write_times.push(ack - sent);
        last_object = object;
    }
    let write_wall = start.elapsed();

    // Every delivery, or no new event for IDLE_TIMEOUT.
    let (mut last_count, mut last_change) = (received.load(Ordering::Relaxed), Instant::now());
    while last_count < expected && last_change.elapsed() < IDLE_TIMEOUT {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let count = received.load(Ordering::Relaxed);
        if count != last_count {
            (last_count, last_change) = (count, Instant::now());
        }
    }
    let until_last = start.elapsed();
    let (server1, self1) = (cpu_ticks(pid), cpu_ticks("self"));
    stop_tx.send(true).expect("the watchers are listening");
    let mut seen = Vec::with_capacity(watchers);
    for task in tasks {
        seen.push(task.await.expect("a watcher panicked"));
    }

    // Deliveries: each write's event at each watcher, at most once.
    let mut latencies = Vec::with_capacity(expected);
    let (mut early, mut unexpected, mut duplicates, mut other, mut ended) = (0, 0, 0, 0, 0);
    let mut last_receipt = start;
    let mut first_error = None;
    for s in &seen {
        let mut got = vec![false; writes];
        for (rv, at) in &s.events {
            let Some(&i) = by_rv.get(rv) else {
                unexpected += 1;
                continue;
            };
            if std::mem::replace(&mut got[i], true) {
                duplicates += 1;
                continue;
            }
            if *at < acked[i] {
                early += 1;
            }
            latencies.push(at.saturating_duration_since(acked[i]));
            last_receipt = last_receipt.max(*at);
        }
        other += s.other;
        ended += usize::from(s.ended);
        if first_error.is_none() {
            first_error.clone_from(&s.error);
        }
    }
    latencies.sort_unstable();
    write_times.sort_unstable();
    let tck = clock_ticks();
    let seconds = |a: (u64, u64), b: (u64, u64)| ((b.0 - a.0) as f64 / tck, (b.1 - a.1) as f64 / tck);
    Report {
        watchers,
        writes,
        established,
        write_wall,
        write_times,
        latencies,
        early,
        unexpected,
        duplicates,
        other,
        ended,
        first_error,
        last: (last_receipt - start, last_receipt.saturating_duration_since(acked[writes - 1])),
        until_last,
        server_cpu: seconds(server0, server1),
        own_cpu: seconds(self0, self1),
        last_object,
    }
}

// ---------------------------------------------------------------------------------------------
// The bench

fn main() {
    // The fan-out floor's child process is this binary too.
    fanout::serve_if_floor();
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime").block_on(bench());
}

async fn bench() {
    let watchers = env_usize("BENCH_WATCHERS", 10_000);
    let writes = env_usize("BENCH_WRITES", 200);
    let nofile = raise_nofile_limit();
    assert!(
        nofile as usize > watchers + 64,
        "{watchers} watchers need as many sockets, but the open-file limit is {nofile}"
    );
    assert!(watchers > 0 && writes > 0, "BENCH_WATCHERS and BENCH_WRITES must be positive");

    let tmp = tempfile::tempdir().expect("a temporary directory");
    let root = tmp.path();
    let remote = bare_repo(root, "remote.git");
    // Room for every watcher, over the default `--max-connections`.
    let cap = (watchers + 64).max(4096).to_string();
    let server = Server::start_with(root, &["--max-connections", &cap]).await;
    let pid = server.pid();
    let addr = server.addr.clone();

    let mut conn = Conn::open(&addr).await.expect("connecting to the server");
    register_repository(&mut conn, &remote).await;
    let name = create_draft(&mut conn).await;
    let list = conn.expect(200, "GET", PRS, None).await;
    let from = resource_version(&list);
    println!(
        "fixture: porch-server pid {pid} on {addr}, draft {name}, watches from resourceVersion {from}, server RSS \
         {:.0} MiB",
        rss_mib(&pid)
    );
    let path = format!("{PRS}?watch=true&resourceVersion={from}&timeoutSeconds=86400");
    let how = Writes::Porch { uri: format!("{PRS}/{name}") };
    let porch = phase((&addr, &pid), &path, (watchers, writes), &how, &|| server.logs()).await;
    porch.print("porch-server");
    println!("porch-server: RSS after {:.0} MiB", rss_mib(&pid));
    drop(conn);
    server.stop();

    // The floor: the same watches, events and pace of writes through a server that only writes
    // them.
    let floor = fanout::Floor::start();
    let every = porch.write_wall / writes as u32;
    let how = Writes::Floor { object: porch.last_object.clone(), every };
    let base = phase((&floor.addr, &floor.pid()), "/watch", (watchers, writes), &how, &String::new).await;
    base.print("floor");
    let ratio = |q| ms(porch.p(q)) / ms(base.p(q)).max(0.001);
    println!(
        "delivery p50 {:.2} ms, p99 {:.2} ms vs the floor's {:.2} / {:.2} ms: ratio p50 {:.2}, p99 {:.2} (goal: \
         p99 < 50 ms: {}; the floor's p99 {})",
        ms(porch.p(0.50)),
        ms(porch.p(0.99)),
        ms(base.p(0.50)),
        ms(base.p(0.99)),
        ratio(0.50),
        ratio(0.99),
        if porch.p(0.99) < Duration::from_millis(50) { "met" } else { "MISSED" },
        if base.p(0.99) < Duration::from_millis(50) { "meets it" } else { "misses it too" }
    );
}
