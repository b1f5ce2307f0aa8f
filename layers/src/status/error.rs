//! [`ApiError`]: one Kubernetes API failure, rendered as a `Status`.

use super::FieldCause;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Status, StatusCause, StatusDetails};

/// The `Operation cannot be fulfilled` suffix of an optimistic-lock conflict.
pub const OPTIMISTIC_LOCK_MESSAGE: &str =
    "the object has been modified; please apply your changes to the latest version and try again";

/// A Kubernetes API error: code, reason, message and details, as apimachinery builds them.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    code: u16,
    reason: &'static str,
    message: String,
    details: Option<Box<StatusDetails>>,
    retry_after_seconds: Option<i32>,
    /// Set by [`ApiError::optimistic_lock`]: the write lost a race and may be retried on a
    /// fresh read. Not part of the `Status`.
    optimistic_lock: bool,
}

/// `<resource>.<group>` or, for the core group, `<resource>`.
fn qualified(group: &str, resource: &str) -> String {
    if group.is_empty() { resource.to_string() } else { format!("{resource}.{group}") }
}

fn details(group: &str, kind: &str, name: &str) -> StatusDetails {
    StatusDetails {
        group: Some(group.to_string()),
        kind: Some(kind.to_string()),
        name: (!name.is_empty()).then(|| name.to_string()),
        ..Default::default()
    }
}

