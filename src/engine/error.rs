//! [`EngineError`]: why an engine step refused a request, with a [`ErrorKind`] the REST layer
//! maps to an API status.
//!
//! Decision: the engine returns its own `thiserror` enum rather than `ApiError`, because the
//! object name and resource (needed for `Invalid`/`Forbidden` statuses) belong to the REST
//! layer. `rest/errors.rs` does the mapping once the name is known; nothing in `engine/` knows
//! HTTP status codes.

use porch_api::porch::RenderStatus;
use porch_layers::FieldCause;

/// The result of an engine step.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// What kind of failure an [`EngineError`] is, for callers that translate it into a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request is wrong in one or more fields: 422 `Invalid` with field causes.
    Invalid,
    /// The request is understood but not allowed on this object: 403 `Forbidden`.
    Forbidden,
    /// The request lacks something the server needs to route it: 400 `BadRequest`.
    BadRequest,
    /// The package's function pipeline failed: 400 `BadRequest` carrying Porch's message.
    RenderFailed,
    /// Stored content the engine cannot read: 500 `InternalError`.
    Internal,
}

/// An engine failure. The `Display` text is the bare message (Porch's text where one exists).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
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
    pub fn invalid(cause: FieldCause) -> Self {
        Self::Invalid { causes: vec![cause] }
    }

    /// An [`EngineError::Forbidden`].
    pub fn forbidden(why: impl Into<String>) -> Self {
        Self::Forbidden { why: why.into() }
    }

    /// An [`EngineError::BadRequest`].
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest { message: message.into() }
    }

    /// An [`EngineError::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal { message: message.into() }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid { .. } => ErrorKind::Invalid,
            Self::Forbidden { .. } => ErrorKind::Forbidden,
            Self::BadRequest { .. } => ErrorKind::BadRequest,
            Self::RenderFailed { .. } => ErrorKind::RenderFailed,
            Self::Internal { .. } => ErrorKind::Internal,
        }
    }
}

/// Go's `field.Invalid(path, value, detail)` for a string value: the cause message is
/// `"<value>": <detail>`, so the cause body reads `Invalid value: "<value>": <detail>`.
pub(crate) fn invalid_value(field: &str, value: &str, detail: &str) -> FieldCause {
    FieldCause::invalid(field, format!("{value:?}: {detail}"))
}
