//! [`RestError`]: what REST storage fails with, and the one mapping of each failure to the API
//! error it means ([`IntoApiError`]). The `ErrorTranslation` layer above the storage calls that
//! mapping and logs the failure; nothing here logs.

use porch_api::gvk::ResourceInfo;
use porch_layers::{ApiError, IntoApiError};

use crate::cache::{CacheError, ErrorKind};
use crate::engine::EngineError;
use crate::engine::service::ServiceError;
use crate::error_chain::with_causes;
use crate::metadata::MetadataError;

/// A failed REST storage call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum RestError {
    /// The answer is already decided (a client mistake found by the storage itself).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The package engine failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The task serving the request panicked or was cancelled.
    #[error("failed to run the storage call to completion")]
    Panicked(#[source] tokio::task::JoinError),
}

impl IntoApiError for RestError {
    fn api_error(&self) -> Option<ApiError> {
        Some(match self {
            Self::Api(api) => api.clone(),
            Self::Service(e) => service_error(e),
            Self::Panicked(_) => ApiError::internal("the server failed while handling the request"),
        })
    }

    /// The whole cause chain (free of secrets: every error below scrubs its own text).
    fn detail(&self) -> String {
        with_causes(self)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        service_error(&e)
    }
}

/// The API error Porch answers for an engine failure (apiserver's `InterpretCreateError` and
/// friends): statuses naming the resource and object; nothing internal leaks beyond a cause
/// chain already free of secrets.
pub(crate) fn service_error(e: &ServiceError) -> ApiError {
    match e {
        ServiceError::NotFound { resource, name } => {
            ApiError::not_found(resource.group, resource.plural, name)
        }
        ServiceError::NamespaceClosed { namespace, terminating: false } => {
            ApiError::not_found("", "namespaces", namespace)
        }
        ServiceError::NamespaceClosed { namespace, terminating: true } => ApiError::forbidden(
            "",
            "namespaces",
            namespace,
            &format!("unable to create new content in namespace {namespace} because it is being terminated"),
        ),
        ServiceError::Conflict { resource, name, reason } => {
            ApiError::conflict(resource.group, resource.plural, name, reason)
        }
        ServiceError::Stale { resource, name } => {
            ApiError::optimistic_lock(resource.group, resource.plural, name, None)
        }
        ServiceError::UndecodableRepository { namespace, name, reason } => ApiError::unavailable(format!(
            "repository {namespace}/{name} cannot be served: the stored object does not decode: {reason}"
        )),
        ServiceError::Engine { resource, name, source, .. } => engine_error(source, resource, name),
        ServiceError::Cache { resource, name, source, .. } => cache_error(source, resource, name),
        // A Repository that cannot be opened, a mirror that cannot be read: 503, so clients
        // retry, with the cause chain.
        ServiceError::Git { source, .. } => ApiError::unavailable(with_causes(source)),
        ServiceError::Open(source) => ApiError::unavailable(with_causes(source)),
        ServiceError::Metadata(source) => metadata_error(source),
        ServiceError::Kube(source) => kube_error(source),
        ServiceError::ResourceVersion(unservable) => (*unservable).into(),
    }
}

/// An engine rule's verdict on object `name` of `resource`: 422 with causes, 403
/// `<plural>.<group> "<name>" is forbidden: <why>`, 400 with the message, 500 otherwise.
pub(crate) fn engine_error(e: &EngineError, resource: &ResourceInfo, name: &str) -> ApiError {
    match e {
        EngineError::Invalid { causes } => ApiError::invalid(resource.group, resource.kind, name, causes),
        EngineError::Forbidden { why } => ApiError::forbidden(resource.group, resource.plural, name, why),
        EngineError::BadRequest { message } | EngineError::RenderFailed { message, .. } => {
            ApiError::bad_request(message.clone())
        }
        EngineError::Internal { message } => ApiError::internal(message),
    }
}

/// A cache failure on object `name` of `resource`.
fn cache_error(e: &CacheError, resource: &ResourceInfo, name: &str) -> ApiError {
    let (group, plural) = (resource.group, resource.plural);
    match e.kind() {
        ErrorKind::AlreadyExists => ApiError::conflict(group, plural, name, &e.to_string()),
        ErrorKind::NotFound => ApiError::not_found(group, plural, name),
        ErrorKind::Invalid => ApiError::conflict(group, plural, name, &with_causes(e)),
        ErrorKind::Conflict => ApiError::optimistic_lock(group, plural, name, Some(&with_causes(e))),
        ErrorKind::Closed => ApiError::new(404, "NotFound", e.to_string()),
        ErrorKind::Internal => ApiError::unavailable(with_causes(e)),
    }
}

