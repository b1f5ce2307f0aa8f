//! Engine operation metrics, through the `metrics` facade (rendered on `/metrics`):
//!
//! - `porch_engine_operation_duration_seconds{operation, outcome}`: one call of a porch.kpt.dev
//!   resource's REST storage into the package engine, from the storage call (after admission and
//!   validation) to its answer (before it is encoded). A write is timed to its end even when its
//!   client went away. `outcome` is `success` or the reason of the failure's Status
//!   (`NotFound`, `Conflict`, `InternalError`, `ServiceUnavailable`, …). `operation`:
//!   - PackageRevisions: `get`, `list`, `watch`, `create`, `delete`, and for updates the
//!     lifecycle change they make — `propose` (Draft → Proposed), `approve` (Proposed →
//!     Published), `reject` (Proposed → Draft), `propose-delete` (Published →
//!     DeletionProposed), `reject-delete` (DeletionProposed → Published) — else `update`;
//!   - PackageRevisionResources: `get-resources`, `list-resources`, `watch-resources` and
//!     `update-resources` (the render it runs included);
//!   - PorchPackages: `get-package`, `list-packages`, `watch-packages`;
//!   - a verb the resource does not serve: `unsupported`.
//!
//! Each call runs in a span, `engine`, with the field `operation`: a child of the request's span,
//! and the parent of the git and render spans of the call.

use std::future::Future;
use std::time::Instant;

use porch_api::gvk::{PACKAGE_REVISION, PACKAGE_REVISION_RESOURCES, PORCH_PACKAGE, ResourceInfo};
use porch_layers::{IntoApiError, StorageRequest, Verb};

use super::errors::RestError;
use super::packagerevisions::APPROVAL;

/// The histogram of engine operations.
pub(crate) const OPERATION_DURATION: &str = "porch_engine_operation_duration_seconds";

/// The operation `req` asks of the engine through the storage of `resource`.
pub(crate) fn operation(resource: &ResourceInfo, req: &StorageRequest) -> &'static str {
    let verb = req.ctx.verb;
    if resource.plural == PACKAGE_REVISION.plural {
        let approval = req.ctx.subresource.as_deref() == Some(APPROVAL);
        return match verb {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Delete => "delete",
            Verb::Create => "create",
            Verb::Update | Verb::Patch if req.old.is_none() && !approval => "create",
            Verb::Update | Verb::Patch => lifecycle_change(req),
            Verb::DeleteCollection => "unsupported",
        };
    }
    if resource.plural == PACKAGE_REVISION_RESOURCES.plural {
        return match verb {
            Verb::Get => "get-resources",
            Verb::List => "list-resources",
            Verb::Watch => "watch-resources",
            Verb::Update | Verb::Patch => "update-resources",
            _ => "unsupported",
        };
    }
    if resource.plural == PORCH_PACKAGE.plural {
        return match verb {
            Verb::Get => "get-package",
            Verb::List => "list-packages",
            Verb::Watch => "watch-packages",
            _ => "unsupported",
        };
    }
    "unsupported"
}

/// The lifecycle change an update of a PackageRevision asks for, or `update`.
fn lifecycle_change(req: &StorageRequest) -> &'static str {
    match (lifecycle(req.old.as_ref()), lifecycle(req.body.as_ref())) {
        ("Draft", "Proposed") => "propose",
        ("Proposed", "Published") => "approve",
        ("Proposed", "Draft") => "reject",
        ("Published", "DeletionProposed") => "propose-delete",
        ("DeletionProposed", "Published") => "reject-delete",
        _ => "update",
    }
}

/// The span of one engine call.
pub(crate) fn span(operation: &'static str) -> tracing::Span {
    tracing::info_span!("engine", operation)
}

/// The `spec.lifecycle` of a PackageRevision object (unset: `Draft`).
fn lifecycle(obj: Option<&serde_json::Value>) -> &str {
    obj.and_then(|o| o.pointer("/spec/lifecycle")).and_then(serde_json::Value::as_str).unwrap_or("Draft")
}

/// Runs `call`, the engine's answer to `operation`, and records its duration and outcome.
pub(crate) async fn timed<T>(
    operation: &'static str,
    call: impl Future<Output = Result<T, RestError>>,
) -> Result<T, RestError> {
    let started = Instant::now();
    let result = call.await;
    let outcome = match &result {
        Ok(_) => "success",
        Err(e) => e.api_error().map_or("Unknown", |api| api.reason()),
    };
    let outcome = if outcome.is_empty() { "Unknown" } else { outcome };
    metrics::histogram!(OPERATION_DURATION, "operation" => operation, "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use porch_layers::{ApiError, RequestContext};
    use serde_json::json;

    fn update(subresource: Option<&str>, old: &str, new: &str) -> StorageRequest {
        let mut ctx = RequestContext::new(Verb::Update);
        ctx.subresource = subresource.map(str::to_string);
        let mut req = StorageRequest::new(ctx).with_body(json!({"spec": {"lifecycle": new}}));
        req.old = Some(json!({"spec": {"lifecycle": old}}));
        req
    }

    #[test]
    fn updates_are_named_by_the_lifecycle_change_they_make() {
        let pr = &PACKAGE_REVISION;
        assert_eq!(operation(pr, &update(None, "Draft", "Proposed")), "propose");
        assert_eq!(operation(pr, &update(Some(APPROVAL), "Proposed", "Published")), "approve");
        assert_eq!(operation(pr, &update(Some(APPROVAL), "Proposed", "Draft")), "reject");
        assert_eq!(operation(pr, &update(None, "Published", "DeletionProposed")), "propose-delete");
        assert_eq!(operation(pr, &update(Some(APPROVAL), "DeletionProposed", "Published")), "reject-delete");
        assert_eq!(operation(pr, &update(None, "Draft", "Draft")), "update");
        let mut apply = update(None, "Draft", "Draft");
        apply.old = None;
        assert_eq!(operation(pr, &apply), "create", "an update of nothing creates");
        assert_eq!(
            operation(&PACKAGE_REVISION_RESOURCES, &update(None, "Draft", "Draft")),
            "update-resources"
        );
        let get = StorageRequest::new(RequestContext::new(Verb::Get));
        assert_eq!(operation(&PORCH_PACKAGE, &get), "get-package");
        let create = StorageRequest::new(RequestContext::new(Verb::Create));
        assert_eq!(operation(&PORCH_PACKAGE, &create), "unsupported");
    }

    #[tokio::test]
    async fn operations_are_timed_with_their_outcome() {
        let handle = crate::metrics::test_recorder();
        let name = OPERATION_DURATION;
        let count = |outcome| {
            let text = handle.render();
            crate::metrics::sample(
                &text,
                &format!("{name}_count"),
                &[("operation", "test-operation"), ("outcome", outcome)],
            )
            .unwrap_or(0.0)
        };
        let (ok, conflict) = (count("success"), count("Conflict"));
        timed("test-operation", async { Ok::<_, RestError>(()) }).await.unwrap();
        let refused = ApiError::conflict("porch.kpt.dev", "packagerevisions", "r.p.ws", "busy");
        timed::<()>("test-operation", async move { Err(refused.into()) }).await.unwrap_err();
        assert_eq!((count("success"), count("Conflict")), (ok + 1.0, conflict + 1.0));
    }
}
