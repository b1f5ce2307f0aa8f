use super::{ResponseFuture, ValidationLayer};
use crate::object_meta;
use crate::request::{RequestContext, StorageRequest, StorageResponse, Write};
use crate::status::ApiError;
use crate::status::FieldCause;
use crate::strategy::Strategy;
use serde_json::Value;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::Service;

/// Runs the strategy's `validate*` on the incoming object of a write and answers 422 `Invalid`
/// when it finds any cause; otherwise adds the strategy's `warnings_on_*` to the response. See
/// the [module docs](crate::validation).
///
/// **When:** on the way down, after admission, before canonicalize. **Mutates:** nothing.
/// Nothing is checked for a strategy that storage [applies itself](Strategy::applied_by_storage).
pub struct Validation<S, St: ?Sized> {
    inner: S,
    strategy: Arc<St>,
}

define_strategy_service!(Validation, ValidationLayer);

/// The outcome of validating one write.
enum Verdict {
    Valid { warnings: Vec<String> },
    Invalid(ApiError),
}

/// apiserver's order: the metadata's types (decoding) first; then, for a create, the strategy's
/// `validate` and only if it passed the common metadata rules (`BeforeCreate`, "so that specific
/// error messages are shown"); for an update, the common metadata rules and the strategy's
/// `validate_update` together (`BeforeUpdate`).
fn causes<St: Strategy + ?Sized>(
    strategy: &St,
    ctx: &RequestContext,
    obj: &Value,
    write: Write<'_>,
) -> Vec<FieldCause> {
    let types = object_meta::check_types(obj);
    if !types.is_empty() {
        return types;
    }
    match write {
        Write::Create => {
            let causes = strategy.validate(ctx, obj);
            if !causes.is_empty() {
                return causes;
            }
            object_meta::validate_create(obj, strategy.namespace_scoped(), strategy.name_rule())
        }
        Write::Update(old) => {
            let mut causes = object_meta::validate_update(obj, old);
            causes.extend(strategy.validate_update(ctx, obj, old));
            causes
        }
        Write::StatusUpdate(old) => {
            let mut causes = object_meta::validate_update(obj, old);
            causes.extend(strategy.validate_status_update(ctx, obj, old));
            causes
        }
    }
}

fn judge<St: Strategy + ?Sized>(strategy: &St, req: &mut StorageRequest) -> Verdict {
    if strategy.applied_by_storage() {
        return Verdict::Valid { warnings: Vec::new() };
    }
    let Some((ctx, obj, write)) = req.write_parts() else {
        return Verdict::Valid { warnings: Vec::new() };
    };
    let obj: &Value = obj;
    let causes = causes(strategy, ctx, obj, write);
    if causes.is_empty() {
        let warnings = match write {
            Write::Create => strategy.warnings_on_create(ctx, obj),
            Write::Update(old) | Write::StatusUpdate(old) => strategy.warnings_on_update(ctx, obj, old),
        };
        return Verdict::Valid { warnings };
    }
    let name = obj.pointer("/metadata/name").and_then(Value::as_str).or(ctx.name.as_deref()).unwrap_or("");
    Verdict::Invalid(ApiError::invalid(strategy.group(), strategy.kind(), name, &causes))
}

