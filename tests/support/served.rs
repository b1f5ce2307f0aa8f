//! The server under test on a real loopback socket, and a raw HTTP/1.1 client for it: requests
//! are written as a client sends them and answers parsed as they arrive (status, headers, body,
//! chunked or not). Shared by the integration and conformance test binaries.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use porch_server::App;
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use crate::app_support::within;

/// The longest a single request may take.
const REQUEST_LIMIT: Duration = Duration::from_secs(15);

/// A server on 127.0.0.1:<free port>, stopped when dropped.
pub(crate) struct Served {
    pub(crate) addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: TempDir,
}

impl Served {
    /// Serves `app` (opened on `dir`, which lives as long as the server) on a free port.
    pub(crate) async fn start_app(app: App, dir: TempDir) -> Self {
        let (listener, kubeconfig) = app.bind("127.0.0.1:0".parse().unwrap()).await.expect("binding");
        assert!(kubeconfig.is_file());
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));
        Self { addr, stop: Some(stop), task: Some(task), _dir: dir }
    }

    pub(crate) async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        within(
            REQUEST_LIMIT,
            &format!("{method} {path}"),
            raw_request(self.addr, method, path, headers, body),
        )
        .await
    }

    pub(crate) async fn get(&self, path: &str, accept: &str) -> Response {
        self.request("GET", path, &[("Accept", accept)], b"").await
    }

    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> Response {
        let body = serde_json::to_vec(body).unwrap();
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/json"), ("Accept", "application/json")],
            &body,
        )
        .await
    }

    /// GETs `path` (a watch) accepting `accept`, and reads the body as it streams, until `done`
    /// holds for what has arrived or the server ends it; answers with the body so far.
    pub(crate) async fn stream_until(
        &self,
        path: &str,
        accept: &str,
        done: impl Fn(&[u8]) -> bool,
    ) -> Response {
        within(REQUEST_LIMIT, &format!("GET {path}"), async {
            let mut stream = TcpStream::connect(self.addr).await.expect("connecting");
            let head = format!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n",
                self.addr
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            let mut raw = Vec::new();
            let mut buf = [0u8; 16 * 1024];
            loop {
                let n = stream.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&buf[..n]);
                if split_head(&raw).is_some() && done(&parse(&raw).body) {
                    break;
                }
            }
            parse(&raw)
        })
        .await
    }

    pub(crate) async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        within(REQUEST_LIMIT, "graceful shutdown", self.task.take().unwrap())
            .await
            .expect("the server task does not panic");
    }
}

#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts a `metav1.Status` failure body with `code`, and returns it.
    pub(crate) fn status_body(&self, code: u16) -> Value {
        assert_eq!(self.status, code, "{}", String::from_utf8_lossy(&self.body));
        let ct = self.header("content-type").unwrap_or_default();
        assert!(ct.starts_with("application/json"), "Status with Content-Type {ct:?}");
        let s = self.json();
        assert_eq!((s["kind"].as_str(), s["apiVersion"].as_str()), (Some("Status"), Some("v1")), "{s}");
        assert_eq!((s["status"].as_str(), s["code"].as_u64()), (Some("Failure"), Some(code.into())), "{s}");
        assert!(s["message"].as_str().is_some_and(|m| !m.is_empty()), "{s}");
        s
    }
}

/// Sends one request on a new connection (`Connection: close`) and reads the whole answer.
pub(crate) async fn raw_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(addr).await.expect("connecting");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await.unwrap();
    // A server may answer (413) and close before reading a large body: that is not an error.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    parse(&raw)
}

/// A response whose head has arrived (with an empty body), and where its body starts.
fn split_head(raw: &[u8]) -> Option<(Response, usize)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some((Response { status, headers, body: Vec::new() }, split + 4))
}

/// The complete chunks of a chunked body, joined (an incomplete last chunk is left out).
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size =
            std::str::from_utf8(&rest[..eol]).ok().and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let Some(size) = size.filter(|s| *s > 0 && rest.len() >= eol + 2 + *s) else { break };
        body.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
        rest = rest.get(eol + 4 + size..).unwrap_or_default();
    }
    body
}

/// Parses an HTTP/1.1 response (a chunked body is joined, up to its last complete chunk).
pub(crate) fn parse(raw: &[u8]) -> Response {
    let (mut response, start) = split_head(raw)
        .unwrap_or_else(|| panic!("no complete response head in {:?}", String::from_utf8_lossy(raw)));
    let rest = &raw[start..];
    let chunked = response.header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    response.body = if chunked { dechunk(rest) } else { rest.to_vec() };
    response
}
