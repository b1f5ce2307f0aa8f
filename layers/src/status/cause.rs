//! Field causes of an `Invalid` error.

use serde::Serialize;

/// Why a field was rejected (`metav1.CauseType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CauseReason {
    /// The value is syntactically or semantically wrong.
    FieldValueInvalid,
    /// A required value is missing.
    FieldValueRequired,
    /// The value is not one of the supported values.
    FieldValueNotSupported,
    /// The value may not be set or changed.
    FieldValueForbidden,
    /// The value duplicates another one that must be unique.
    FieldValueDuplicate,
    /// The object has a field the schema does not know (strict field validation).
    FieldValueUnknown,
}

impl CauseReason {
    /// The wire name, e.g. `FieldValueInvalid`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FieldValueInvalid => "FieldValueInvalid",
            Self::FieldValueRequired => "FieldValueRequired",
            Self::FieldValueNotSupported => "FieldValueNotSupported",
            Self::FieldValueForbidden => "FieldValueForbidden",
            Self::FieldValueDuplicate => "FieldValueDuplicate",
            Self::FieldValueUnknown => "FieldValueTypeInvalid",
        }
    }

    /// The words apimachinery puts before the detail (`field.ErrorType.String()`).
    fn label(self) -> &'static str {
        match self {
            Self::FieldValueInvalid => "Invalid value",
            Self::FieldValueRequired => "Required value",
            Self::FieldValueNotSupported => "Unsupported value",
            Self::FieldValueForbidden => "Forbidden",
            Self::FieldValueDuplicate => "Duplicate value",
            Self::FieldValueUnknown => "unknown field",
        }
    }
}

/// One rejected field of an object: what, where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldCause {
    /// The field path, e.g. `spec.git.repo` or `metadata.labels[kpt.dev/latest-revision]`.
    pub field: String,
    /// The kind of failure.
    pub reason: CauseReason,
    /// The detail, e.g. `spec.git.repo is immutable`.
    pub message: String,
}

impl FieldCause {
    /// A cause with the given reason.
    pub fn new(field: impl Into<String>, reason: CauseReason, message: impl Into<String>) -> Self {
        Self { field: field.into(), reason, message: message.into() }
    }

    /// `FieldValueInvalid` on `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(field, CauseReason::FieldValueInvalid, message)
    }

    /// `FieldValueRequired` on `field`.
    pub fn required(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(field, CauseReason::FieldValueRequired, message)
    }

    /// `FieldValueForbidden` on `field`.
    pub fn forbidden(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(field, CauseReason::FieldValueForbidden, message)
    }

    /// The cause's body without the field, e.g. `Invalid value: spec.git.repo is immutable`.
    pub fn body(&self) -> String {
        if self.message.is_empty() {
            self.reason.label().to_string()
        } else {
            format!("{}: {}", self.reason.label(), self.message)
        }
    }
}

impl std::fmt::Display for FieldCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}
