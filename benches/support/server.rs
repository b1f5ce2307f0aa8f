//! The real server for the benchmarks: the `porch-server` binary as a child process on a free
//! loopback port, a minimal HTTP/1.1 client over one keep-alive TCP connection, a static server
//! that answers with fixed bytes (the floor a list is compared with), and `/proc` readings of a
//! process's CPU time and memory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How long the server may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// /proc

/// Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`, else 100).
pub(crate) fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime and stime (in ticks) of process `pid` (`"self"` for this one), all threads included.
pub(crate) fn cpu_ticks(pid: &str) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| panic!("reading /proc/{pid}/stat: {e}"));
    // Fields after the command name (which may hold spaces) start at field 3, `state`; utime and
    // stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').expect("a command name in /proc/<pid>/stat") + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| fields[i - 3].parse::<u64>().expect("a tick count");
    (field(14), field(15))
}

/// Field `name` (`VmRSS`, `VmHWM`, …) of `/proc/<pid>/status` in MiB.
pub(crate) fn status_mib(pid: &str, name: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// VmRSS of process `pid` in MiB.
pub(crate) fn rss_mib(pid: &str) -> f64 {
    status_mib(pid, "VmRSS")
}

/// Raises this process's open-file limit to its hard limit (thousands of client sockets).
pub(crate) fn raise_nofile_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// The server process

/// The `porch-server` child; killed if still running when dropped (a panicking bench leaves no
/// server behind).
pub(crate) struct Server {
    child: Child,
    log: PathBuf,
    /// `host:port` it listens on.
    pub(crate) addr: String,
}

impl Server {
    /// Starts the binary on a free loopback port with data in `root/data`, logging to
    /// `root/server.log` (appending, so a restart keeps the earlier log), and waits until it logs
    /// its address and answers `/readyz`. The binary is the one Cargo builds for the bench (same
    /// target directory and profile) unless `PORCH_SERVER_BIN` names another.
    pub(crate) async fn start(root: &Path) -> Server {
        Self::start_with(root, &[]).await
    }

    /// [`start`](Self::start) with more command-line arguments.
    pub(crate) async fn start_with(root: &Path, args: &[&str]) -> Server {
        let binary = std::env::var_os("PORCH_SERVER_BIN")
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_porch-server")), PathBuf::from);
        let log = root.join("server.log");
        let skip = std::fs::metadata(&log).map_or(0, |m| m.len() as usize);
        let out =
            std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("opening the server log");
        let err = out.try_clone().expect("duplicating the server log handle");
        let child = Command::new(&binary)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(root.join("data"))
            .args(args)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut server = Server { child, log, addr: String::new() };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("porch-server exited with {status}; log:\n{}", server.logs());
            }
            if let Some(addr) = server.logs().get(skip..).and_then(listening_address) {
                server.addr = addr;
                break;
            }
            assert!(
                Instant::now() < deadline,
                "porch-server did not log its address; log:\n{}",
                server.logs()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        loop {
            if let Ok(mut conn) = Conn::open(&server.addr).await
                && conn.request("GET", "/readyz", &[], b"").await.0 == 200
            {
                return server;
            }
            assert!(Instant::now() < deadline, "porch-server never became ready; log:\n{}", server.logs());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The child's process id, as `/proc` names it.
    pub(crate) fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Everything the server has logged.
    pub(crate) fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then SIGKILL after 15 s.
    pub(crate) fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.pid()).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("porch-server ignored SIGTERM for 15 s; killing it");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `ADDR` of the first `listening on http://ADDR` in the log.
fn listening_address(logs: &str) -> Option<String> {
    const MARK: &str = "listening on http://";
    let rest = &logs[logs.find(MARK)? + MARK.len()..];
    let addr: String =
        rest.chars().take_while(|c| !c.is_whitespace() && !matches!(c, ')' | ',' | '"')).collect();
    (!addr.is_empty()).then_some(addr)
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client over one keep-alive TCP connection

/// A response head: status and how the body is framed.
pub(crate) struct Head {
    pub(crate) status: u16,
    pub(crate) length: Option<usize>,
    pub(crate) chunked: bool,
}

/// One keep-alive connection.
pub(crate) struct Conn {
    io: BufReader<TcpStream>,
    addr: String,
}

impl Conn {
    pub(crate) async fn open(addr: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn { io: BufReader::with_capacity(64 * 1024, stream), addr: addr.to_string() })
    }

    /// Writes one request; `headers` are added to `Host` (and `Accept: application/json` unless
    /// they name an `Accept`), and `Content-Length` for any method but GET.
    pub(crate) async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("accept")) {
            req.push_str("Accept: application/json\r\n");
        }
        for (name, value) in headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        if method != "GET" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.io.get_mut().write_all(&bytes).await.unwrap_or_else(|e| panic!("sending {method} {path}: {e}"));
    }

    /// One CRLF-terminated line, without the line end.
    async fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self.io.read_line(&mut line).await.expect("reading from the server");
        assert!(n > 0, "the server closed the connection");
        line.truncate(line.trim_end_matches(['\r', '\n']).len());
        line
    }

    pub(crate) async fn head(&mut self) -> Head {
        let status_line = self.line().await;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let (mut length, mut chunked) = (None, false);
        loop {
            let line = self.line().await;
            if line.is_empty() {
                return Head { status, length, chunked };
            }
            let Some((name, value)) = line.split_once(':') else { continue };
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                length = value.parse().ok();
            } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }

    /// Appends the next chunk of a chunked body to `buf`; false at the last (empty) chunk.
    pub(crate) async fn chunk(&mut self, buf: &mut Vec<u8>) -> bool {
        let size_line = self.line().await;
        let size = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).unwrap_or_else(|_| panic!("bad chunk size {size_line:?}"));
        if size == 0 {
            while !self.line().await.is_empty() {} // trailers
            return false;
        }
        let start = buf.len();
        buf.resize(start + size, 0);
        self.io.read_exact(&mut buf[start..]).await.expect("reading a chunk");
        let mut crlf = [0; 2];
        self.io.read_exact(&mut crlf).await.expect("reading a chunk's line end");
        true
    }

    /// Sends a request and reads its whole response.
    pub(crate) async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        self.send(method, path, headers, body).await;
        let head = self.head().await;
        let mut body = Vec::new();
        if head.chunked {
            while self.chunk(&mut body).await {}
        } else {
            let length = head.length.unwrap_or_else(|| panic!("{method} {path}: response without a length"));
            body.resize(length, 0);
            self.io.read_exact(&mut body).await.expect("reading a response body");
        }
        (head.status, body)
    }

    /// A request with a JSON body (or none) that must answer `want`; the body as JSON.
    pub(crate) async fn expect(
        &mut self,
        want: u16,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Value {
        let headers: &[(&str, &str)] =
            if body.is_some() { &[("Content-Type", "application/json")] } else { &[] };
        let bytes = body.map(|v| v.to_string().into_bytes()).unwrap_or_default();
        let (status, body) = self.request(method, path, headers, &bytes).await;
        assert_eq!(status, want, "{method} {path}: {}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{method} {path}: not JSON: {e}"))
    }
}

