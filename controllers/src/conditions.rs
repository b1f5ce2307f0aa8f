//! The `Ready` condition of a Repository (porch-api.md §2.5).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// Why a Repository is, or is not, ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadyReason {
    /// Synced: `Ready` True, "Repository Ready".
    Ready,
    /// A sync is running: `Ready` False, "Repository reconciliation in progress".
    Reconciling,
    /// The last sync failed: `Ready` False with the error text.
    Error,
    /// The stored object does not decode (a field of the wrong type, written before the server
    /// checked types): `Ready` False, reason `Invalid`, with the field error. Nothing is synced
    /// until the object is fixed.
    Invalid,
}

/// The `Ready` condition for `reason`; `message` is the error text for [`ReadyReason::Error`] and
/// [`ReadyReason::Invalid`], a notice appended to "Repository Ready" for [`ReadyReason::Ready`]
/// (none when empty), and unused for [`ReadyReason::Reconciling`].
pub fn ready_condition(
    reason: ReadyReason,
    message: &str,
    observed_generation: Option<i64>,
    now: Time,
) -> Condition {
    let (status, reason, message) = match reason {
        ReadyReason::Ready if message.is_empty() => ("True", "Ready", "Repository Ready".to_string()),
        ReadyReason::Ready => ("True", "Ready", format!("Repository Ready: {message}")),
        ReadyReason::Reconciling => {
            ("False", "Reconciling", "Repository reconciliation in progress".to_string())
        }
        ReadyReason::Error => ("False", "Error", message.to_string()),
        ReadyReason::Invalid => ("False", "Invalid", message.to_string()),
    };
    Condition {
        type_: "Ready".to_string(),
        status: status.to_string(),
        reason: reason.to_string(),
        message,
        observed_generation,
        last_transition_time: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_conditions_carry_the_error_text() {
        let now = Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let c = ready_condition(ReadyReason::Error, "branch \"main\" doesn't exist", Some(3), now.clone());
        assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", "Error"));
        assert_eq!(c.message, "branch \"main\" doesn't exist");
        assert_eq!(c.observed_generation, Some(3));
        let ok = ready_condition(ReadyReason::Ready, "", None, now.clone());
        assert_eq!((ok.status.as_str(), ok.message.as_str()), ("True", "Repository Ready"));
        let noted = ready_condition(ReadyReason::Ready, "the local mirror was cloned again", None, now);
        assert_eq!(noted.status, "True");
        assert_eq!(noted.message, "Repository Ready: the local mirror was cloned again");
    }
}
