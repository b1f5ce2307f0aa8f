//! What the REST storage of the porch.kpt.dev resources shares: the caller of a request,
//! typed bodies, list options and the JSON responses.

use futures::future::BoxFuture;
use porch_api::gvk::ResourceInfo;
use porch_layers::request::{check_send_initial_events, list_metadata};
use porch_layers::{ApiError, ObjectList, RequestContext, StorageRequest, StorageResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use tracing::Instrument;

use super::errors::RestError;
use super::list::{EncodedPage, ListOptions, Listed, labels_match};
use super::metrics;
use crate::cache::watch::{Matcher, WatchRequest};
use crate::engine::filter::{RevisionFilter, Target};
use crate::engine::service::{Caller, Engine};

/// The future of every engine-backed storage call.
pub(crate) type StorageFuture = BoxFuture<'static, Result<StorageResponse, RestError>>;

/// The REST storage of one engine-backed resource: `serve` answers one request. Each call runs
/// as its own task, so that a client that goes away mid-request cannot cancel a write between
/// its git push and the cache update (the write completes; only the answer is lost).
#[derive(Clone)]
pub(crate) struct EngineStorage {
    engine: Engine,
    resource: &'static ResourceInfo,
    serve: fn(Engine, StorageRequest) -> StorageFuture,
}

impl std::fmt::Debug for EngineStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineStorage").finish_non_exhaustive()
    }
}

impl EngineStorage {
    /// Storage of `resource` answering with `serve` over `engine`.
    pub(crate) fn new(
        engine: Engine,
        resource: &'static ResourceInfo,
        serve: fn(Engine, StorageRequest) -> StorageFuture,
    ) -> Self {
        Self { engine, resource, serve }
    }
}

impl tower::Service<StorageRequest> for EngineStorage {
    type Response = StorageResponse;
    type Error = RestError;
    type Future = BoxFuture<'static, Result<StorageResponse, RestError>>;

    fn poll_ready(&mut self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), RestError>> {
        std::task::Poll::Ready(Ok(()))
    }

    /// Each call is timed and runs in its span (`metrics.rs`).
    fn call(&mut self, req: StorageRequest) -> Self::Future {
        let operation = metrics::operation(self.resource, &req);
        let call = metrics::timed(operation, (self.serve)(self.engine.clone(), req));
        let task = tokio::spawn(call.instrument(metrics::span(operation)));
        Box::pin(async move {
            match task.await {
                Ok(answer) => answer,
                Err(e) => Err(RestError::Panicked(e)),
            }
        })
    }
}

/// The engine's view of who asks.
pub(crate) fn caller(ctx: &RequestContext) -> Caller {
    Caller {
        namespace: ctx.namespace.clone().unwrap_or_default(),
        user: (!ctx.user.username.is_empty()).then(|| ctx.user.username.clone()),
        dry_run: ctx.dry_run,
    }
}

/// The request object as `T`; 400 when it does not have `T`'s shape.
pub(crate) fn decode<T: DeserializeOwned>(body: Option<Value>, info: &ResourceInfo) -> Result<T, ApiError> {
    let body = body.ok_or_else(|| ApiError::bad_request("the request has no body"))?;
    serde_json::from_value(body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not a valid {}: {e}", info.kind)))
}

/// An object as JSON.
pub(crate) fn to_json<T: Serialize>(object: &T) -> Result<Value, ApiError> {
    serde_json::to_value(object).map_err(ApiError::internal)
}

/// The name of the path, or 404 for a request without one.
pub(crate) fn name_of(ctx: &RequestContext) -> Result<String, ApiError> {
    ctx.name.clone().ok_or_else(ApiError::path_not_found)
}

/// The checked field selector of a list, for `target`'s fields; 400 with Porch's text when it
/// cannot be served.
pub(crate) fn filter(req: &StorageRequest, target: Target) -> Result<RevisionFilter, ApiError> {
    RevisionFilter::parse(req.list.field_selector.as_ref(), req.ctx.namespace.as_deref(), target)
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// The engine's list options of a request.
pub(crate) fn options<'a>(req: &'a StorageRequest, filter: &'a RevisionFilter) -> ListOptions<'a> {
    ListOptions {
        namespace: req.ctx.namespace.as_deref(),
        filter,
        labels: req.list.label_selector.as_ref(),
        limit: req.list.limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX)),
        continue_token: req.list.continue_token.as_deref(),
    }
}

/// A list response of typed objects at `resource_version` (read before listing, so that a watch
/// from it misses nothing the list did not show), with its skipped repositories as warnings.
pub(crate) fn list_response<T: Serialize>(
    info: &ResourceInfo,
    listed: Listed<T>,
    resource_version: u64,
) -> Result<StorageResponse, ApiError> {
    let items = listed.items.iter().map(|o| to_json(o).map(Arc::new)).collect::<Result<Vec<_>, _>>()?;
    let metadata = list_metadata(resource_version, listed.continue_token.as_deref(), listed.remaining);
    let mut response =
        StorageResponse::list(ObjectList::new(info.api_version, info.list_kind, metadata, items));
    response.warnings = listed.warnings;
    Ok(response)
}

/// A list response of objects kept encoded (the body is written from their encodings), at
/// `resource_version` (see [`list_response`]).
pub(crate) fn encoded_list_response(
    info: &ResourceInfo,
    page: EncodedPage,
    resource_version: u64,
) -> StorageResponse {
    let EncodedPage { chunks, continue_token, remaining, warnings } = page;
    let metadata = list_metadata(resource_version, continue_token.as_deref(), remaining);
    let mut response =
        StorageResponse::list(ObjectList::encoded(info.api_version, info.list_kind, metadata, chunks));
    response.warnings = warnings;
    response
}

/// The watch of a request: its namespace, its field and label selectors as one matcher over the
/// streamed objects, its resourceVersion and bookmark options.
///
/// # Errors
/// The selectors' 400s; 422 for `sendInitialEvents` without `resourceVersionMatch=NotOlderThan`.
pub(crate) fn watch_request(req: &StorageRequest, target: Target) -> Result<WatchRequest, ApiError> {
    let filter = filter(req, target)?;
    let list = &req.list;
    check_send_initial_events(list.send_initial_events, list.resource_version_match.as_deref())?;
    let labels = list.label_selector.clone().filter(|selector| !selector.is_empty());
    let matches = if filter.is_empty() && labels.is_none() {
        Matcher::all()
    } else {
        Matcher::new(move |obj: &Value| filter.matches_json(obj) && labels_match(labels.as_ref(), obj))
    };
    Ok(WatchRequest {
        namespace: req.ctx.namespace.clone(),
        matches,
        resource_version: list.resource_version.clone(),
        send_initial_events: list.send_initial_events,
        allow_bookmarks: list.allow_watch_bookmarks,
    })
}