/// `metadata.resourceVersion` of `object` as a number.
pub(crate) fn resource_version(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no numeric metadata.resourceVersion in {object}"))
}

// ---------------------------------------------------------------------------------------------
// Repositories through the API

/// The repositories collection of `default` (the embedded CR store in standalone mode).
pub(crate) const REPOS: &str = "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories";

/// Registers Repository `name` in `default` for `url` (branch main), not waiting for it.
pub(crate) async fn register(conn: &mut Conn, name: &str, url: &str, create_branch: bool) {
    let repo = json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"type": "git", "git": {"repo": url, "branch": "main", "createBranch": create_branch}},
    });
    conn.expect(201, "POST", REPOS, Some(&repo)).await;
}

/// Waits until `count` Repositories of `default` have `Ready` True (polling every 20 ms); panics
/// on a repository in error or after `timeout`.
pub(crate) async fn wait_ready(conn: &mut Conn, count: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let list = conn.expect(200, "GET", REPOS, None).await;
        let mut ready = 0;
        for repo in list["items"].as_array().map_or(&[][..], Vec::as_slice) {
            let conditions = repo["status"]["conditions"].as_array().map_or(&[][..], Vec::as_slice);
            match conditions.iter().find(|c| c["type"] == "Ready") {
                Some(c) if c["status"] == "True" => ready += 1,
                Some(c) if c["reason"] == "Error" => {
                    panic!("Repository {} failed: {}", repo["metadata"]["name"], c["message"])
                }
                _ => {}
            }
        }
        if ready >= count {
            return;
        }
        assert!(Instant::now() < deadline, "only {ready} of {count} Repositories Ready after {timeout:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The static server

/// Serves fixed bodies over HTTP/1.1 keep-alive on a free loopback port: the request path picks
/// one of `bodies` (`/0`, `/1`, …), each sent with its `Content-Length` in one write, as a static
/// file server does. Runs until the runtime ends.
pub(crate) async fn static_server(bodies: Vec<Bytes>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding the static server");
    let addr = listener.local_addr().expect("the static server's address").to_string();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let bodies = bodies.clone();
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let mut io = BufReader::new(stream);
                let mut line = String::new();
                loop {
                    line.clear();
                    if io.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let index: usize = line
                        .split(' ')
                        .nth(1)
                        .and_then(|p| p.strip_prefix('/'))
                        .and_then(|i| i.parse().ok())
                        .unwrap_or(0);
                    // The rest of the head (GET requests have no body).
                    loop {
                        line.clear();
                        if io.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let body = &bodies[index.min(bodies.len() - 1)];
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    let stream = io.get_mut();
                    if stream.write_all(head.as_bytes()).await.is_err()
                        || stream.write_all(body).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    addr
}
