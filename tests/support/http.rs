//! A small HTTP server in front of `git http-backend` (CGI), with basic or bearer
//! authentication and a switch that drops the connection on pushes (a remote going away).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// What the server accepts.
#[derive(Clone, Debug)]
pub(crate) enum HttpAuth {
    /// No authentication.
    None,
    /// `Authorization: Basic` with this user and password.
    Basic(String, String),
    /// `Authorization: Bearer` with this token.
    Bearer(String),
}

#[derive(Debug)]
struct State {
    root: PathBuf,
    auth: HttpAuth,
    drop_pushes: AtomicBool,
    delay_ms: AtomicU64,
    unauthorized: AtomicUsize,
}

/// A running server; stopped when dropped.
#[derive(Debug)]
pub(crate) struct HttpGitServer {
    pub(crate) port: u16,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl HttpGitServer {
    /// Serves the repositories under `root` on a free loopback port.
    pub(crate) async fn start(root: PathBuf, auth: HttpAuth) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            root,
            auth,
            drop_pushes: AtomicBool::new(false),
            delay_ms: AtomicU64::new(0),
            unauthorized: AtomicUsize::new(0),
        });
        let served = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let state = served.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { port, state, task }
    }

    /// `http://127.0.0.1:<port>/<name>`.
    pub(crate) fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    /// While set, every push request has its connection closed without a response.
    pub(crate) fn drop_pushes(&self, on: bool) {
        self.state.drop_pushes.store(on, Ordering::SeqCst);
    }

    /// Delays every request by `delay` (a slow remote).
    pub(crate) fn set_delay(&self, delay: Duration) {
        self.state.delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// How many requests were refused for missing or wrong credentials.
    pub(crate) fn unauthorized(&self) -> usize {
        self.state.unauthorized.load(Ordering::SeqCst)
    }
}

impl Drop for HttpGitServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn authorized(auth: &HttpAuth, header: Option<&str>) -> bool {
    match auth {
        HttpAuth::None => true,
        HttpAuth::Basic(user, password) => {
            let expected = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            header == Some(format!("Basic {expected}").as_str())
        }
        HttpAuth::Bearer(token) => header == Some(format!("Bearer {token}").as_str()),
    }
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Dropped> {
    let delay = state.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let header = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    if !authorized(&state.auth, header.as_deref()) {
        state.unauthorized.fetch_add(1, Ordering::SeqCst);
        return Ok(Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header("WWW-Authenticate", "Basic realm=\"git\"")
            .body(Full::new(Bytes::from_static(b"unauthorized")))
            .unwrap());
    }
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let content_type =
        req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let protocol = req.headers().get("git-protocol").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    if method == "POST" && path.ends_with("/git-receive-pack") && state.drop_pushes.load(Ordering::SeqCst) {
        return Err(Dropped);
    }
    Ok(run_backend(&state, &method, &path, &query, &content_type, &protocol, body).await)
}

async fn run_backend(
    state: &State,
    method: &str,
    path: &str,
    query: &str,
    content_type: &str,
    protocol: &str,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let mut child = tokio::process::Command::new("git")
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_PROJECT_ROOT", &state.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", content_type)
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("GIT_PROTOCOL", protocol)
        .env("REMOTE_USER", "tester")
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starting git http-backend");
    let mut stdin = child.stdin.take().unwrap();
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(&body).await;
    });
    let output = child.wait_with_output().await.expect("running git http-backend");
    let _ = writer.await;
    parse_cgi(&output.stdout)
}

/// Splits CGI output into headers (with an optional `Status:`) and body.
fn parse_cgi(out: &[u8]) -> Response<Full<Bytes>> {
    let (head, body) = match find(out, b"\r\n\r\n") {
        Some(i) => (&out[..i], &out[i + 4..]),
        None => match find(out, b"\n\n") {
            Some(i) => (&out[..i], &out[i + 2..]),
            None => (&out[..0], out),
        },
    };
    let mut response = Response::builder();
    let mut status = StatusCode::OK;
    for line in String::from_utf8_lossy(head).lines() {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().and_then(|c| c.parse().ok()).unwrap_or(500);
            status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        } else {
            response = response.header(name.trim(), value);
        }
    }
    response.status(status).body(Full::new(Bytes::copy_from_slice(body))).unwrap()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
