//! Encoding watch streams: one JSON object per event, newline-terminated, flushed at once.
//!
//! The stream ends cleanly at `timeoutSeconds` (or the server default, also for 0) and when the server shuts
//! down; dropping it releases the watch at its source.

use super::negotiate::{Negotiated, TABLE_CONTENT_TYPE};
use super::resources::{Backend, ResourceDef};
use super::response::{JSON, ResponseBody};
use super::table::{self, TableOptions};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use http::{HeaderValue, Response, header};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use porch_layers::request::WatchEvent;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::watch;

/// How long a watch lasts: its `timeoutSeconds`, or the server default when none is given — and,
/// as in kube-apiserver, `timeoutSeconds=0` means none given.
pub(crate) fn timeout(timeout_seconds: Option<u64>, default: Duration) -> Duration {
    timeout_seconds.filter(|&seconds| seconds > 0).map_or(default, Duration::from_secs)
}

/// How to encode a watch.
#[derive(Clone, Debug)]
pub(crate) struct WatchParams {
    pub(crate) def: &'static ResourceDef,
    pub(crate) negotiated: Negotiated,
    pub(crate) timeout: Duration,
    /// Flips to `true` when the server shuts down.
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// `event` as one JSON line; for a Table request of an embedded store's kind, with a one-row
/// Table for its object (the engine's resources come out of their storage stack converted
/// already).
fn encode(event: &WatchEvent, params: &WatchParams, first_table: &mut bool) -> Bytes {
    let convert = matches!(params.def.backend, Backend::Store(_))
        && params.negotiated.table
        && event.event_type.carries_object();
    if !convert {
        return event.encode();
    }
    let options =
        TableOptions { include_object: params.negotiated.include_object, no_headers: !*first_table };
    *first_table = false;
    let rv = event.object.pointer("/metadata/resourceVersion").cloned().unwrap_or(Value::Null);
    let t = table::to_table(
        params.def,
        std::slice::from_ref(&event.object),
        json!({"resourceVersion": rv}),
        options,
    );
    porch_layers::request::encode_line(event.event_type, &t.to_json())
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
            _ = shutdown.wait_for(|down| *down) => {}
        }
    };
    let content_type = if params.negotiated.table { TABLE_CONTENT_TYPE } else { JSON };
    let mut first_table = true;
    let frames = events
        .take_until(stop)
        .map(move |event| Ok::<_, Infallible>(Frame::data(encode(&event, &params, &mut first_table))));
    let mut res = Response::new(StreamBody::new(frames).boxed_unsync());
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    res
}
