//! SIGTERM: the server stops accepting, ends open watches, stops its background work and exits 0 —
//! also while repository syncs hang on a remote that never answers.

use anyhow::{Context, Result, ensure};
use porch_e2e::{Endpoint, repository_manifest, unique_name, wait_until};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

#[test]
fn sigterm_stops_the_server_cleanly() -> Result<()> {
    let mut ep = Endpoint::start()?;
    if !ep.is_local() {
        return Ok(());
    }
    let name = unique_name("watched");
    let manifest = repository_manifest(&name, &porch_e2e::git::unreachable_url("r.git")?, "x");
    ep.kubectl().with_manifest(&["apply", "-f", "-"], &manifest).success()?;
    let mut watch = ep.kubectl().spawn(&["get", "repositories", "-w"])?;
    watch.wait_for_stdout(Duration::from_secs(30), "the listed row", |out| out.contains(&name))?;
    // A raw watch of PackageRevisions that asked for bookmarks.
    let addr = ep.host_port().context("a local server serves plain HTTP")?.to_string();
    let mut raw = TcpStream::connect(&addr)?;
    let path = "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions?watch=true&allowWatchBookmarks=true";
    write!(raw, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    std::thread::sleep(Duration::from_millis(300));
    let status = ep.stop()?.context("local server")?;
    ensure!(status.success(), "porch-server exited with {status}; log:\n{}", ep.server_logs());
    // The open watch ended with the server instead of keeping it alive.
    let exited = watch.wait_exit(Duration::from_secs(20));
    let out = watch.stop();
    ensure!(exited.is_some(), "kubectl get -w was still running after the server stopped: {out:?}");
    // The PackageRevision watch ended with a last BOOKMARK: its client resumes from there.
    let mut text = String::new();
    raw.read_to_string(&mut text)?;
    let last = text.lines().rfind(|l| l.starts_with('{')).unwrap_or_default();
    ensure!(last.contains(r#""type":"BOOKMARK""#), "the watch's last event is not a BOOKMARK:\n{text}");
    Ok(())
}

/// A git remote over HTTP that accepts connections, reads the request and never answers: every
/// sync of a Repository on it hangs until the server gives up or stops.
fn hanging_remote() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || hold(stream));
        }
    });
    Ok(format!("http://{addr}/blueprints.git"))
}

/// Reads what the client sends and keeps the connection open until the client goes.
fn hold(mut stream: TcpStream) {
    let mut buf = [0u8; 4096];
    while stream.read(&mut buf).is_ok_and(|n| n > 0) {}
}

/// Syncs of Repositories on a silent remote wait in libgit2 (up to its one-minute I/O timeout) on
/// the blocking pool. Shutdown used to wait for them — the server ignored SIGTERM past any grace
/// period — and stopping kube-runtime's scheduler under them could panic a worker. Now background
/// tasks are stopped and awaited, pushes are let finish, and a hanging fetch is left behind.
#[test]
fn sigterm_during_hanging_syncs_exits_promptly_without_a_panic() -> Result<()> {
    let url = hanging_remote()?;
    for round in 0..3 {
        let mut ep = Endpoint::start()?;
        if !ep.is_local() {
            return Ok(());
        }
        for i in 0..4 {
            let manifest = repository_manifest(&format!("hangs-{i}"), &url, "never answers");
            ep.kubectl().with_manifest(&["apply", "-f", "-"], &manifest).success()?;
        }
        // The syncs have started: the controller is waiting on the remote.
        let syncing = wait_until(Duration::from_secs(20), || {
            let rows = ep.kubectl().run(&["get", "repositories", "-o", "name"]).success().ok()?;
            (rows.lines().count() == 4).then_some(())
        });
        ensure!(syncing.is_some(), "the Repositories were not created; log:\n{}", ep.server_logs());
        std::thread::sleep(Duration::from_millis(500));
        let stopping = Instant::now();
        let status = ep.stop()?.context("local server")?;
        let took = stopping.elapsed();
        // The output pipes are drained by reader threads: give them a moment after the exit.
        std::thread::sleep(Duration::from_millis(200));
        let logs = ep.server_logs();
        ensure!(status.success(), "round {round}: porch-server exited with {status}; log:\n{logs}");
        ensure!(!logs.contains("panicked"), "round {round}: a panic at shutdown; log:\n{logs}");
        ensure!(took < Duration::from_secs(5), "round {round}: SIGTERM took {took:?}; log:\n{logs}");
    }
    Ok(())
}
