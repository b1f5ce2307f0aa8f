//! The optimistic lock of a write: the `metadata.resourceVersion` an update carries (or the
//! `preconditions.resourceVersion` of a delete) names the version of the object it was made
//! from, and the write applies only while the stored object is still at that version
//! (kube-apiserver's registry `Store.Update`). Storage runs the check where it reads the current
//! object for the write, so that nothing changes the object between the check and the write.
//!
//! A write without a version is unconditional where the resource allows it (custom resources
//! do, `AllowUnconditionalUpdate`) and refused where it does not (Porch's PackageRevisions).
//! How a given version is compared with the stored one is the caller's: see
//! [`same_number`] and [`same_text`].
//!
//! ```
//! use porch_layers::request::precondition::{Precondition, check_version, same_number, same_text};
//! assert_eq!(check_version(Some("7"), false, |v| same_number(v, 7)), Ok(()));
//! assert_eq!(check_version(Some("6"), true, |v| same_text(v, "7")), Err(Precondition::Stale));
//! assert_eq!(check_version(Some(""), true, |v| same_text(v, "7")), Ok(()));
//! assert_eq!(check_version(None, false, |v| same_number(v, 7)), Err(Precondition::Missing));
//! ```

use crate::status::OPTIMISTIC_LOCK_MESSAGE;

/// Why a write's resourceVersion precondition fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Precondition {
    /// The write names no version and the resource does not allow unconditional writes (a 422
    /// on `metadata.resourceVersion`, worded by the resource).
    #[error("resourceVersion must be specified for an update")]
    Missing,
    /// The write names another version than the stored object's (a 409 `Conflict`).
    #[error("{OPTIMISTIC_LOCK_MESSAGE}")]
    Stale,
}

/// Checks a write's version `given` (absent and empty alike mean none) against the stored
/// object's: `is_current` says whether a given version names it; `unconditional` whether a
/// write without a version applies to any.
///
/// # Errors
/// [`Precondition::Missing`] or [`Precondition::Stale`].
pub fn check_version(
    given: Option<&str>,
    unconditional: bool,
    is_current: impl FnOnce(&str) -> bool,
) -> Result<(), Precondition> {
    match given.filter(|v| !v.is_empty()) {
        None if unconditional => Ok(()),
        None => Err(Precondition::Missing),
        Some(v) if is_current(v) => Ok(()),
        Some(_) => Err(Precondition::Stale),
    }
}

/// Whether `given`, read as a number, is `current` (for storage whose versions are numbers; a
/// version that is not one is stale).
pub fn same_number(given: &str, current: u64) -> bool {
    given.parse::<u64>() == Ok(current)
}

/// Whether `given` is exactly the text of `current` (for storage that keeps versions as text:
/// `"007"` does not name `"7"`).
pub fn same_text(given: &str, current: &str) -> bool {
    given == current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_without_a_version_is_unconditional_only_where_allowed() {
        assert_eq!(check_version(None, true, |_| false), Ok(()));
        assert_eq!(check_version(Some(""), true, |_| false), Ok(()));
        assert_eq!(check_version(None, false, |_| true), Err(Precondition::Missing));
        assert_eq!(check_version(Some(""), false, |_| true), Err(Precondition::Missing));
    }

    #[test]
    fn a_given_version_must_name_the_current_one() {
        assert_eq!(check_version(Some("3"), false, |v| same_number(v, 3)), Ok(()));
        assert_eq!(check_version(Some("3"), true, |v| same_number(v, 4)), Err(Precondition::Stale));
        assert_eq!(check_version(Some("x"), true, |v| same_number(v, 4)), Err(Precondition::Stale));
    }

    #[test]
    fn numbers_and_texts_compare_differently() {
        assert!(same_number("007", 7));
        assert!(!same_text("007", "7"));
    }

    #[test]
    fn a_stale_version_says_what_kube_apiserver_says() {
        assert_eq!(Precondition::Stale.to_string(), OPTIMISTIC_LOCK_MESSAGE);
    }
}
