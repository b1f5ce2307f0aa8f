//! Failures of the layers below the engine as API errors (apiserver's `InterpretCreateError`
//! and friends): cache, registry, metadata and engine errors become statuses naming the
//! resource and object; nothing internal leaks beyond a cause chain already free of secrets.

use porch_api::gvk::ResourceInfo;
use porch_layers::ApiError;

use crate::cache::{CacheError, ErrorKind};
use crate::engine::EngineError;
use crate::engine::metadata::MetadataError;
use crate::engine::registry::OpenError;
use crate::error_chain::with_causes;

/// A Repository that cannot be opened: 503, so clients retry, with the cause chain.
pub(crate) fn open_error(e: &OpenError) -> ApiError {
    ApiError::unavailable(with_causes(e))
}

/// A cache failure on object `name` of `info`.
pub(crate) fn cache_error(e: &CacheError, info: &ResourceInfo, name: &str) -> ApiError {
    match e.kind() {
        ErrorKind::AlreadyExists => ApiError::conflict(info.group, info.plural, name, &e.to_string()),
        ErrorKind::NotFound => ApiError::not_found(info.group, info.plural, name),
        ErrorKind::Invalid => ApiError::conflict(info.group, info.plural, name, &with_causes(e)),
        ErrorKind::Conflict => {
            ApiError::optimistic_lock(info.group, info.plural, name, Some(&with_causes(e)))
        }
        ErrorKind::Closed => ApiError::new(404, "NotFound", e.to_string()),
        ErrorKind::Internal => ApiError::unavailable(with_causes(e)),
    }
}

/// A metadata failure: the API's own answer for 4xx, 503 otherwise.
pub(crate) fn metadata_error(e: &MetadataError) -> ApiError {
    match e {
        MetadataError::NotReady => ApiError::unavailable(e.to_string()),
        MetadataError::Api { source, .. } => kube_error(source),
    }
}

/// A kube client error: the server's Status for API errors, 503 for transport failures.
pub(crate) fn kube_error(e: &kube::Error) -> ApiError {
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

/// An engine failure on object `name` of `info`.
pub(crate) fn engine_error(e: &EngineError, info: &ResourceInfo, name: &str) -> ApiError {
    e.to_api_error(info, name)
}

/// A closure mapping a cache error on `name` of `info`.
pub(crate) fn on_cache<'a>(info: &'a ResourceInfo, name: &'a str) -> impl Fn(CacheError) -> ApiError + 'a {
    move |e| cache_error(&e, info, name)
}

/// A closure mapping an engine error on `name` of `info`.
pub(crate) fn on_engine<'a>(info: &'a ResourceInfo, name: &'a str) -> impl Fn(EngineError) -> ApiError + 'a {
    move |e| engine_error(&e, info, name)
}
