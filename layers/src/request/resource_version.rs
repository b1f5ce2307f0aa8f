//! The `resourceVersion` of a get or list and kube-apiserver's rules for it.
//!
//! The request is checked once, where it is decoded: [`ReadAt::for_list`] applies apimachinery's
//! `ValidateListOptions` (a forbidden combination is a 422 `ListOptions.meta.k8s.io "" is
//! invalid`) and then parses the version as the storage's versioner does (anything but an
//! unsigned decimal is a 400); [`ReadAt::for_get`] only parses. Storage then compares the
//! [`ReadAt`] with its current resourceVersion ([`ReadAt::check`]): a version it has not reached is
//! waited for, at most [`FRESHNESS_WAIT`], and then answered 504 "Too large resource version";
//! `resourceVersionMatch=Exact` at an older version is a 410, as no older state is kept.
//!
//! ```
//! use porch_layers::request::{ReadAt, Unservable};
//! let read = ReadAt::for_list(Some("7"), Some("Exact"), None, None).unwrap();
//! assert_eq!(read, ReadAt::Exact(7));
//! assert_eq!(read.check(7), Ok(()));
//! assert_eq!(read.check(9), Err(Unservable::Expired));
//! assert_eq!(ReadAt::for_list(Some("abc"), None, None, None).unwrap_err().code(), 400);
//! ```

use std::time::Duration;

use crate::{ApiError, CauseReason, FieldCause};

/// How long a read waits for the server to reach a resourceVersion it asks for before it is
/// answered 504 (the watch cache's `blockTimeout`).
pub const FRESHNESS_WAIT: Duration = Duration::from_secs(3);

/// `resourceVersionMatch=Exact`.
const EXACT: &str = "Exact";
/// `resourceVersionMatch=NotOlderThan`.
const NOT_OLDER_THAN: &str = "NotOlderThan";

/// The state a get or list may be served from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadAt {
    /// No `resourceVersion` (or `0`): the current state.
    #[default]
    Any,
    /// `resourceVersion=N`, with `resourceVersionMatch` unset or `NotOlderThan`: a state at least
    /// as new as `N` (the current one once it has reached `N`).
    NotOlderThan(u64),
    /// `resourceVersionMatch=Exact`: the state at exactly `N`, which only the current one is.
    Exact(u64),
}

/// Why a read cannot be served at the current resourceVersion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unservable {
    /// An exact read of an older state, which is not kept (410 `Expired`).
    #[error("The resourceVersion for the provided list is too old.")]
    Expired,
    /// A version newer than the current one (504 `Timeout`, cause `ResourceVersionTooLarge`).
    #[error("Too large resource version: {requested}, current: {current}")]
    TooLarge {
        /// The version asked for.
        requested: u64,
        /// The current version.
        current: u64,
    },
}

impl From<Unservable> for ApiError {
    /// kube-apiserver's answers: `NewResourceExpired` and `NewTooLargeResourceVersionError`
    /// (retry after 1 s).
    fn from(e: Unservable) -> Self {
        match e {
            Unservable::Expired => ApiError::expired(e.to_string()),
            Unservable::TooLarge { .. } => ApiError::timeout(&e.to_string(), 1)
                .with_cause("ResourceVersionTooLarge", "Too large resource version"),
        }
    }
}

