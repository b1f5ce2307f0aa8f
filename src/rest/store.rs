//! REST storage for the resources of the embedded CR store (standalone mode): Repository,
//! PackageRev, Secret and Namespace.
//!
//! Thin by design: the store already has Kubernetes semantics; this module parses selectors and
//! turns the store's neutral [`StoreError`]s into `Status` errors naming the resource.

use crate::crdstore::{
    DeleteOptions, ListOptions, SharedListPage, Store, StoreError, StoredKind, WatchEvent, WatchOptions,
    WriteOptions,
};
use futures::Stream;
use porch_layers::request::ReadAt;
use porch_layers::status::OPTIMISTIC_LOCK_MESSAGE;
use porch_layers::{ApiError, FieldSelector, LabelSelector};
use serde_json::Value;

/// Translates a store error into the API error kube-apiserver would answer.
pub(crate) fn interpret(err: StoreError) -> ApiError {
    match err {
        StoreError::NotFound { kind, name } => ApiError::not_found(kind.group(), kind.plural(), &name),
        StoreError::AlreadyExists { kind, name } => {
            ApiError::already_exists(kind.group(), kind.plural(), &name)
        }
        StoreError::Conflict { kind, name } => {
            ApiError::conflict(kind.group(), kind.plural(), &name, OPTIMISTIC_LOCK_MESSAGE)
        }
        StoreError::Invalid { kind, name, causes } => {
            ApiError::invalid(kind.group(), kind.kind(), &name, &causes)
        }
        StoreError::BadRequest(message) => ApiError::bad_request(message),
        StoreError::ResourceVersion(unservable) => unservable.into(),
        StoreError::NamespaceNotFound(ns) => ApiError::not_found("", "namespaces", &ns),
        StoreError::NamespaceTerminating(ns) => ApiError::forbidden(
            "",
            "namespaces",
            &ns,
            &format!("unable to create new content in namespace {ns} because it is being terminated"),
        ),
        StoreError::ImmortalNamespace(ns) => {
            ApiError::forbidden("", "namespaces", &ns, "this namespace may not be deleted")
        }
        e => {
            tracing::error!(error = %e.with_causes(), "store failure");
            ApiError::internal("the object store failed; see the server log")
        }
    }
}

/// Parses the label and field selectors of a list or watch.
pub(crate) fn selectors(
    label: Option<&str>,
    field: Option<&str>,
) -> Result<(Option<LabelSelector>, Option<FieldSelector>), ApiError> {
    let label = label
        .map(LabelSelector::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
    let field = field
        .map(FieldSelector::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("invalid field selector: {e}")))?;
    Ok((label, field))
}

/// The REST verbs of one stored kind.
#[derive(Clone, Debug)]
pub(crate) struct StoreRest {
    store: Store,
}

impl StoreRest {
    /// REST storage over `store`.
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    /// The current server-wide resourceVersion.
    pub(crate) fn resource_version(&self) -> u64 {
        self.store.resource_version()
    }

    /// GET one object.
    pub(crate) async fn get(
        &self,
        kind: StoredKind,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        self.store.get(kind, ns, name).await.map_err(interpret)
    }

    /// GET one object as of `read_at`: a resourceVersion not reached yet is waited for (briefly),
    /// then 504 "Too large resource version".
    pub(crate) async fn get_at(
        &self,
        kind: StoredKind,
        ns: Option<&str>,
        name: &str,
        read_at: ReadAt,
    ) -> Result<Value, ApiError> {
        crate::freshness::settle(read_at, || self.store.resource_version()).await?;
        self.get(kind, ns, name).await
    }

    /// LIST, one page; items are shared with the store, not copied.
    pub(crate) async fn list(
        &self,
        kind: StoredKind,
        ns: Option<&str>,
        options: &ListOptions,
    ) -> Result<SharedListPage, ApiError> {
        self.store.list_shared(kind, ns, options).await.map_err(interpret)
    }

    /// WATCH from the options' resourceVersion.
    pub(crate) fn watch(
        &self,
        kind: StoredKind,
        ns: Option<&str>,
        options: WatchOptions,
    ) -> Result<impl Stream<Item = WatchEvent> + Send + 'static + use<>, ApiError> {
        self.store.watch(kind, ns, options).map_err(interpret)
    }

    /// CREATE.
    pub(crate) async fn create(
        &self,
        kind: StoredKind,
        obj: Value,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        self.store.create(kind, obj, &WriteOptions { dry_run }).await.map_err(interpret)
    }

    /// UPDATE of the main resource, or of `status` when `status` is true.
    pub(crate) async fn update(
        &self,
        kind: StoredKind,
        obj: Value,
        status: bool,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let options = WriteOptions { dry_run };
        let result = if status {
            self.store.update_status(kind, obj, &options).await
        } else {
            self.store.update(kind, obj, &options).await
        };
        result.map_err(interpret)
    }

    /// DELETE; the object is returned, gone or (with finalizers) terminating.
    pub(crate) async fn delete(
        &self,
        kind: StoredKind,
        ns: Option<&str>,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Value, ApiError> {
        self.store.delete(kind, ns, name, options).await.map_err(interpret)
    }
}