/// A metadata failure: the API's own answer for 4xx, 503 otherwise.
fn metadata_error(e: &MetadataError) -> ApiError {
    match e {
        MetadataError::NotReady => ApiError::unavailable(e.to_string()),
        MetadataError::Api { source, .. } => kube_error(source),
    }
}

/// A kube client error: the server's Status for API errors, 503 for transport failures.
fn kube_error(e: &kube::Error) -> ApiError {
    match e {
        kube::Error::Api(status) if (400..500).contains(&status.code) => {
            ApiError::new(status.code, static_reason(&status.reason), status.message.clone())
        }
        other => ApiError::unavailable(with_causes(other)),
    }
}

/// The `reason` strings a Status may carry, as `'static` values.
fn static_reason(reason: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "AlreadyExists",
        "Conflict",
        "Gone",
        "Invalid",
        "Expired",
        "MethodNotAllowed",
        "NotAcceptable",
        "RequestEntityTooLarge",
        "UnsupportedMediaType",
        "TooManyRequests",
    ];
    KNOWN.iter().find(|k| **k == reason).copied().unwrap_or("BadRequest")
}

#[cfg(test)]
mod tests {
    use porch_api::gvk::PACKAGE_REVISION;

    use super::*;
    use porch_layers::FieldCause;

    #[test]
    fn forbidden_becomes_a_403_naming_the_qualified_resource() {
        let e = EngineError::forbidden("no");
        let api = engine_error(&e, &PACKAGE_REVISION, "r.p.ws");
        assert_eq!(api.code(), 403);
        assert_eq!(api.message(), "packagerevisions.porch.kpt.dev \"r.p.ws\" is forbidden: no");
    }

    #[test]
    fn invalid_becomes_a_422_with_field_causes() {
        let e = EngineError::invalid(FieldCause::invalid("spec.tasks", "too many"));
        assert_eq!(e.to_string(), "too many");
        let api = engine_error(&e, &PACKAGE_REVISION, "r.p.ws");
        assert_eq!(api.code(), 422);
        assert_eq!(
            api.message(),
            "PackageRevision.porch.kpt.dev \"r.p.ws\" is invalid: spec.tasks: Invalid value: too many"
        );
    }

    #[test]
    fn bad_request_and_internal_keep_the_message() {
        assert_eq!(engine_error(&EngineError::bad_request("x"), &PACKAGE_REVISION, "n").code(), 400);
        let internal = engine_error(&EngineError::internal("boom"), &PACKAGE_REVISION, "n");
        assert_eq!(internal.message(), "Internal error occurred: boom");
    }

    #[test]
    fn a_stale_write_is_an_optimistic_lock_conflict_known_by_its_type() {
        let e = ServiceError::Stale { resource: &PACKAGE_REVISION, name: "r.p.ws".into() };
        let api = ApiError::from(e);
        assert_eq!(api.code(), 409);
        assert!(api.is_optimistic_lock());
        let busy = ApiError::from(ServiceError::conflict(&PACKAGE_REVISION, "r.p.ws", "busy"));
        assert_eq!((busy.code(), busy.is_optimistic_lock()), (409, false));
    }

    #[test]
    fn service_errors_name_the_resource_and_object() {
        let e = ServiceError::not_found(&PACKAGE_REVISION, "r.p.ws");
        assert!(e.is_not_found());
        assert_eq!(ApiError::from(e).message(), "packagerevisions.porch.kpt.dev \"r.p.ws\" not found");
        let on_engine = ServiceError::on_engine("delete", &PACKAGE_REVISION, "r.p.ws");
        let e = on_engine(EngineError::forbidden("no"));
        assert_eq!(e.to_string(), "failed to delete packagerevisions \"r.p.ws\"");
        assert_eq!(
            RestError::from(e).api_error().map(|a| a.message().to_string()).as_deref(),
            Some("packagerevisions.porch.kpt.dev \"r.p.ws\" is forbidden: no")
        );
    }
}
