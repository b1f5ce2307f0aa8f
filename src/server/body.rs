//! Reading request bodies, bounded by `--max-request-body-size` and `--body-read-timeout`.

use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use porch_layers::ApiError;
use std::time::Duration;

/// Reads the whole body; more than `limit` bytes is a 413 `RequestEntityTooLarge` Status, a body
/// still incomplete after `timeout` (a client sending it a byte at a time, or declaring more than
/// it sends) a 408 `Timeout`. hyper closes the connection after either answer, as the rest of the
/// body is left unread.
pub(crate) async fn collect<B>(body: B, limit: usize, timeout: Duration) -> Result<Bytes, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Ok(collected) = tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await else {
        return Err(ApiError::new(
            408,
            "Timeout",
            format!("the request body was not received within {}s", timeout.as_secs_f64()),
        ));
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(limit)),
        Err(e) => Err(ApiError::bad_request(format!("failed to read the request body: {e}"))),
    }
}

/// The 413 Status for a body over `limit` bytes.
pub(crate) fn too_large(limit: usize) -> ApiError {
    ApiError::too_large(format!("the request body is larger than the limit of {limit} bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use http_body_util::Full;

    const MINUTE: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn bodies_over_the_limit_are_413() {
        let err = collect(Full::new(Bytes::from(vec![b'x'; 11])), 10, MINUTE).await.unwrap_err();
        assert_eq!(err.code(), 413);
        let ok = collect(Full::new(Bytes::from_static(b"0123456789")), 10, MINUTE).await.unwrap();
        assert_eq!(ok.len(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stops_arriving_is_408_after_the_timeout() {
        // Seven bytes, then nothing: a client that declared more than it sends.
        let frames = futures::stream::iter([Ok::<_, std::convert::Infallible>(http_body::Frame::data(
            Bytes::from_static(b"{\"a\":1,"),
        ))])
        .chain(futures::stream::pending());
        let started = tokio::time::Instant::now();
        let err = collect(http_body_util::StreamBody::new(frames), 100, MINUTE).await.unwrap_err();
        assert_eq!((err.code(), err.reason()), (408, "Timeout"));
        assert_eq!(err.message(), "the request body was not received within 60s");
        assert_eq!(started.elapsed(), MINUTE);
    }
}
