use super::CanonicalizeLayer;
use crate::request::StorageRequest;
use crate::strategy::Strategy;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::Service;

/// Runs the strategy's `canonicalize` on the incoming object of a write. See the
/// [module docs](crate::canonicalize).
///
/// **When:** on the way down, after validation passed, just before storage. **Mutates:** the
/// request's `body` only; responses pass unchanged. Nothing is done for a strategy that storage
/// [applies itself](Strategy::applied_by_storage).
pub struct Canonicalize<S, St: ?Sized> {
    inner: S,
    strategy: Arc<St>,
}

define_strategy_service!(Canonicalize, CanonicalizeLayer);

impl<S, St> Service<StorageRequest> for Canonicalize<S, St>
where
    S: Service<StorageRequest>,
    St: Strategy + ?Sized,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: StorageRequest) -> Self::Future {
        if self.strategy.applied_by_storage() {
            return self.inner.call(req);
        }
        if let Some((_, obj, _)) = req.write_parts() {
            self.strategy.canonicalize(obj);
        }
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{RequestContext, StorageResponse, Verb};
    use crate::test_helpers::{PayloadExt, Recorder, echo};
    use futures::executor::block_on;
    use serde_json::json;
    use tower::{ServiceBuilder, ServiceExt};

    fn run(recorder: &Arc<Recorder>, req: StorageRequest) -> StorageResponse {
        let svc = ServiceBuilder::new().layer(CanonicalizeLayer::new(Arc::clone(recorder))).service_fn(echo);
        block_on(svc.oneshot(req)).unwrap()
    }

    #[test]
    fn writes_reach_storage_canonicalized() {
        let rec = Arc::new(Recorder::default());
        for (verb, old) in
            [(Verb::Create, None), (Verb::Update, Some(json!({}))), (Verb::Patch, Some(json!({})))]
        {
            let mut req = StorageRequest::new(RequestContext::new(verb)).with_body(json!({}));
            req.old = old;
            assert_eq!(run(&rec, req).payload_object()["canonical"], true);
        }
        assert_eq!(rec.calls(), ["canonicalize"; 3]);
    }

    #[test]
    fn a_strategy_applied_by_storage_is_not_canonicalized_here() {
        let rec = Arc::new(Recorder::applied_by_storage());
        let req = StorageRequest::new(RequestContext::new(Verb::Create)).with_body(json!({}));
        assert!(run(&rec, req).payload_object().get("canonical").is_none());
        assert!(rec.calls().is_empty());
    }

    #[test]
    fn requests_without_an_object_pass_untouched() {
        let rec = Arc::new(Recorder::default());
        run(&rec, StorageRequest::new(RequestContext::new(Verb::Delete).name("a")));
        run(&rec, StorageRequest::new(RequestContext::new(Verb::Update).name("a")));
        assert!(rec.calls().is_empty());
    }
}
