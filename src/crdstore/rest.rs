//! The store served as REST storage (standalone mode): Repository, PackageRev, Secret and
//! Namespace, one [`StoreStorage`] per kind, wrapped by the same layers as the porch.kpt.dev
//! resources (`server/resource_stack.rs`). Only `app.rs` and the server's wiring know it.
//!
//! Thin by design: the store already has Kubernetes semantics, and applies each kind's
//! [`Strategy`](porch_layers::Strategy) itself, under its writer lock (the strategies say
//! [`applied_by_storage`](porch_layers::Strategy::applied_by_storage), so the write layers above
//! leave them alone). This module maps a [`StorageRequest`] to a store call and turns the
//! store's neutral [`StoreError`]s into the API errors kube-apiserver answers
//! ([`StoreCallError`], which the `ErrorTranslation` layer translates and logs).

use crate::crdstore::{
    self, ListOptions, SharedListPage, Store, StoreError, StoredKind, WatchOptions, WriteOptions,
};
use crate::error_chain::with_causes;
use futures::StreamExt;
use futures::future::BoxFuture;
use porch_layers::request::{check_send_initial_events, list_metadata};
use porch_layers::{ApiError, EncodedChunk, IntoApiError, ObjectList, StorageRequest, StorageResponse, Verb};
use std::sync::Arc;
use std::task::{Context, Poll};

/// A failed call of the store's REST storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum StoreCallError {
    /// The answer is already decided (a client mistake found before the store was called).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoApiError for StoreCallError {
    fn api_error(&self) -> Option<ApiError> {
        Some(match self {
            Self::Api(api) => api.clone(),
            Self::Store(e) => store_error(e),
        })
    }

    /// The whole cause chain (free of secrets: the store's errors name objects, never data).
    fn detail(&self) -> String {
        with_causes(self)
    }
}

/// The API error kube-apiserver would answer for a store error.
pub(crate) fn store_error(err: &StoreError) -> ApiError {
    match err {
        StoreError::NotFound { kind, name } => ApiError::not_found(kind.group(), kind.plural(), name),
        StoreError::AlreadyExists { kind, name } => {
            ApiError::already_exists(kind.group(), kind.plural(), name)
        }
        StoreError::Conflict { kind, name } => {
            ApiError::optimistic_lock(kind.group(), kind.plural(), name, None)
        }
        StoreError::Invalid { kind, name, causes } => {
            ApiError::invalid(kind.group(), kind.kind(), name, causes)
        }
        StoreError::BadRequest(message) => ApiError::bad_request(message.clone()),
        StoreError::ResourceVersion(unservable) => (*unservable).into(),
        StoreError::NamespaceNotFound(ns) => ApiError::not_found("", "namespaces", ns),
        StoreError::NamespaceTerminating(ns) => ApiError::forbidden(
            "",
            "namespaces",
            ns,
            &format!("unable to create new content in namespace {ns} because it is being terminated"),
        ),
        StoreError::ImmortalNamespace(ns) => {
            ApiError::forbidden("", "namespaces", ns, "this namespace may not be deleted")
        }
        _ => ApiError::internal("the object store failed; see the server log"),
    }
}

/// The REST storage of one stored kind: a `tower::Service<StorageRequest>` over the store.
#[derive(Clone, Debug)]
pub(crate) struct StoreStorage {
    store: Store,
    kind: StoredKind,
}

impl StoreStorage {
    /// Storage of `kind` over `store`.
    pub(crate) fn new(store: Store, kind: StoredKind) -> Self {
        Self { store, kind }
    }
}

impl tower::Service<StorageRequest> for StoreStorage {
    type Response = StorageResponse;
    type Error = StoreCallError;
    type Future = BoxFuture<'static, Result<StorageResponse, StoreCallError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), StoreCallError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: StorageRequest) -> Self::Future {
        Box::pin(serve(self.store.clone(), self.kind, req))
    }
}

/// The store's list options of a request (`limit: None` lists everything).
fn list_options(req: &StorageRequest, limit: Option<u64>) -> ListOptions {
    ListOptions {
        label_selector: req.list.label_selector.clone(),
        field_selector: req.list.field_selector.clone(),
        limit: limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX)),
        continue_token: req.list.continue_token.clone(),
        read_at: req.list.read_at,
    }
}

