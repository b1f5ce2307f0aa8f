//! The request handler at the bottom of the stack: routes every request to discovery, OpenAPI,
//! health, metrics or a resource verb, and always answers (errors are `Status` responses).

mod decode;
mod nonresource;
mod resource;
mod verbs;

use super::metrics::RequestLabels;
use super::request::ApiRequest;
use super::response::{ResponseBody, error_response};
use super::state::AppState;
use futures::FutureExt;
use futures::future::BoxFuture;
use http::{Request, Response};
use http_body::Body;
use porch_layers::ApiError;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

/// How often a patch is retried when the object changed between read and write.
const PATCH_ATTEMPTS: usize = 5;

/// An object's `metadata.resourceVersion`. A patch that changes it pins the version it applies
/// to, and is not retried.
fn resource_version(obj: &serde_json::Value) -> Option<&str> {
    obj.pointer("/metadata/resourceVersion").and_then(serde_json::Value::as_str)
}

/// The API as a `tower::Service`: cheap to clone, never fails (errors are responses).
#[derive(Clone, Debug)]
pub(crate) struct ApiService {
    state: Arc<AppState>,
}

impl ApiService {
    /// The service over `state`.
    pub(crate) fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

impl<B> tower::Service<Request<B>> for ApiService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let state = self.state.clone();
        Box::pin(async move {
            // A bug must cost one request a 500, never the connection or the process.
            match std::panic::AssertUnwindSafe(route(state, req)).catch_unwind().await {
                Ok(res) => Ok(res),
                Err(_) => {
                    tracing::error!("a request handler panicked");
                    Ok(error_response(&ApiError::internal("the server panicked while handling the request")))
                }
            }
        })
    }
}

async fn route<B>(state: Arc<AppState>, req: Request<B>) -> Response<ResponseBody>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = req.into_parts();
    if let Some(res) = nonresource::handle(&state, &parts) {
        return res;
    }
    match ApiRequest::parse(&parts.method, parts.uri.path(), parts.uri.query()) {
        Ok(Some(api)) => {
            let labels = RequestLabels { verb: api.verb.as_str(), resource: api.path.resource.clone() };
            let mut res = match resource::handle(&state, api, &parts, body).await {
                Ok(res) => res,
                Err(err) => error_response(&err),
            };
            res.extensions_mut().insert(labels);
            res
        }
        Ok(None) => error_response(&ApiError::path_not_found()),
        Err(err) => error_response(&err),
    }
}
