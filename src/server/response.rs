//! Building responses: JSON bodies (lists and Tables as frames of shared buffers), Status errors
//! and the streaming body type.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use porch_layers::{ApiError, Frames};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The body of every response: a full buffer or a watch stream.
pub type ResponseBody = UnsyncBoxBody<Bytes, Infallible>;

/// `application/json`.
pub(crate) const JSON: &str = "application/json";

/// A body holding `bytes`.
pub(crate) fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into()).boxed_unsync()
}

/// A response with `bytes` and a content type.
pub(crate) fn bytes_response(
    code: StatusCode,
    content_type: &str,
    bytes: impl Into<Bytes>,
) -> Response<ResponseBody> {
    let mut res = Response::new(full(bytes));
    *res.status_mut() = code;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res
}

/// A JSON response.
pub(crate) fn json_response(code: StatusCode, value: &serde_json::Value) -> Response<ResponseBody> {
    json_response_typed(code, JSON, value)
}

/// A response with `value` as JSON and a specific content type (Table, aggregated discovery);
/// 500 when `value` does not serialize.
pub(crate) fn json_response_typed<T: serde::Serialize + ?Sized>(
    code: StatusCode,
    content_type: &str,
    value: &T,
) -> Response<ResponseBody> {
    match serde_json::to_vec(value) {
        Ok(body) => bytes_response(code, content_type, body),
        Err(e) => error_response(&ApiError::internal(e)),
    }
}

/// The `Status` response of an error, with `Retry-After` where the error asks for one.
pub(crate) fn error_response(err: &ApiError) -> Response<ResponseBody> {
    let code = StatusCode::from_u16(err.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = json_response(code, &err.to_json());
    if let Some(secs) = err.retry_after_seconds() {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// Adds a `Warning: 299 - "<text>"` header (how kubectl shows server warnings).
pub(crate) fn add_warning(res: &mut Response<ResponseBody>, text: &str) {
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    if let Ok(v) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
        res.headers_mut().append(header::WARNING, v);
    }
}

/// A list response, written from the items' kept encodings where the storage has them
/// ([`ObjectList::to_frames`](porch_layers::ObjectList::to_frames)); 500 when an item does not
/// serialize.
pub(crate) fn list_response(code: StatusCode, list: &porch_layers::ObjectList) -> Response<ResponseBody> {
    frames_response(code, JSON, list.to_frames())
}

/// A Table response ([`TableList::to_frames`](porch_layers::TableList::to_frames)); 500 when a
/// cell does not serialize.
pub(crate) fn table_response(
    code: StatusCode,
    content_type: &str,
    table: &porch_layers::TableList,
) -> Response<ResponseBody> {
    frames_response(code, content_type, table.to_frames())
}

/// A response whose body is `frames` (sent with its `Content-Length`, each frame as it is).
fn frames_response(
    code: StatusCode,
    content_type: &str,
    frames: Result<Frames, serde_json::Error>,
) -> Response<ResponseBody> {
    let frames = match frames {
        Ok(frames) => frames,
        Err(e) => return error_response(&ApiError::internal(e)),
    };
    let length = frames.len() as u64;
    let mut res =
        Response::new(FramesBody { frames: frames.finish().into(), remaining: length }.boxed_unsync());
    *res.status_mut() = code;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res
}

/// A body of frames of known total length.
struct FramesBody {
    frames: VecDeque<Bytes>,
    remaining: u64,
}

impl Body for FramesBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = self.frames.pop_front();
        if let Some(frame) = &next {
            self.remaining -= frame.len() as u64;
        }
        Poll::Ready(next.map(|frame| Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
