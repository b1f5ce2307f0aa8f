//! The service stack, assembled once. Outermost first:
//!
//! 1. `TraceLayer` — a span per request; latency and failures logged (at debug).
//! 2. [`MetricsLayer`] — request count and latency by verb, resource and code; it sits inside
//!    tracing so a request is timed the same way it is logged.
//! 3. [`ApiService`] — routing, body limits, the resource verbs; it never fails, every error is a
//!    `Status` response, and a panic in a handler is caught there and answered with a 500.

use super::handler::ApiService;
use super::metrics::MetricsLayer;
use super::response::ResponseBody;
use super::state::AppState;
use http::{Request, Response};
use http_body::Body;
use http_body_util::BodyExt;
use porch_layers::{
    AdmissionLayer, ApiError, CanonicalizeLayer, ErrorTranslationLayer, StorageRequest, StorageResponse,
    Strategy, TableConversionLayer, ValidationLayer,
};
use std::convert::Infallible;
use std::sync::Arc;
use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;
use tower_http::trace::TraceLayer;

/// The whole API as one cloneable service over any request body.
pub type ApiStack<B> = BoxCloneSyncService<Request<B>, Response<ResponseBody>, Infallible>;

/// Builds the stack over `state`.
pub(crate) fn build<B>(state: Arc<AppState>) -> ApiStack<B>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let svc = ServiceBuilder::new()
        .map_response(unify_body)
        .layer(TraceLayer::new_for_http())
        .layer(MetricsLayer)
        .service(ApiService::new(state));
    BoxCloneSyncService::new(svc)
}

/// Boxes whatever body the outer layers wrapped around ours back into [`ResponseBody`].
fn unify_body<Bd>(res: Response<Bd>) -> Response<ResponseBody>
where
    Bd: Body<Data = bytes::Bytes, Error = Infallible> + Send + 'static,
{
    res.map(|body| body.boxed_unsync())
}

/// The storage stack of one engine-backed resource, one cloneable service that never fails.
pub(crate) type ResourceStack = BoxCloneSyncService<StorageRequest, StorageResponse, Infallible>;

/// Builds the storage stack of one resource over its REST storage, in DESIGN.md's order
/// (outermost first):
///
/// 1. `ErrorTranslation` — every `Err` below becomes a `Status` response, once, here;
/// 2. `TableConversion` — Table requests get the strategy's columns on the way back (lists,
///    single objects and watch events alike), after every other layer answered;
/// 3. `Admission` — `prepare_for_*` normalizes the incoming object first…
/// 4. `Validation` — …so that validation sees it normalized, and answers 422 before storage;
/// 5. `Canonicalize` — only valid objects are brought into normal form, just before storage.
pub(crate) fn resource_stack<St, S>(strategy: Arc<St>, storage: S) -> ResourceStack
where
    St: Strategy,
    S: tower::Service<StorageRequest, Response = StorageResponse, Error = ApiError>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let svc = ServiceBuilder::new()
        .layer(ErrorTranslationLayer::new())
        .layer(TableConversionLayer::new(strategy.clone()))
        .layer(AdmissionLayer::new(strategy.clone()))
        .layer(ValidationLayer::new(strategy.clone()))
        .layer(CanonicalizeLayer::new(strategy))
        .service(storage);
    BoxCloneSyncService::new(svc)
}
