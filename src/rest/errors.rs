//! [`RestError`]: what REST storage fails with, and the one mapping of each failure to the API
//! error it means ([`IntoApiError`]). The `ErrorTranslation` layer above the storage calls that
//! mapping and logs the failure; nothing here logs.

use porch_layers::{ApiError, IntoApiError};

use crate::crdstore::StoreError;
use crate::error_chain::with_causes;

/// A failed REST storage call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum RestError {
    /// The answer is already decided (a client mistake found by the storage itself).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The embedded CR store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The task serving the request panicked or was cancelled.
    #[error("failed to run the storage call to completion")]
    Panicked(#[source] tokio::task::JoinError),
}

impl IntoApiError for RestError {
    fn api_error(&self) -> Option<ApiError> {
        Some(match self {
            Self::Api(api) => api.clone(),
            Self::Store(e) => store_error(e),
            Self::Panicked(_) => ApiError::internal("the server failed while handling the request"),
        })
    }

    /// The whole cause chain (free of secrets: every error below scrubs its own text).
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
