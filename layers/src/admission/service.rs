use super::AdmissionLayer;
use crate::object_meta;
use crate::request::{StorageRequest, Write};
use crate::strategy::Strategy;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::Service;

/// Drops the `null`s of the incoming object's `metadata` (as decoding does), then runs the
/// strategy's `prepare_for_*` on it. See the [module docs](crate::admission).
///
/// **When:** on the way down, before validation. **Mutates:** the request's `body` only;
/// requests without an object to write pass untouched, and responses pass unchanged. Nothing
/// is done for a strategy that storage [applies itself](Strategy::applied_by_storage).
pub struct Admission<S, St: ?Sized> {
    inner: S,
    strategy: Arc<St>,
}

define_strategy_service!(Admission, AdmissionLayer);

impl<S, St> Service<StorageRequest> for Admission<S, St>
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
        if let Some((ctx, obj, write)) = req.write_parts() {
            object_meta::drop_nulls(obj);
            match write {
                Write::Create => self.strategy.prepare_for_create(ctx, obj),
                Write::Update(old) => self.strategy.prepare_for_update(ctx, obj, old),
                Write::StatusUpdate(old) => self.strategy.prepare_for_status_update(ctx, obj, old),
            }
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
        let svc = ServiceBuilder::new().layer(AdmissionLayer::new(Arc::clone(recorder))).service_fn(echo);
        block_on(svc.oneshot(req)).unwrap()
    }

    #[test]
    fn create_runs_prepare_for_create_on_the_body() {
        let rec = Arc::new(Recorder::default());
        let req = StorageRequest::new(RequestContext::new(Verb::Create)).with_body(json!({"status": 1}));
        let res = run(&rec, req);
        assert_eq!(rec.calls(), ["prepare_for_create"]);
        assert_eq!(res.payload_object()["prepared"], "create");
        assert!(res.payload_object().get("status").is_none());
    }

    #[test]
    fn metadata_nulls_are_dropped_as_decoding_drops_them() {
        let rec = Arc::new(Recorder::default());
        let body = json!({"metadata": {"name": "w", "creationTimestamp": null}, "spec": {"keep": null}});
        let res = run(&rec, StorageRequest::new(RequestContext::new(Verb::Create)).with_body(body));
        assert_eq!(res.payload_object()["metadata"], json!({"name": "w"}));
        assert_eq!(res.payload_object()["spec"], json!({"keep": null}));
    }

    #[test]
    fn update_with_the_current_object_runs_prepare_for_update() {
        let rec = Arc::new(Recorder::default());
        let req =
            StorageRequest::new(RequestContext::new(Verb::Patch)).with_body(json!({})).with_old(json!({}));
        assert_eq!(run(&rec, req).payload_object()["prepared"], "update");
        assert_eq!(rec.calls(), ["prepare_for_update"]);
    }

    #[test]
    fn status_updates_run_prepare_for_status_update() {
        let rec = Arc::new(Recorder::default());
        let ctx = RequestContext::new(Verb::Update).subresource("status");
        let req = StorageRequest::new(ctx).with_body(json!({})).with_old(json!({}));
        run(&rec, req);
        assert_eq!(rec.calls(), ["prepare_for_status_update"]);
    }

    #[test]
    fn update_of_a_missing_object_is_prepared_as_a_create() {
        let rec = Arc::new(Recorder::default());
        let req = StorageRequest::new(RequestContext::new(Verb::Update)).with_body(json!({}));
        run(&rec, req);
        assert_eq!(rec.calls(), ["prepare_for_create"]);
    }

    #[test]
    fn a_strategy_applied_by_storage_is_not_applied_here() {
        let rec = Arc::new(Recorder::applied_by_storage());
        let body = json!({"metadata": {"name": "w", "creationTimestamp": null}, "status": 1});
        let res = run(&rec, StorageRequest::new(RequestContext::new(Verb::Create)).with_body(body.clone()));
        assert_eq!(*res.payload_object(), body);
        assert!(rec.calls().is_empty());
    }

    #[test]
    fn reads_and_deletes_pass_untouched() {
        let rec = Arc::new(Recorder::default());
        for verb in [Verb::Get, Verb::List, Verb::Delete] {
            run(&rec, StorageRequest::new(RequestContext::new(verb)));
        }
        assert!(rec.calls().is_empty());
    }
}
