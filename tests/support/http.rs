//! A small HTTP server in front of `git http-backend` (CGI), with basic or bearer
//! authentication, a switch that drops the connection on pushes (a remote going away) and one
//! that redirects requests under a path prefix elsewhere. It records the `Authorization` headers it
//! received. It serves plain HTTP, or HTTPS (rustls on ring) with a certificate from a [`TestCa`].
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority made for one test.
pub(crate) struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestCa")
    }
}

/// A server certificate and its private key.
#[derive(Debug)]
pub(crate) struct ServerCert {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl ServerCert {
    /// Writes the certificate and key to `dir` (for a child process, see [`ServerCert::load`]).
    pub(crate) fn save(&self, dir: &std::path::Path) {
        std::fs::write(dir.join("server.der"), &self.cert).unwrap();
        std::fs::write(dir.join("server.key.der"), self.key.secret_pkcs8_der()).unwrap();
    }

    /// Reads what [`ServerCert::save`] wrote.
    pub(crate) fn load(dir: &std::path::Path) -> Self {
        let cert = CertificateDer::from(std::fs::read(dir.join("server.der")).unwrap());
        let key = PrivatePkcs8KeyDer::from(std::fs::read(dir.join("server.key.der")).unwrap());
        Self { cert, key }
    }
}

impl TestCa {
    /// A new self-signed CA named `name`.
    pub(crate) fn new(name: &str) -> Self {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { issuer }
    }

    /// The CA certificate, PEM (what goes into a CA bundle).
    pub(crate) fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names` (DNS names or IP addresses), signed by this CA.
    pub(crate) fn server_cert(&self, names: &[&str]) -> ServerCert {
        self.server_cert_with(names, |_| {})
    }

    /// [`server_cert`](Self::server_cert) with the parameters adjusted by `adjust` (e.g. dates).
    pub(crate) fn server_cert_with(
        &self,
        names: &[&str],
        adjust: impl FnOnce(&mut CertificateParams),
    ) -> ServerCert {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, "git server");
        adjust(&mut params);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        ServerCert { cert: cert.der().clone(), key: PrivatePkcs8KeyDer::from(key.serialize_der()) }
    }
}

fn acceptor(cert: ServerCert) -> TlsAcceptor {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert], PrivateKeyDer::Pkcs8(cert.key))
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

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
    requests: AtomicUsize,
    /// `(prefix, target)`: a request whose path starts with `prefix` is redirected (302) to
    /// `target` followed by the rest of the path and the query.
    redirect: Mutex<Option<(String, String)>>,
    /// Every `Authorization` header received, in order.
    authorizations: Mutex<Vec<String>>,
}

/// A running server; stopped when dropped.
#[derive(Debug)]
pub(crate) struct HttpGitServer {
    pub(crate) port: u16,
    scheme: &'static str,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl HttpGitServer {
    /// Serves the repositories under `root` on a free loopback port.
    pub(crate) async fn start(root: PathBuf, auth: HttpAuth) -> Self {
        Self::serve(root, auth, None).await
    }

    /// Serves the repositories under `root` over HTTPS with `cert`, on a free loopback port.
    pub(crate) async fn start_tls(root: PathBuf, auth: HttpAuth, cert: ServerCert) -> Self {
        Self::serve(root, auth, Some(acceptor(cert))).await
    }

    async fn serve(root: PathBuf, auth: HttpAuth, tls: Option<TlsAcceptor>) -> Self {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            root,
            auth,
            drop_pushes: AtomicBool::new(false),
            delay_ms: AtomicU64::new(0),
            unauthorized: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            redirect: Mutex::new(None),
            authorizations: Mutex::new(Vec::new()),
        });
        let served = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let state = served.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        // A client that refuses the certificate ends the handshake: nothing to serve.
                        Some(tls) => {
                            if let Ok(stream) = tls.accept(stream).await {
                                serve_connection(state, stream).await;
                            }
                        }
                        None => serve_connection(state, stream).await,
                    }
                });
            }
        });
        Self { port, scheme, state, task }
    }

    /// `http[s]://127.0.0.1:<port>/<name>`.
    pub(crate) fn url(&self, name: &str) -> String {
        self.url_on("127.0.0.1", name)
    }

    /// `http[s]://<host>:<port>/<name>`, for a host name that resolves to the loopback address
    /// (`localhost`).
    pub(crate) fn url_on(&self, host: &str, name: &str) -> String {
        format!("{}://{host}:{}/{name}", self.scheme, self.port)
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

    /// While set to `(prefix, target)`, a request for a path starting with `prefix` is answered
    /// `302 Found` with `Location: <target><rest of the path>?<query>`; e.g. `("/old.git",
    /// "http://127.0.0.1:4000/new.git")` sends `/old.git/info/refs?service=…` to
    /// `http://127.0.0.1:4000/new.git/info/refs?service=…`.
    pub(crate) fn redirect(&self, rule: Option<(&str, &str)>) {
        *self.state.redirect.lock().unwrap() = rule.map(|(p, t)| (p.to_string(), t.to_string()));
    }

    /// Every `Authorization` header value received so far, in order.
    pub(crate) fn authorizations(&self) -> Vec<String> {
        self.state.authorizations.lock().unwrap().clone()
    }

    /// How many HTTP requests arrived (over HTTPS: after a completed handshake).
    pub(crate) fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }
}

async fn serve_connection(state: Arc<State>, stream: impl AsyncRead + AsyncWrite + Unpin + Send + 'static) {
    let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
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
    state.requests.fetch_add(1, Ordering::SeqCst);
    let delay = state.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let header = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    if let Some(value) = &header {
        state.authorizations.lock().unwrap().push(value.clone());
    }
    let redirect = state.redirect.lock().unwrap().clone();
    if let Some((target, rest)) = redirect
        .and_then(|(prefix, target)| Some((target, req.uri().path().strip_prefix(&prefix)?.to_string())))
    {
        let location = match req.uri().query() {
            Some(query) => format!("{target}{rest}?{query}"),
            None => format!("{target}{rest}"),
        };
        return Ok(Response::builder()
            .status(StatusCode::FOUND)
            .header("Location", location)
            .body(Full::new(Bytes::from_static(b"moved")))
            .unwrap());
    }
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

/// A remote that fails every request with `status`, echoing the request's `Authorization`
/// header in the body (a misbehaving server that reflects credentials into its error page).
/// Stopped when dropped.
#[derive(Debug)]
pub(crate) struct EchoAuthServer {
    pub(crate) port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl EchoAuthServer {
    /// Serves on a free loopback port.
    pub(crate) async fn start(status: StatusCode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| async move {
                        let auth = req.headers().get("authorization").map(|v| v.as_bytes().to_vec());
                        let body = [b"Authorization: ".as_slice(), &auth.unwrap_or_default()].concat();
                        Ok::<_, std::convert::Infallible>(
                            Response::builder().status(status).body(Full::new(Bytes::from(body))).unwrap(),
                        )
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { port, task }
    }

    /// `http://127.0.0.1:<port>/<name>`.
    pub(crate) fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for EchoAuthServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
