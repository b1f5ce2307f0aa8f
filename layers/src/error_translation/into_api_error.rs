//! [`IntoApiError`]: how a failure says which API error it means.

use crate::request::StorageError;
use crate::status::ApiError;
use std::convert::Infallible;
use std::error::Error;

/// A failure that may carry an [`ApiError`]; the bound
/// [`ErrorTranslation`](crate::ErrorTranslation) puts on the error type of the service it wraps.
///
/// Implement it for a typed storage error (an enum of `NotFound`, `Conflict`, …) by mapping each
/// variant; return `None` for genuine internal failures, which become a generic 500. It must not
/// log: the layer logs what it cannot translate.
///
/// ```
/// use porch_layers::{ApiError, IntoApiError};
///
/// #[derive(Debug, thiserror::Error)]
/// enum WidgetError {
///     #[error("widget {0} not found")]
///     NotFound(String),
///     #[error("disk failed")]
///     Disk(#[source] std::io::Error),
/// }
///
/// impl IntoApiError for WidgetError {
///     fn api_error(&self) -> Option<ApiError> {
///         match self {
///             Self::NotFound(name) => Some(ApiError::not_found("example.dev", "widgets", name)),
///             Self::Disk(_) => None,
///         }
///     }
/// }
/// ```
pub trait IntoApiError: std::fmt::Display {
    /// The API error this failure means, or `None` when it is internal.
    fn api_error(&self) -> Option<ApiError>;

    /// The text logged for a failure that has no API error. Default: the `Display` text.
    fn detail(&self) -> String {
        self.to_string()
    }
}

impl IntoApiError for ApiError {
    fn api_error(&self) -> Option<ApiError> {
        Some(self.clone())
    }
}

impl IntoApiError for Infallible {
    fn api_error(&self) -> Option<ApiError> {
        match *self {}
    }
}

/// Any boxed error: the first [`ApiError`] in its cause chain.
impl IntoApiError for StorageError {
    fn api_error(&self) -> Option<ApiError> {
        api_error_in_chain(self.as_ref())
    }

    /// The whole cause chain, `outer: inner: innermost`.
    fn detail(&self) -> String {
        let mut text = self.to_string();
        let mut cause = self.source();
        while let Some(e) = cause {
            text.push_str(": ");
            text.push_str(&e.to_string());
            cause = e.source();
        }
        text
    }
}

/// The first [`ApiError`] in `err`'s cause chain (`err` itself, then each
/// [`source`](Error::source)), cloned.
pub fn api_error_in_chain(err: &(dyn Error + 'static)) -> Option<ApiError> {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(api) = e.downcast_ref::<ApiError>() {
            return Some(api.clone());
        }
        cause = e.source();
    }
    None
}
