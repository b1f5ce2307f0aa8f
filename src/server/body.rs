//! Reading request bodies, bounded by `--max-request-body-size`.

use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use porch_layers::ApiError;

/// Reads the whole body; more than `limit` bytes is a 413 `RequestEntityTooLarge` Status.
pub(crate) async fn collect<B>(body: B, limit: usize) -> Result<Bytes, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, limit).collect().await {
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
    use http_body_util::Full;

    #[tokio::test]
    async fn bodies_over_the_limit_are_413() {
        let err = collect(Full::new(Bytes::from(vec![b'x'; 11])), 10).await.unwrap_err();
        assert_eq!(err.code(), 413);
        let ok = collect(Full::new(Bytes::from_static(b"0123456789")), 10).await.unwrap();
        assert_eq!(ok.len(), 10);
    }
}
