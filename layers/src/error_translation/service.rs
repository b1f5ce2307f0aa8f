use super::{ErrorTranslationLayer, IntoApiError, ResponseFuture};
use crate::request::StorageResponse;
use crate::status::ApiError;
use std::convert::Infallible;
use std::task::{Context, Poll};
use tower::Service;

/// The message of the generic 500; it reveals nothing about the failure.
const INTERNAL_MESSAGE: &str = "the server could not complete the request; see the server log";

/// The one place where errors become responses: every `Err` of the wrapped service becomes a
/// `Status` [`StorageResponse`]. See the [module docs](crate::error_translation).
///
/// **When:** outermost, on the way back. **Mutates:** nothing; successful responses (including
/// `Status` responses that inner layers short-circuited with) pass unchanged.
#[derive(Clone, Debug)]
pub struct ErrorTranslation<S> {
    inner: S,
    /// A translated `poll_ready` failure, answered to the next call.
    not_ready: Option<ApiError>,
}

impl<S> ErrorTranslation<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self { inner, not_ready: None }
    }

    /// The layer that builds this service.
    pub fn layer() -> ErrorTranslationLayer {
        ErrorTranslationLayer::new()
    }

    define_inner_service_accessors!();
}

/// The `Status` response for `err`: its API error, or a generic 500. Logged: see [`api_error`].
pub(super) fn translate<E: IntoApiError>(err: &E) -> StorageResponse {
    StorageResponse::status(api_error(err))
}

/// The API error for `err`, logged here and nowhere else: a server failure (5xx, or an error
/// with no API error, answered with a generic 500) at `warn!` with its cause chain
/// ([`IntoApiError::detail`]); a refusal (4xx) at `debug!` with its code and reason only, so no
/// request content reaches the log.
fn api_error<E: IntoApiError>(err: &E) -> ApiError {
    match err.api_error() {
        Some(api) if api.code() >= 500 => {
            tracing::warn!(code = api.code(), error = %err.detail(), "request failed");
            api
        }
        Some(api) => {
            tracing::debug!(code = api.code(), reason = api.reason(), "request refused");
            api
        }
        None => {
            tracing::warn!(error = %err.detail(), "internal error answered with 500");
            ApiError::internal(INTERNAL_MESSAGE)
        }
    }
}

impl<S, Req> Service<Req> for ErrorTranslation<S>
where
    S: Service<Req, Response = StorageResponse>,
    S::Error: IntoApiError,
{
    type Response = StorageResponse;
    type Error = Infallible;
    type Future = ResponseFuture<S::Future>;

    /// Never fails: a failure of the wrapped service to become ready is answered, as a `Status`,
    /// to the next call.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.not_ready.is_some() {
            return Poll::Ready(Ok(()));
        }
        match self.inner.poll_ready(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => {
                self.not_ready = Some(api_error(&e));
                Poll::Ready(Ok(()))
            }
        }
    }

    fn call(&mut self, req: Req) -> Self::Future {
        match self.not_ready.take() {
            Some(err) => ResponseFuture::ready(StorageResponse::status(err)),
            None => ResponseFuture::future(self.inner.call(req)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Payload, RequestContext, StorageError, StorageRequest, Verb};
    use futures::executor::block_on;
    use serde_json::json;
    use tower::{ServiceBuilder, ServiceExt};

    fn get() -> StorageRequest {
        StorageRequest::new(RequestContext::new(Verb::Get).name("a"))
    }

    #[derive(Debug, thiserror::Error)]
    #[error("failed to read widget")]
    struct Wrapper(#[source] ApiError);

    #[test]
    fn successful_responses_pass_unchanged() {
        let svc =
            ServiceBuilder::new().layer(ErrorTranslationLayer::new()).service_fn(|_: StorageRequest| async {
                Ok::<_, StorageError>(StorageResponse::ok(json!({"a": 1})))
            });
        let res = block_on(svc.oneshot(get())).unwrap();
        assert_eq!(res.code, 200);
        assert!(matches!(res.payload, Payload::Object(o) if o == json!({"a": 1})));
    }

    #[test]
    fn an_api_error_deep_in_the_cause_chain_becomes_its_status() {
        let svc =
            ServiceBuilder::new().layer(ErrorTranslationLayer::new()).service_fn(|_: StorageRequest| async {
                let err = Wrapper(ApiError::not_found("example.dev", "widgets", "a"));
                Err::<StorageResponse, StorageError>(Box::new(err))
            });
        let res = block_on(svc.oneshot(get())).unwrap();
        assert_eq!(res.code, 404);
        let err = res.as_error().unwrap();
        assert_eq!(err.message(), "widgets.example.dev \"a\" not found");
    }

    #[test]
    fn typed_errors_translate_through_into_api_error() {
        let svc =
            ServiceBuilder::new().layer(ErrorTranslationLayer::new()).service_fn(|_: StorageRequest| async {
                Err::<StorageResponse, ApiError>(ApiError::conflict("g", "widgets", "a", "busy"))
            });
        assert_eq!(block_on(svc.oneshot(get())).unwrap().code, 409);
    }

    #[test]
    fn unknown_errors_become_a_generic_500_that_reveals_nothing() {
        let svc =
            ServiceBuilder::new().layer(ErrorTranslationLayer::new()).service_fn(|_: StorageRequest| async {
                Err::<StorageResponse, StorageError>("secret path /var/lib/x exploded".into())
            });
        let res = block_on(svc.oneshot(get())).unwrap();
        assert_eq!(res.code, 500);
        let status = res.as_error().unwrap().to_json();
        assert_eq!(status["reason"], "InternalError");
        assert!(!status["message"].as_str().unwrap().contains("/var/lib/x"));
    }

    #[test]
    fn a_failed_poll_ready_is_answered_to_the_next_call() {
        #[derive(Clone)]
        struct Broken;
        impl Service<StorageRequest> for Broken {
            type Response = StorageResponse;
            type Error = ApiError;
            type Future = std::future::Ready<Result<StorageResponse, ApiError>>;
            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ApiError>> {
                Poll::Ready(Err(ApiError::unavailable("shutting down")))
            }
            fn call(&mut self, _: StorageRequest) -> Self::Future {
                unreachable!("never ready")
            }
        }
        let res = block_on(ErrorTranslation::new(Broken).oneshot(get())).unwrap();
        assert_eq!(res.code, 503);
    }
}
