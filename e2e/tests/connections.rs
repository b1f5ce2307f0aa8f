//! The server binary out of file descriptors (issue 10, D7): idle connections fill the open-file
//! limit, `accept` fails with EMFILE, and the server backs off (logging the episode once, with its
//! cause) instead of spinning, closes the idle connections after its header-read timeout, and
//! answers again — nobody stays locked out.

use anyhow::{Context, Result, ensure};
use porch_e2e::{Endpoint, http_request, wait_until};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

/// Lowers the open-file limit of process `pid` to `limit` (soft and hard), as an operator's
/// `prlimit` would.
fn lower_open_file_limit(pid: u32, limit: u32) -> Result<()> {
    let status = Command::new("prlimit")
        .args(["--pid", &pid.to_string(), &format!("--nofile={limit}:{limit}")])
        .status()
        .context("running prlimit (util-linux)")?;
    ensure!(status.success(), "prlimit failed: {status}");
    Ok(())
}

#[test]
fn out_of_file_descriptors_the_server_backs_off_and_recovers() -> Result<()> {
    let endpoint = Endpoint::start_with_args(&["--header-read-timeout", "2s"])?;
    let (Some(pid), Some(addr)) = (endpoint.server_pid(), endpoint.host_port()) else {
        return Ok(()); // an external endpoint: not ours to starve
    };
    lower_open_file_limit(pid, 64)?;
    // More idle connections than the server has descriptors left: they wait in the backlog.
    let idle: Vec<TcpStream> =
        (0..150).map(|_| TcpStream::connect(addr)).collect::<Result<_, _>>().context("connecting")?;
    let ready = wait_until(Duration::from_secs(90), || {
        http_request(addr, "GET", "/readyz", &[], b"").ok().filter(|r| r.status == 200)
    });
    let logs = endpoint.server_logs();
    ensure!(ready.is_some(), "/readyz never answered 200 while out of descriptors; log:\n{logs}");
    drop(idle);

    let episodes = logs.lines().filter(|l| l.contains("failed to accept connections")).count();
    ensure!(episodes >= 1, "the descriptors never ran out; log:\n{logs}");
    ensure!(logs.contains("Too many open files"), "the cause is logged; log:\n{logs}");
    ensure!(logs.contains("accepting connections again"), "the recovery is logged; log:\n{logs}");
    // 150 connections over ~40 free descriptors: a few waves, one line each (not 20 a second).
    ensure!(episodes <= 10, "{episodes} lines for a few episodes; log:\n{logs}");
    Ok(())
}