impl<S, St> Service<StorageRequest> for Validation<S, St>
where
    S: Service<StorageRequest, Response = StorageResponse>,
    St: Strategy + ?Sized,
{
    type Response = StorageResponse;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: StorageRequest) -> Self::Future {
        match judge(self.strategy.as_ref(), &mut req) {
            Verdict::Valid { warnings } => ResponseFuture::future(self.inner.call(req), warnings),
            Verdict::Invalid(err) => ResponseFuture::invalid(StorageResponse::status(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{RequestContext, Verb};
    use crate::test_helpers::{Recorder, echo};
    use futures::executor::block_on;
    use serde_json::json;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tower::{ServiceBuilder, ServiceExt};

    fn run(recorder: &Arc<Recorder>, req: StorageRequest) -> StorageResponse {
        let svc = ServiceBuilder::new().layer(ValidationLayer::new(Arc::clone(recorder))).service_fn(echo);
        block_on(svc.oneshot(req)).unwrap()
    }

    #[test]
    fn invalid_creates_get_a_422_response_with_causes_and_never_reach_storage() {
        let rec = Arc::new(Recorder::default());
        let reached = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&reached);
        let svc = ServiceBuilder::new().layer(ValidationLayer::new(Arc::clone(&rec))).service_fn(
            move |req: StorageRequest| {
                seen.store(true, Ordering::SeqCst);
                echo(req)
            },
        );
        let body = json!({"metadata": {"name": "w"}, "invalid": "must be positive"});
        let req = StorageRequest::new(RequestContext::new(Verb::Create)).with_body(body);
        let res = block_on(svc.oneshot(req)).unwrap();
        assert!(!reached.load(Ordering::SeqCst));
        assert_eq!(res.code, 422);
        let status = res.as_error().unwrap().to_json();
        assert_eq!(status["reason"], "Invalid");
        assert_eq!(
            status["message"],
            "Widget.example.dev \"w\" is invalid: spec.invalid: Invalid value: must be positive"
        );
        assert_eq!(status["details"]["causes"][0]["field"], "spec.invalid");
        assert_eq!(status["details"]["causes"][0]["reason"], "FieldValueInvalid");
        assert_eq!(rec.calls(), ["validate"]);
    }

    #[test]
    fn invalid_objects_without_a_name_are_named_from_the_path() {
        let rec = Arc::new(Recorder::default());
        let ctx = RequestContext::new(Verb::Update).name("from-path");
        let req = StorageRequest::new(ctx).with_body(json!({"invalid": "x"})).with_old(json!({}));
        let res = run(&rec, req);
        assert!(res.as_error().unwrap().message().contains("\"from-path\" is invalid"));
        assert_eq!(rec.calls(), ["validate_update"]);
    }

    #[test]
    fn valid_writes_reach_storage_with_the_strategy_warnings_first() {
        let rec = Arc::new(Recorder::default());
        let svc = ServiceBuilder::new().layer(ValidationLayer::new(Arc::clone(&rec))).service_fn(
            |req: StorageRequest| async move {
                Ok::<_, ApiError>(StorageResponse::ok(req.body.unwrap()).with_warning("from storage"))
            },
        );
        let body = json!({"metadata": {"name": "w", "namespace": "ns"}, "warn": "deprecated"});
        let req = StorageRequest::new(RequestContext::new(Verb::Create)).with_body(body);
        let res = block_on(svc.oneshot(req)).unwrap();
        assert_eq!(res.code, 200);
        assert_eq!(res.warnings, ["deprecated", "from storage"]);
        assert_eq!(rec.calls(), ["validate", "warnings_on_create"]);
    }

    #[test]
    fn status_updates_use_validate_status_update() {
        let rec = Arc::new(Recorder::default());
        let ctx = RequestContext::new(Verb::Patch).subresource("status");
        run(&rec, StorageRequest::new(ctx).with_body(json!({})).with_old(json!({})));
        assert_eq!(rec.calls(), ["validate_status_update", "warnings_on_update"]);
    }

    #[test]
    fn ill_typed_metadata_is_rejected_before_the_strategy_sees_it() {
        let rec = Arc::new(Recorder::default());
        let body = json!({"metadata": {"name": "w", "namespace": "ns", "ownerReferences": "x"}});
        let res = run(&rec, StorageRequest::new(RequestContext::new(Verb::Create)).with_body(body));
        assert_eq!(res.code, 422);
        assert!(rec.calls().is_empty());
        assert_eq!(
            res.as_error().unwrap().message(),
            "Widget.example.dev \"w\" is invalid: metadata.ownerReferences: Invalid value: \"string\": \
             metadata.ownerReferences in body must be of type array: \"string\""
        );
    }

    #[test]
    fn a_create_without_a_name_or_namespace_fails_the_common_metadata_rules() {
        let rec = Arc::new(Recorder::default());
        let res = run(&rec, StorageRequest::new(RequestContext::new(Verb::Create)).with_body(json!({})));
        assert_eq!(
            res.as_error().unwrap().message(),
            "Widget.example.dev \"\" is invalid: [metadata.name: Required value: name or generateName is required, \
             metadata.namespace: Required value]"
        );
        assert_eq!(rec.calls(), ["validate"]);
    }

    #[test]
    fn a_strategy_applied_by_storage_leaves_validation_to_storage() {
        let rec = Arc::new(Recorder::applied_by_storage());
        let req = StorageRequest::new(RequestContext::new(Verb::Create)).with_body(json!({"invalid": "x"}));
        assert_eq!(run(&rec, req).code, 201);
        assert!(rec.calls().is_empty());
    }

    #[test]
    fn names_follow_the_strategy_name_rule() {
        #[derive(Debug)]
        struct Namespaces;
        impl Strategy for Namespaces {
            fn group(&self) -> &str {
                ""
            }
            fn kind(&self) -> &str {
                "Namespace"
            }
            fn resource(&self) -> &str {
                "namespaces"
            }
            fn namespace_scoped(&self) -> bool {
                false
            }
            fn name_rule(&self) -> crate::object_meta::NameRule {
                crate::object_meta::names::dns1123_label_name
            }
        }
        let svc = ServiceBuilder::new().layer(ValidationLayer::new(Arc::new(Namespaces))).service_fn(echo);
        let req = StorageRequest::new(RequestContext::new(Verb::Create))
            .with_body(json!({"metadata": {"name": "a.b"}}));
        let res = block_on(svc.oneshot(req)).unwrap();
        assert_eq!(
            res.as_error().unwrap().message(),
            "Namespace \"a.b\" is invalid: metadata.name: Invalid value: \"a.b\": must not contain dots"
        );
        let rec = Arc::new(Recorder::default());
        let req = StorageRequest::new(RequestContext::new(Verb::Create))
            .with_body(json!({"metadata": {"name": "a.b", "namespace": "ns"}}));
        assert_eq!(run(&rec, req).code, 201, "the default rule only asks for a path segment");
    }

    #[test]
    fn reads_are_not_validated() {
        let rec = Arc::new(Recorder::default());
        assert_eq!(run(&rec, StorageRequest::new(RequestContext::new(Verb::Get))).code, 200);
        assert!(rec.calls().is_empty());
    }
}
