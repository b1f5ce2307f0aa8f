//! Encoding watch streams: one JSON object per event, newline-terminated, flushed at once.
//!
//! Events come out of the resource's storage stack as they are to be sent (a Table request's
//! carry one-row Tables). The stream ends cleanly at `timeoutSeconds` (or the server default,
//! also for 0) and when the server shuts down: then a stream that ends itself (the porch.kpt.dev
//! watches send what is left and a last BOOKMARK) is let finish for [`CLOSE_GRACE`], others are
//! cut. Dropping it releases the watch at its source.

use super::negotiate::{Negotiated, TABLE_CONTENT_TYPE};
use super::response::{JSON, ResponseBody};
use super::woken::WhenWoken;
use futures::{Stream, StreamExt};
use http::{HeaderValue, Response, header};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use porch_layers::request::WatchEvent;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::watch;

/// How long a watch may take to end itself once the server shuts down.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// How long a watch lasts: its `timeoutSeconds`, or the server default when none is given — and,
/// as in kube-apiserver, `timeoutSeconds=0` means none given.
pub(crate) fn timeout(timeout_seconds: Option<u64>, default: Duration) -> Duration {
    timeout_seconds.filter(|&seconds| seconds > 0).map_or(default, Duration::from_secs)
}

/// How to encode a watch.
#[derive(Clone, Debug)]
pub(crate) struct WatchParams {
    pub(crate) negotiated: Negotiated,
    pub(crate) timeout: Duration,
    /// Flips to `true` when the server shuts down.
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// The 200 streaming response of a watch over `events`.
pub(crate) fn response(
    events: impl Stream<Item = WatchEvent> + Send + 'static,
    params: WatchParams,
) -> Response<ResponseBody> {
    let mut shutdown = params.shutdown.clone();
    let stop = async move {
        tokio::select! {
            () = tokio::time::sleep(params.timeout) => {}
            () = async {
                let _ = shutdown.wait_for(|down| *down).await.map(drop);
                tokio::time::sleep(CLOSE_GRACE).await;
            } => {}
        }
    };
    let content_type = if params.negotiated.table { TABLE_CONTENT_TYPE } else { JSON };
    // Table requests get their events converted by the storage stack already; metadata-only
    // ones are reduced here.
    let partial = params.negotiated.partial;
    // The deadline is looked at only when its timer or the shutdown woke it, not for every event.
    let frames = events.take_until(WhenWoken::new(stop)).map(move |event| {
        let event = match partial {
            Some(version) => super::partial::event(event, version),
            None => event,
        };
        Ok::<_, Infallible>(Frame::data(event.encode()))
    });
    let mut res = Response::new(StreamBody::new(frames).boxed_unsync());
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    res
}
