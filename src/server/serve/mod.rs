//! Serving connections: hyper 1 over a TCP listener — HTTP/1.1 and h2c in standalone mode,
//! HTTPS ([`tls`]) with HTTP/2 and HTTP/1.1 in aggregated mode — with graceful shutdown and
//! bounded connections.
//!
//! - A TLS handshake must finish within `--header-read-timeout`; the client's certificate
//!   chain, if it sent one, goes into each request's extensions ([`PeerCertificates`]).
//! - A client must send each request's headers within `--header-read-timeout` (hyper's HTTP/1.1
//!   timer, and [`idle`] until the first request, which also covers the HTTP version sniffing);
//!   an idle HTTP/1.1 keep-alive connection is closed after the same time.
//! - An HTTP/2 connection with no open stream is closed after `--idle-connection-timeout`, and
//!   pinged every 30 s so that a dead peer is noticed. A response in progress — a watch — keeps its
//!   connection open however long it lasts.
//! - Request bodies are bounded in time where they are read (`--body-read-timeout`, 408).
//! - At most `--max-connections` connections at once ([`limit`]); `accept` failures back off
//!   ([`accept`]).

mod accept;
mod idle;
mod limit;
pub(crate) mod tls;

use super::auth::PeerCertificates;
use super::stack::ApiStack;
use super::woken::WhenWoken;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use idle::{Activity, Tracked};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

/// How long in-flight requests may take to finish once shutdown begins.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an HTTP/2 connection is pinged.
const H2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);
/// How long a ping may go unanswered before the HTTP/2 connection is closed.
const H2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// The bounds on connections (flags of the same names).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionLimits {
    /// `--header-read-timeout`.
    pub(crate) header_read_timeout: Duration,
    /// `--idle-connection-timeout`.
    pub(crate) idle_timeout: Duration,
    /// `--max-connections`.
    pub(crate) max_connections: usize,
}

/// The hyper connection builder for `limits`: timers, the header-read timeout, HTTP/2 pings.
fn builder(limits: &ConnectionLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(H2_KEEP_ALIVE_INTERVAL)
        .keep_alive_timeout(H2_KEEP_ALIVE_TIMEOUT);
    builder
}

/// Accepts connections until `shutdown` resolves, then drains the open ones.
pub(crate) async fn serve(
    listener: TcpListener,
    svc: ApiStack<Incoming>,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let (draining, _) = watch::channel(false);
    let builder = builder(&limits);
    let cap = limit::effective(limits.max_connections);
    let slots = Arc::new(Semaphore::new(cap));
    let mut backoff = accept::Backoff::default();
    let mut at_cap = false;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            conn = accept::next(&listener, &mut backoff) => conn,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if !std::mem::replace(&mut at_cap, true) {
                tracing::warn!(
                    max_connections = cap,
                    "connection cap reached; refusing new connections with 503"
                );
            }
            limit::refuse(stream, cap);
            continue;
        };
        if std::mem::replace(&mut at_cap, false) {
            tracing::info!("below the connection cap again");
        }
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            builder: builder.clone(),
            draining: draining.subscribe(),
            svc: svc.clone(),
            limits,
            peer,
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            let open = metrics::gauge!("porch_connections");
            open.increment(1.0);
            match tls {
                None => connection.serve(stream, None).await,
                Some(acceptor) => {
                    match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let certs = stream.get_ref().1.peer_certificates().map(|chain| {
                                PeerCertificates(chain.iter().map(|c| c.clone().into_owned()).collect())
                            });
                            connection.serve(stream, certs).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
            open.decrement(1.0);
            drop(slot);
        });
    }
    drop(listener);
    draining.send_replace(true);
    // Every connection holds a slot until it ends: all of them back means all ended.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    if tokio::time::timeout(DRAIN_TIMEOUT, slots.acquire_many(all)).await.is_err() {
        tracing::warn!("some connections did not finish within {DRAIN_TIMEOUT:?}");
    }
}

/// What one accepted connection is served with.
struct Connection {
    builder: auto::Builder<TokioExecutor>,
    /// Turns true when the server shuts down: the connection finishes its responses in progress
    /// and closes.
    draining: watch::Receiver<bool>,
    svc: ApiStack<Incoming>,
    limits: ConnectionLimits,
    peer: std::net::SocketAddr,
}

impl Connection {
    /// Serves `io` until the client goes, it idles out, or shutdown drains it; `certs` (the
    /// client's TLS certificates) go into every request's extensions.
    async fn serve<I>(self, io: I, certs: Option<PeerCertificates>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = Activity::new();
        let service = TowerToHyperService::new(Tracked::new(self.svc, activity.clone(), certs));
        let conn = self.builder.serve_connection_with_upgrades(TokioIo::new(io), service);
        tokio::pin!(conn);
        let (first, later) = (self.limits.header_read_timeout, self.limits.idle_timeout);
        let peer = self.peer;
        let mut draining = self.draining;
        // The task wakes for every chunk it writes; the idle timer and the shutdown signal are
        // looked at only when they woke it.
        let mut stop = std::pin::pin!(WhenWoken::new(async move {
            tokio::select! {
                () = activity.idle(first, later) => Stop::Idle,
                _ = draining.wait_for(|draining| *draining) => Stop::Draining,
            }
        }));
        let mut drained = false;
        loop {
            tokio::select! {
                biased;
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection closed with an error");
                    }
                    return;
                }
                stop = stop.as_mut(), if !drained => match stop {
                    Stop::Idle => {
                        tracing::debug!(%peer, "closed an idle connection");
                        return;
                    }
                    Stop::Draining => {
                        drained = true;
                        conn.as_mut().graceful_shutdown();
                    }
                },
            }
        }
    }
}

/// Why a connection stops before its client closes it.
enum Stop {
    /// No response in progress for its idle limit.
    Idle,
    /// The server shuts down.
    Draining,
}
