//! The server's own `kube::Client` in standalone mode: requests go straight into the API
//! service in-process (no socket). It holds the server state weakly, so the engine that owns
//! the client does not keep the state alive; once the server is gone its calls answer 503.

use std::convert::Infallible;
use std::sync::Weak;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::{Request, Response};
use porch_layers::ApiError;

use super::handler::ApiService;
use super::response::{ResponseBody, error_response};
use super::state::AppState;

/// The API service over a weakly held state.
#[derive(Clone, Debug)]
pub(crate) struct WeakApiService {
    state: Weak<AppState>,
}

impl tower::Service<Request<kube::client::Body>> for WeakApiService {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<kube::client::Body>) -> Self::Future {
        match self.state.upgrade() {
            Some(state) => ApiService::new(state).call(req),
            None => {
                Box::pin(async { Ok(error_response(&ApiError::unavailable("the server is shutting down"))) })
            }
        }
    }
}

/// A client sending to the server whose state `state` points to.
pub(crate) fn client(state: Weak<AppState>) -> kube::Client {
    kube::Client::new(WeakApiService { state }, "default")
}
