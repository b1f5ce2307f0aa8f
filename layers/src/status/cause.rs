//! Field causes of an `Invalid` error.

use serde::Serialize;
use serde_json::{Number, Value};

/// Why a field was rejected (`metav1.CauseType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CauseReason {
    /// The value is syntactically or semantically wrong.
    FieldValueInvalid,
    /// The value has the wrong JSON type (or string format) for its schema.
    FieldValueTypeInvalid,
    /// A required value is missing.
    FieldValueRequired,
    /// The value is not one of the supported values.
    FieldValueNotSupported,
    /// The value may not be set or changed.
    FieldValueForbidden,
    /// The value duplicates another one that must be unique.
    FieldValueDuplicate,
    /// The value is longer than allowed.
    FieldValueTooLong,
    /// The list or map has more entries than allowed.
    FieldValueTooMany,
    /// The object has a field the schema does not know (strict field validation).
    FieldValueUnknown,
}

impl CauseReason {
    /// The wire name, e.g. `FieldValueInvalid`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FieldValueInvalid => "FieldValueInvalid",
            Self::FieldValueTypeInvalid => "FieldValueTypeInvalid",
            Self::FieldValueRequired => "FieldValueRequired",
            Self::FieldValueNotSupported => "FieldValueNotSupported",
            Self::FieldValueForbidden => "FieldValueForbidden",
            Self::FieldValueDuplicate => "FieldValueDuplicate",
            Self::FieldValueTooLong => "FieldValueTooLong",
            Self::FieldValueTooMany => "FieldValueTooMany",
            Self::FieldValueUnknown => "FieldValueTypeInvalid",
        }
    }

    /// The words apimachinery puts before the detail (`field.ErrorType.String()`).
    fn label(self) -> &'static str {
        match self {
            Self::FieldValueInvalid | Self::FieldValueTypeInvalid => "Invalid value",
            Self::FieldValueRequired => "Required value",
            Self::FieldValueNotSupported => "Unsupported value",
            Self::FieldValueForbidden => "Forbidden",
            Self::FieldValueDuplicate => "Duplicate value",
            Self::FieldValueTooLong => "Too long",
            Self::FieldValueTooMany => "Too many",
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

    /// A cause whose detail starts with the offending value, as apimachinery prints it
    /// (`Invalid value: "svn": <detail>`); see [`render_value`]. An empty `detail` prints the
    /// value alone.
    pub fn with_value(field: impl Into<String>, reason: CauseReason, value: &Value, detail: &str) -> Self {
        let value = render_value(value);
        let message = if detail.is_empty() { value } else { format!("{value}: {detail}") };
        Self::new(field, reason, message)
    }

    /// `FieldValueInvalid` on `field` for the string `value`: `Invalid value: "<value>": <detail>`.
    pub fn invalid_value(field: impl Into<String>, value: &str, detail: &str) -> Self {
        Self::with_value(field, CauseReason::FieldValueInvalid, &Value::from(value), detail)
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

/// A bad value as apimachinery's `field.Error` prints it: strings quoted, `null` as `"null"`,
/// numbers and booleans bare (integral floats without a fraction, as Go's `%v`), lists and
/// objects as JSON.
pub fn render_value(value: &Value) -> String {
    match value {
        Value::Null => "\"null\"".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => render_number(n),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

/// A number as Go's `%v` prints an `int64` or a `float64` (`3`, not `3.0`).
pub(crate) fn render_number(n: &Number) -> String {
    match n.as_f64() {
        Some(f) if !n.is_i64() && !n.is_u64() && f.is_finite() && f.fract() == 0.0 && f.abs() < 1e21 => {
            format!("{f:.0}")
        }
        _ => n.to_string(),
    }
}

impl std::fmt::Display for FieldCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}