impl ReadAt {
    /// The read of a list: `ValidateListOptions` of a non-watch list, then the version parsed.
    ///
    /// # Errors
    /// 422 `Invalid` naming `resourceVersionMatch` or `sendInitialEvents` for a combination
    /// kube-apiserver forbids; 400 for a `resourceVersion` that is not a number, or one given with
    /// `continue`.
    pub fn for_list(
        resource_version: Option<&str>,
        resource_version_match: Option<&str>,
        continue_token: Option<&str>,
        send_initial_events: Option<bool>,
    ) -> Result<Self, ApiError> {
        let rv = resource_version.unwrap_or("");
        let continuing = continue_token.is_some_and(|c| !c.is_empty());
        let matching = resource_version_match.filter(|m| !m.is_empty());
        let mut causes = Vec::new();
        if let Some(m) = matching {
            let forbidden = |why: &str| FieldCause::forbidden("resourceVersionMatch", why);
            if rv.is_empty() {
                causes
                    .push(forbidden("resourceVersionMatch is forbidden unless resourceVersion is provided"));
            }
            if continuing {
                causes.push(forbidden("resourceVersionMatch is forbidden when continue is provided"));
            }
            if m != EXACT && m != NOT_OLDER_THAN {
                causes.push(FieldCause::new(
                    "resourceVersionMatch",
                    CauseReason::FieldValueNotSupported,
                    format!("{m:?}: supported values: \"{EXACT}\", \"{NOT_OLDER_THAN}\", \"\""),
                ));
            }
            if m == EXACT && rv == "0" {
                causes
                    .push(forbidden("resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
            }
        }
        if send_initial_events.is_some() {
            causes
                .push(FieldCause::forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
        }
        if !causes.is_empty() {
            return Err(ApiError::invalid("meta.k8s.io", "ListOptions", "", &causes));
        }
        if continuing && !rv.is_empty() && rv != "0" {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        let version = parse_resource_version(rv)?;
        Ok(match (matching, version) {
            (_, 0) => Self::Any,
            (Some(EXACT), n) => Self::Exact(n),
            (_, n) => Self::NotOlderThan(n),
        })
    }

    /// The read of a get: `resourceVersion=N` asks for a state at least as new as `N`.
    ///
    /// # Errors
    /// 400 for a `resourceVersion` that is not a number.
    pub fn for_get(resource_version: Option<&str>) -> Result<Self, ApiError> {
        Ok(match parse_resource_version(resource_version.unwrap_or(""))? {
            0 => Self::Any,
            n => Self::NotOlderThan(n),
        })
    }

    /// The resourceVersion the server must have reached to serve this read (0: none).
    pub fn minimum(self) -> u64 {
        match self {
            Self::Any => 0,
            Self::NotOlderThan(n) | Self::Exact(n) => n,
        }
    }

    /// Whether the state at resourceVersion `current` serves this read.
    ///
    /// # Errors
    /// [`Unservable::TooLarge`] when `current` has not reached the version asked for,
    /// [`Unservable::Expired`] for an exact read of an older state.
    pub fn check(self, current: u64) -> Result<(), Unservable> {
        match self {
            Self::NotOlderThan(n) | Self::Exact(n) if n > current => {
                Err(Unservable::TooLarge { requested: n, current })
            }
            Self::Exact(n) if n < current => Err(Unservable::Expired),
            _ => Ok(()),
        }
    }
}

/// Parses a `resourceVersion` as the storage's versioner does: empty and `0` are 0, anything but
/// an unsigned decimal is a 400 worded like kube-apiserver's (Go's `strconv.ParseUint` error).
///
/// # Errors
/// 400 `BadRequest`.
pub fn parse_resource_version(rv: &str) -> Result<u64, ApiError> {
    if rv.is_empty() || rv == "0" {
        return Ok(0);
    }
    let why = if rv.bytes().all(|b| b.is_ascii_digit()) {
        match rv.parse::<u64>() {
            Ok(n) => return Ok(n),
            Err(_) => "value out of range",
        }
    } else {
        "invalid syntax"
    };
    Err(ApiError::bad_request(format!(
        "invalid resource version: resourceVersion: Invalid value: {rv:?}: strconv.ParseUint: parsing {rv:?}: {why}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(rv: &str, rv_match: &str, cont: &str) -> Result<ReadAt, ApiError> {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        ReadAt::for_list(some(rv).as_deref(), some(rv_match).as_deref(), some(cont).as_deref(), None)
    }

    #[test]
    fn versions_parse_like_the_storage_versioner() {
        assert_eq!(list("", "", ""), Ok(ReadAt::Any));
        assert_eq!(list("0", "", ""), Ok(ReadAt::Any));
        assert_eq!(list("0", "NotOlderThan", ""), Ok(ReadAt::Any));
        assert_eq!(list("12", "", ""), Ok(ReadAt::NotOlderThan(12)));
        assert_eq!(list("12", "NotOlderThan", ""), Ok(ReadAt::NotOlderThan(12)));
        assert_eq!(list("12", "Exact", ""), Ok(ReadAt::Exact(12)));
        assert_eq!(ReadAt::for_get(Some("5")), Ok(ReadAt::NotOlderThan(5)));
        assert_eq!(ReadAt::for_get(None), Ok(ReadAt::Any));
    }

    #[test]
    fn a_version_that_is_not_a_number_is_400_in_kube_words() {
        let e = list("abc", "", "").unwrap_err();
        assert_eq!(e.code(), 400);
        assert_eq!(
            e.message(),
            "invalid resource version: resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \
             \"abc\": invalid syntax"
        );
        for bad in ["-1", "+5", "1.5", " 7", "0x10"] {
            assert_eq!(list(bad, "", "").unwrap_err().code(), 400, "{bad}");
            assert_eq!(ReadAt::for_get(Some(bad)).unwrap_err().code(), 400, "{bad}");
        }
        assert!(list("99999999999999999999", "", "").unwrap_err().message().ends_with("value out of range"));
    }

    #[test]
    fn match_rules_are_validate_list_options() {
        let e = list("", "Exact", "").unwrap_err();
        assert_eq!(e.code(), 422);
        assert_eq!(
            e.message(),
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch \
             is forbidden unless resourceVersion is provided"
        );
        let e = list("5", "Bogus", "").unwrap_err();
        assert_eq!(
            e.message(),
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported value: \"Bogus\": \
             supported values: \"Exact\", \"NotOlderThan\", \"\""
        );
        assert_eq!(e.to_json()["details"]["causes"][0]["reason"], "FieldValueNotSupported");
        let e = list("0", "Exact", "").unwrap_err();
        assert!(
            e.message().ends_with("resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")
        );
        let e = list("5", "NotOlderThan", "tok").unwrap_err();
        assert!(e.message().ends_with("resourceVersionMatch is forbidden when continue is provided"), "{e}");
        let e = ReadAt::for_list(None, None, None, Some(false)).unwrap_err();
        assert_eq!(e.code(), 422);
        assert!(
            e.message().ends_with("sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list")
        );
    }

    #[test]
    fn a_version_with_continue_is_400_unless_it_is_zero() {
        let e = list("5", "", "tok").unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            (400, "specifying resource version is not allowed when using continue")
        );
        assert_eq!(list("0", "", "tok"), Ok(ReadAt::Any));
    }

    #[test]
    fn checks_against_the_current_version() {
        assert_eq!(ReadAt::Any.check(3), Ok(()));
        assert_eq!(ReadAt::NotOlderThan(3).check(3), Ok(()));
        assert_eq!(ReadAt::NotOlderThan(2).check(3), Ok(()));
        assert_eq!(ReadAt::NotOlderThan(4).check(3), Err(Unservable::TooLarge { requested: 4, current: 3 }));
        assert_eq!(ReadAt::Exact(3).check(3), Ok(()));
        assert_eq!(ReadAt::Exact(2).check(3), Err(Unservable::Expired));
        assert_eq!(ReadAt::Exact(9).check(3), Err(Unservable::TooLarge { requested: 9, current: 3 }));
        assert_eq!((ReadAt::Any.minimum(), ReadAt::Exact(9).minimum()), (0, 9));
    }

    #[test]
    fn unservable_reads_are_the_kube_statuses() {
        let e = ApiError::from(Unservable::Expired);
        assert_eq!((e.code(), e.reason()), (410, "Expired"));
        assert_eq!(e.message(), "The resourceVersion for the provided list is too old.");
        let e = ApiError::from(Unservable::TooLarge { requested: 9, current: 3 });
        assert_eq!((e.code(), e.reason(), e.retry_after_seconds()), (504, "Timeout", Some(1)));
        assert_eq!(e.message(), "Timeout: Too large resource version: 9, current: 3");
        assert_eq!(e.to_json()["details"]["causes"][0]["reason"], "ResourceVersionTooLarge");
    }
}
