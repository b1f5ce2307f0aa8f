//! The service stack, assembled once. Outermost first:
//!
//! 1. `TraceLayer` — a span per request ([`trace`](super::trace)); latency and failures
//!    logged (at debug).
//! 2. [`MetricsLayer`] — request count and latency by verb, resource and code; it sits inside
//!    tracing so a request is timed the same way it is logged.
//! 3. [`AuthLayer`] (aggregated mode) — who is calling (401 when nobody the cluster knows) and
//!    whether they may (403), asked of the cluster; the user goes into the request's extensions.
//! 4. [`ApiService`] — routing, body limits, the resource verbs; it never fails, every error is a
//!    `Status` response, and a panic in a handler is caught there and answered with a 500.

use super::auth::AuthLayer;
use super::handler::ApiService;
use super::metrics::MetricsLayer;
use super::response::ResponseBody;
use super::state::AppState;
use super::trace::request_span;
use http::{Request, Response};
use http_body::Body;
use http_body_util::BodyExt;
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
        .layer(TraceLayer::new_for_http().make_span_with(request_span::<B>))
        .layer(MetricsLayer)
        .option_layer(state.auth.clone().map(AuthLayer::new))
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
