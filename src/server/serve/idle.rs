//! Closing idle connections. A connection is busy while one of its responses is in progress — a
//! watch for its whole life, so watches are never cut — and idle otherwise. An idle connection is
//! closed once it has been idle for its limit: the header-read timeout until its first request
//! arrives (a client that connects and sends nothing, or trickles the bytes hyper reads to tell
//! HTTP/1.1 from HTTP/2), the idle timeout after that (HTTP/2 connections with no open stream;
//! hyper closes idle HTTP/1.1 connections sooner, at the header-read timeout, as it starts that
//! clock when a connection goes idle).

use crate::server::ResponseBody;
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::watch;

use super::super::ApiStack;
use super::super::auth::PeerCertificates;

/// What a connection is doing.
#[derive(Clone, Copy, Debug, Default)]
struct Load {
    /// Responses in progress.
    in_flight: usize,
    /// Whether any request has arrived.
    served: bool,
}

/// The requests in progress on one connection.
#[derive(Clone, Debug)]
pub(super) struct Activity(Arc<watch::Sender<Load>>);

impl Activity {
    /// A connection with no request yet.
    pub(super) fn new() -> Self {
        Self(Arc::new(watch::Sender::new(Load::default())))
    }

    /// Counts a request as in progress until the returned guard is dropped.
    fn begin(&self) -> Busy {
        self.0.send_modify(|load| {
            load.in_flight += 1;
            load.served = true;
        });
        Busy(self.0.clone())
    }

    /// Resolves once the connection has had no response in progress for `first` (before its
    /// first request) or `later` (after it). Cancel-safe.
    pub(super) async fn idle(&self, first: Duration, later: Duration) {
        let mut changes = self.0.subscribe();
        loop {
            let load = *changes.borrow_and_update();
            if load.in_flight == 0 {
                let limit = if load.served { later } else { first };
                tokio::select! {
                    () = tokio::time::sleep(limit) => return,
                    _ = changes.changed() => {}
                }
            } else {
                // The sender lives in `self`, so this only returns on a change.
                let _ = changes.changed().await;
            }
        }
    }
}

/// One request in progress.
#[derive(Debug)]
struct Busy(Arc<watch::Sender<Load>>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.send_modify(|load| load.in_flight -= 1);
    }
}

/// A response body that keeps its request in progress until hyper drops it (sent or abandoned).
#[derive(Debug)]
pub(super) struct TrackedBody {
    inner: ResponseBody,
    _busy: Busy,
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The API as one connection serves it: every request counted in the connection's [`Activity`].
#[derive(Clone)]
pub(super) struct Tracked {
    inner: ApiStack<Incoming>,
    activity: Activity,
    certs: Option<PeerCertificates>,
}

impl Tracked {
    /// `inner`, counting its requests in `activity`; `certs`, the client's TLS certificates,
    /// go into every request's extensions.
    pub(super) fn new(
        inner: ApiStack<Incoming>,
        activity: Activity,
        certs: Option<PeerCertificates>,
    ) -> Self {
        Self { inner, activity, certs }
    }
}

impl tower::Service<Request<Incoming>> for Tracked {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<TrackedBody>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Incoming>) -> Self::Future {
        if let Some(certs) = &self.certs {
            req.extensions_mut().insert(certs.clone());
        }
        let busy = self.activity.begin();
        let response = self.inner.call(req);
        Box::pin(async move {
            let res = response.await?;
            Ok(res.map(|inner| TrackedBody { inner, _busy: busy }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    const FIRST: Duration = Duration::from_secs(2);
    const LATER: Duration = Duration::from_secs(5);

    #[tokio::test(start_paused = true)]
    async fn a_connection_with_no_request_is_idle_after_the_first_limit() {
        let started = Instant::now();
        Activity::new().idle(FIRST, LATER).await;
        assert_eq!(started.elapsed(), FIRST);
    }

    #[tokio::test(start_paused = true)]
    async fn a_response_in_progress_is_never_idle_and_its_end_starts_the_later_limit() {
        let activity = Activity::new();
        let busy = activity.begin();
        let watcher = activity.clone();
        let idle = tokio::spawn(async move {
            watcher.idle(FIRST, LATER).await;
            Instant::now()
        });
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(!idle.is_finished(), "a long response (a watch) keeps the connection open");
        let ended = Instant::now();
        drop(busy);
        assert_eq!(idle.await.unwrap() - ended, LATER);
    }
}
