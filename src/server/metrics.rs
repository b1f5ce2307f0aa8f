//! Request metrics: `porch_requests_total` and `porch_request_duration_seconds`, labelled by verb,
//! resource and code, recorded through the `metrics` facade and rendered on `/metrics`; the same
//! labels are recorded in the request's span (`trace.rs`).

use futures::future::BoxFuture;
use http::{Request, Response};
use std::task::{Context, Poll};
use std::time::Instant;
use tower::{Layer, Service};

/// The counter of served requests.
pub(crate) const REQUESTS_TOTAL: &str = "porch_requests_total";
/// The histogram of time to the response head, in seconds (for a watch: until the stream starts).
pub(crate) const REQUEST_DURATION: &str = "porch_request_duration_seconds";

/// The labels a handler attaches to its response (as an extension) for [`Metrics`].
#[derive(Clone, Debug)]
pub(crate) struct RequestLabels {
    pub(crate) verb: &'static str,
    pub(crate) resource: String,
}

/// Builds [`Metrics`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MetricsLayer;

impl<S> Layer<S> for MetricsLayer {
    type Service = Metrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Metrics { inner }
    }
}

/// Counts requests and times them; non-resource requests are labelled with their method.
#[derive(Clone, Debug)]
pub(crate) struct Metrics<S> {
    inner: S,
}

impl<S, B, RB> Service<Request<B>> for Metrics<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<RB>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let start = Instant::now();
        let method = req.method().as_str().to_ascii_lowercase();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let res = fut.await?;
            let (verb, resource) = match res.extensions().get::<RequestLabels>() {
                Some(l) => (l.verb.to_string(), l.resource.clone()),
                None => (method, String::new()),
            };
            super::trace::record_answer(&verb, &resource, res.status().as_u16());
            let code = res.status().as_u16().to_string();
            let labels = [("verb", verb), ("resource", resource), ("code", code)];
            metrics::counter!(REQUESTS_TOTAL, &labels).increment(1);
            metrics::histogram!(REQUEST_DURATION, &labels).record(start.elapsed().as_secs_f64());
            Ok(res)
        })
    }
}
