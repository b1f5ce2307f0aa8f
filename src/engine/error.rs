//! [`EngineError`]: why an engine step refused a request; the REST layer maps each variant to an
//! API status.
//!
//! Decision: the engine returns its own `thiserror` enum rather than `ApiError`, because the
//! object name and resource (needed for `Invalid`/`Forbidden` statuses) belong to the REST
//! layer. `rest/errors.rs` does the mapping once the name is known; nothing in `engine/` knows
//! HTTP status codes.

use porch_api::porch::RenderStatus;
use porch_layers::FieldCause;

/// The result of an engine step.
pub(crate) type Result<T, E = EngineError> = std::result::Result<T, E>;

/// An engine failure. The `Display` text is the bare message (Porch's text where one exists).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum EngineError {
    /// One or more fields are invalid (422).
    #[error("{}", causes.iter().map(|c| c.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// The rejected fields, in the order they were checked.
        causes: Vec<FieldCause>,
    },
    /// The operation is forbidden on this object (403); `why` follows "is forbidden: ".
    #[error("{why}")]
    Forbidden {
        /// The reason, e.g. "published PackageRevisions must be proposed for deletion …".
        why: String,
    },
    /// The request is malformed (400).
    #[error("{message}")]
    BadRequest {
        /// The message, e.g. "spec.repositoryName is required".
        message: String,
    },
    /// Rendering failed; nothing was changed.
    #[error("{message}")]
    RenderFailed {
        /// The full message, starting with "error rendering package in kpt function pipeline".
        message: String,
        /// The render status to report alongside (`status.renderStatus`).
        status: Box<RenderStatus>,
        /// What Porch stores when asked to push despite the failure.
        failed: Box<super::render::Failed>,
    },
    /// Stored content is unreadable (500).
    #[error("{message}")]
    Internal {
        /// What went wrong.
        message: String,
    },
}

impl EngineError {
    /// An [`EngineError::Invalid`] with a single cause.
    pub(crate) fn invalid(cause: FieldCause) -> Self {
        Self::Invalid { causes: vec![cause] }
    }

    /// An [`EngineError::Forbidden`].
    pub(crate) fn forbidden(why: impl Into<String>) -> Self {
        Self::Forbidden { why: why.into() }
    }

    /// An [`EngineError::BadRequest`].
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest { message: message.into() }
    }

    /// An [`EngineError::Internal`].
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::Internal { message: message.into() }
    }
}

/// Go's `field.Invalid(path, value, detail)` for a string value: the cause message is
/// `"<value>": <detail>`, so the cause body reads `Invalid value: "<value>": <detail>`.
pub(crate) fn invalid_value(field: &str, value: &str, detail: &str) -> FieldCause {
    FieldCause::invalid(field, format!("{value:?}: {detail}"))
}