/// A list of `kind` with `metadata`.
fn list(
    kind: StoredKind,
    metadata: serde_json::Value,
    items: Vec<Arc<serde_json::Value>>,
) -> StorageResponse {
    StorageResponse::list(ObjectList::new(
        kind.api_version(),
        format!("{}List", kind.kind()),
        metadata,
        items,
    ))
}

/// A list of `kind` with `metadata` whose items are the store's encodings (the body is written
/// from them).
fn encoded_list(kind: StoredKind, metadata: serde_json::Value, items: Vec<bytes::Bytes>) -> StorageResponse {
    let chunks =
        items.into_iter().map(|json| EncodedChunk { count: 1, json, rows: Arc::default() }).collect();
    StorageResponse::list(ObjectList::encoded(
        kind.api_version(),
        format!("{}List", kind.kind()),
        metadata,
        chunks,
    ))
}

async fn serve(
    store: Store,
    kind: StoredKind,
    req: StorageRequest,
) -> Result<StorageResponse, StoreCallError> {
    let ctx = &req.ctx;
    let ns = ctx.namespace.as_deref();
    let name = ctx.name.as_deref().unwrap_or_default();
    let write = WriteOptions { dry_run: ctx.dry_run };
    let delete = crdstore::DeleteOptions {
        dry_run: ctx.dry_run,
        precondition_uid: req.delete.precondition_uid.clone(),
        precondition_resource_version: req.delete.precondition_resource_version.clone(),
    };
    match ctx.verb {
        Verb::Get => {
            crate::freshness::settle(req.list.read_at, || store.resource_version())
                .await
                .map_err(ApiError::from)?;
            Ok(StorageResponse::ok(store.get(kind, ns, name).await?))
        }
        Verb::List => {
            let page = store.list_shared(kind, ns, &list_options(&req, req.list.limit)).await?;
            let SharedListPage { items, resource_version, continue_token, remaining_item_count } = page;
            Ok(encoded_list(
                kind,
                list_metadata(resource_version, continue_token.as_deref(), remaining_item_count),
                items,
            ))
        }
        Verb::Watch => {
            let l = &req.list;
            check_send_initial_events(l.send_initial_events, l.resource_version_match.as_deref())?;
            let options = WatchOptions {
                resource_version: l.resource_version.clone(),
                send_initial_events: l.send_initial_events,
                allow_bookmarks: l.allow_watch_bookmarks,
                label_selector: l.label_selector.clone(),
                field_selector: l.field_selector.clone(),
            };
            Ok(StorageResponse::watch(store.watch(kind, ns, options)?.boxed()))
        }
        Verb::Create => {
            let obj = req.body.ok_or_else(|| ApiError::bad_request("the request has no body"))?;
            Ok(StorageResponse::created(store.create(kind, obj, &write).await?))
        }
        Verb::Update | Verb::Patch => {
            let obj = req.body.ok_or_else(|| ApiError::bad_request("the request has no body"))?;
            let stored = if req.old.is_none() && !ctx.is_status() {
                // An update or server-side apply of an object that does not exist is a create.
                return Ok(StorageResponse::created(store.create(kind, obj, &write).await?));
            } else if ctx.is_status() {
                store.update_status(kind, obj, &write).await
            } else {
                store.update(kind, obj, &write).await
            };
            Ok(StorageResponse::ok(stored?))
        }
        Verb::Delete => Ok(StorageResponse::ok(store.delete(kind, ns, name, &delete).await?)),
        Verb::DeleteCollection => {
            let page = store.list(kind, ns, &list_options(&req, None)).await?;
            let mut deleted = Vec::with_capacity(page.items.len());
            for item in &page.items {
                let name = item.pointer("/metadata/name").and_then(serde_json::Value::as_str).unwrap_or("");
                let ns = item.pointer("/metadata/namespace").and_then(serde_json::Value::as_str);
                match store.delete(kind, ns, name, &delete).await {
                    Ok(obj) => deleted.push(Arc::new(obj)),
                    Err(StoreError::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            let metadata = serde_json::json!({"resourceVersion": store.resource_version().to_string()});
            Ok(list(kind, metadata, deleted))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_store_failure_reveals_nothing_but_logs_its_causes() {
        let e = StoreCallError::from(StoreError::Storage(std::sync::Arc::new(std::io::Error::other(
            "disk /var/x",
        ))));
        let api = e.api_error().unwrap();
        assert_eq!(api.message(), "Internal error occurred: the object store failed; see the server log");
        assert!(e.detail().contains("disk /var/x"), "{}", e.detail());
    }
}