impl ApiError {
    /// An error with a code, reason and message and no details.
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
            retry_after_seconds: None,
            optimistic_lock: false,
        }
    }

    /// The same error with `details` naming `group`, `kind` (a resource, as kube-apiserver puts
    /// it) and `name`, each left out when empty (an empty `details` when all are).
    #[must_use]
    pub fn with_details(mut self, group: &str, kind: &str, name: &str) -> Self {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        self.details = Some(Box::new(StatusDetails {
            group: some(group),
            kind: some(kind),
            name: some(name),
            ..Default::default()
        }));
        self
    }

    /// 404 `NotFound`: `repositories.config.porch.kpt.dev "x" not found`.
    pub fn not_found(group: &str, resource: &str, name: &str) -> Self {
        let mut e =
            Self::new(404, "NotFound", format!("{} \"{name}\" not found", qualified(group, resource)));
        e.details = Some(Box::new(details(group, resource, name)));
        e
    }

    /// 409 `AlreadyExists`.
    pub fn already_exists(group: &str, resource: &str, name: &str) -> Self {
        let mut e = Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", qualified(group, resource)),
        );
        e.details = Some(Box::new(details(group, resource, name)));
        e
    }

    /// 409 `Conflict`: `Operation cannot be fulfilled on <resource> "<name>": <why>`.
    pub fn conflict(group: &str, resource: &str, name: &str, why: &str) -> Self {
        let mut e = Self::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {} \"{name}\": {why}", qualified(group, resource)),
        );
        e.details = Some(Box::new(details(group, resource, name)));
        e
    }

    /// 409 `Conflict` of an optimistic-lock failure: the object changed since the writer read it
    /// (`Operation cannot be fulfilled on <resource> "<name>": the object has been modified; …`,
    /// with ` (<detail>)` appended when given). Known by [`is_optimistic_lock`](Self::is_optimistic_lock),
    /// not by its message: a read-modify-write loop retries exactly these.
    pub fn optimistic_lock(group: &str, resource: &str, name: &str, detail: Option<&str>) -> Self {
        let why = match detail {
            Some(detail) => format!("{OPTIMISTIC_LOCK_MESSAGE} ({detail})"),
            None => OPTIMISTIC_LOCK_MESSAGE.to_string(),
        };
        let mut e = Self::conflict(group, resource, name, &why);
        e.optimistic_lock = true;
        e
    }

    /// Whether this is an optimistic-lock conflict (see [`optimistic_lock`](Self::optimistic_lock)).
    pub fn is_optimistic_lock(&self) -> bool {
        self.optimistic_lock
    }

    /// 422 `Invalid` with one cause per field: `Repository.config.porch.kpt.dev "x" is invalid: …`.
    pub fn invalid(group: &str, kind: &str, name: &str, causes: &[FieldCause]) -> Self {
        let what = if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") };
        let list = match causes {
            [one] => one.to_string(),
            many => format!("[{}]", many.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
        };
        let mut e = Self::new(422, "Invalid", format!("{what} \"{name}\" is invalid: {list}"));
        let mut d = details(group, kind, name);
        d.causes = Some(
            causes
                .iter()
                .map(|c| StatusCause {
                    field: Some(c.field.clone()),
                    message: Some(c.body()),
                    reason: Some(c.reason.as_str().to_string()),
                })
                .collect(),
        );
        e.details = Some(Box::new(d));
        e
    }

    /// 403 `Forbidden`: `<resource> "<name>" is forbidden: <why>`.
    pub fn forbidden(group: &str, resource: &str, name: &str, why: &str) -> Self {
        let mut e = Self::new(
            403,
            "Forbidden",
            format!("{} \"{name}\" is forbidden: {why}", qualified(group, resource)),
        );
        e.details = Some(Box::new(details(group, resource, name)));
        e
    }

    /// 400 `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 404 `NotFound` for a path that names no resource.
    pub fn path_not_found() -> Self {
        Self::new(404, "NotFound", "the server could not find the requested resource")
    }

    /// 405 `MethodNotAllowed`.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", message)
    }

    /// 406 `NotAcceptable`.
    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(406, "NotAcceptable", message)
    }

    /// 410 `Expired`: a watch or list from a resource version no longer retained.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// 413 `RequestEntityTooLarge`.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(413, "RequestEntityTooLarge", message)
    }

    /// 415 `UnsupportedMediaType`.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(415, "UnsupportedMediaType", message)
    }

    /// 500 `InternalError`: `Internal error occurred: <message>`.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(500, "InternalError", format!("Internal error occurred: {message}"))
    }

    /// 503 `ServiceUnavailable`.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(503, "ServiceUnavailable", message)
    }

    /// 504 `Timeout`: `Timeout: <message>`, asking the client to retry after `retry_after_seconds`
    /// (in `details.retryAfterSeconds` and the `Retry-After` header), as apimachinery's
    /// `NewTimeoutError`.
    pub fn timeout(message: &str, retry_after_seconds: i32) -> Self {
        let mut e = Self::new(504, "Timeout", format!("Timeout: {message}"));
        e.details = Some(Box::new(StatusDetails {
            retry_after_seconds: Some(retry_after_seconds),
            ..Default::default()
        }));
        e.retry_after_seconds = Some(retry_after_seconds);
        e
    }

    /// Adds a `details.causes` entry of type `reason` (e.g. `ResourceVersionTooLarge`).
    #[must_use]
    pub fn with_cause(mut self, reason: &str, message: &str) -> Self {
        let details = self.details.get_or_insert_with(Default::default);
        details.causes.get_or_insert_with(Vec::new).push(StatusCause {
            field: None,
            message: Some(message.to_string()),
            reason: Some(reason.to_string()),
        });
        self
    }

    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The `reason` of the Status, e.g. `NotFound`.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `Retry-After` header value, if any.
    pub fn retry_after_seconds(&self) -> Option<i32> {
        self.retry_after_seconds
    }

    /// The `meta/v1 Status` (`kind: Status`, `apiVersion: v1`) of this error.
    pub fn to_status(&self) -> Status {
        Status {
            code: Some(i32::from(self.code)),
            details: self.details.as_deref().cloned(),
            message: Some(self.message.clone()),
            metadata: Default::default(),
            reason: Some(self.reason.to_string()),
            status: Some("Failure".to_string()),
        }
    }

    /// The Status as JSON, with `kind` and `apiVersion`.
    pub fn to_json(&self) -> serde_json::Value {
        status_json(&self.to_status())
    }
}

/// A `Status` as JSON with `kind: Status` and `apiVersion: v1` first.
pub fn status_json(status: &Status) -> serde_json::Value {
    let mut out = serde_json::json!({"kind": "Status", "apiVersion": "v1"});
    if let (Some(map), Ok(serde_json::Value::Object(rest))) =
        (out.as_object_mut(), serde_json::to_value(status))
    {
        for (k, v) in rest {
            map.insert(k, v);
        }
        map.entry("metadata").or_insert_with(|| serde_json::json!({}));
    }
    out
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::CauseReason;

    #[test]
    fn not_found_names_the_qualified_resource() {
        let e = ApiError::not_found("config.porch.kpt.dev", "repositories", "x");
        let j = e.to_json();
        assert_eq!(j["kind"], "Status");
        assert_eq!(j["apiVersion"], "v1");
        assert_eq!(j["message"], "repositories.config.porch.kpt.dev \"x\" not found");
        assert_eq!(j["code"], 404);
        assert_eq!(j["details"]["kind"], "repositories");
    }

    #[test]
    fn core_group_resources_are_not_qualified() {
        assert_eq!(ApiError::not_found("", "secrets", "s").message(), "secrets \"s\" not found");
    }

    #[test]
    fn invalid_lists_causes_with_fields() {
        let causes = vec![
            FieldCause::invalid("metadata.name", "must be no more than 63 characters"),
            FieldCause::new("spec.git.repo", CauseReason::FieldValueRequired, ""),
        ];
        let e = ApiError::invalid("config.porch.kpt.dev", "Repository", "r", &causes);
        assert_eq!(e.code(), 422);
        assert_eq!(
            e.message(),
            "Repository.config.porch.kpt.dev \"r\" is invalid: [metadata.name: Invalid value: must be no more \
             than 63 characters, spec.git.repo: Required value]"
        );
        let j = e.to_json();
        assert_eq!(j["details"]["causes"][0]["field"], "metadata.name");
        assert_eq!(j["details"]["causes"][1]["reason"], "FieldValueRequired");
        assert_eq!(j["details"]["kind"], "Repository");
    }

    #[test]
    fn timeouts_ask_for_a_retry_and_carry_their_cause() {
        let e = ApiError::timeout("Too large resource version: 9, current: 3", 1)
            .with_cause("ResourceVersionTooLarge", "Too large resource version");
        assert_eq!((e.code(), e.reason(), e.retry_after_seconds()), (504, "Timeout", Some(1)));
        let j = e.to_json();
        assert_eq!(j["message"], "Timeout: Too large resource version: 9, current: 3");
        assert_eq!(j["details"]["retryAfterSeconds"], 1);
        assert_eq!(j["details"]["causes"][0]["reason"], "ResourceVersionTooLarge");
        assert_eq!(j["details"]["causes"][0]["message"], "Too large resource version");
    }

    #[test]
    fn conflict_uses_the_optimistic_lock_message() {
        let e = ApiError::conflict("config.porch.kpt.dev", "repositories", "r", OPTIMISTIC_LOCK_MESSAGE);
        assert!(
            e.message()
                .starts_with("Operation cannot be fulfilled on repositories.config.porch.kpt.dev \"r\"")
        );
        assert_eq!(e.reason(), "Conflict");
        assert!(!e.is_optimistic_lock(), "a conflict is not an optimistic-lock failure by its words");
    }

    #[test]
    fn optimistic_lock_conflicts_are_known_by_type_and_keep_kube_words() {
        let e = ApiError::optimistic_lock("config.porch.kpt.dev", "repositories", "r", None);
        assert!(e.is_optimistic_lock());
        assert_eq!(e.code(), 409);
        assert_eq!(
            e.message(),
            format!(
                "Operation cannot be fulfilled on repositories.config.porch.kpt.dev \"r\": {OPTIMISTIC_LOCK_MESSAGE}"
            )
        );
        let e = ApiError::optimistic_lock("porch.kpt.dev", "packagerevisions", "p", Some("ref moved"));
        assert!(e.message().ends_with(&format!("{OPTIMISTIC_LOCK_MESSAGE} (ref moved)")));
    }
}
