//! `porch_repositories{ready}` (gauge, through the `metrics` facade): the Repositories the
//! controller reconciles, by the status of their `Ready` condition as it last read or wrote it —
//! `True`, `False` (a sync failed or is running, or the object does not decode) or `Unknown` (no
//! condition yet). A Repository leaves the count once its deletion is cleaned up.

use std::collections::HashMap;
use std::sync::Mutex;

use porch_api::Repository;
use porch_api::config::RepositoryStatus;

use crate::conditions::ReadyReason;

/// The gauge.
pub(crate) const REPOSITORIES: &str = "porch_repositories";

/// The values of the `ready` label.
const STATES: [&str; 3] = ["True", "False", "Unknown"];

/// The `Ready` status of each reconciled Repository, and the gauge over them.
#[derive(Debug, Default)]
pub(crate) struct ReadyStates {
    states: Mutex<HashMap<(String, String), &'static str>>,
}

/// No Repository in any state yet: every series at 0, so that they exist before the first.
pub(crate) fn publish_empty() {
    for state in STATES {
        metrics::gauge!(REPOSITORIES, "ready" => state).set(0.0);
    }
}

/// The `ready` label of a Repository as stored: its condition's status, else `Unknown`.
pub(crate) fn stored_state(repo: &Repository) -> &'static str {
    let status = repo.status.as_ref().and_then(RepositoryStatus::ready).map(|c| c.status.as_str());
    STATES.into_iter().find(|s| Some(*s) == status).unwrap_or("Unknown")
}

/// The `ready` label of the condition written for `reason`.
pub(crate) fn written_state(reason: ReadyReason) -> &'static str {
    if reason == ReadyReason::Ready { "True" } else { "False" }
}

impl ReadyStates {
    /// Repository `key` is seen as stored: counted in its stored state unless the controller
    /// has read or written a newer one.
    pub(crate) fn observe(&self, key: &(String, String), repo: &Repository) {
        let known = self.states.lock().unwrap_or_else(|e| e.into_inner()).contains_key(key);
        if !known {
            self.set(key, Some(stored_state(repo)));
        }
    }

    /// Repository `key` is `state` now (`None`: it is gone).
    pub(crate) fn set(&self, key: &(String, String), state: Option<&'static str>) {
        let counts = {
            let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
            let before = match state {
                Some(state) => states.insert(key.clone(), state),
                None => states.remove(key),
            };
            if before == state {
                return;
            }
            self.counts(&states)
        };
        for (state, count) in STATES.into_iter().zip(counts) {
            metrics::gauge!(REPOSITORIES, "ready" => state).set(count as f64);
        }
    }

    /// How many Repositories are in each of [`STATES`].
    fn counts(&self, states: &HashMap<(String, String), &'static str>) -> [usize; 3] {
        let mut counts = [0; 3];
        for state in states.values() {
            if let Some(i) = STATES.iter().position(|s| s == state) {
                counts[i] += 1;
            }
        }
        counts
    }

    /// How many Repositories are in each of `True`, `False`, `Unknown`.
    #[cfg(test)]
    fn snapshot(&self) -> [usize; 3] {
        self.counts(&self.states.lock().unwrap())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_repository_counts_once_in_its_last_state() {
        let gauge = ReadyStates::default();
        let (a, b) = (("ns".to_string(), "a".to_string()), ("ns".to_string(), "b".to_string()));
        gauge.set(&a, Some(stored_state(&Repository::new("a", Default::default()))));
        gauge.set(&b, Some(written_state(ReadyReason::Reconciling)));
        assert_eq!(gauge.snapshot(), [0, 1, 1]);
        gauge.set(&a, Some(written_state(ReadyReason::Ready)));
        gauge.set(&b, Some(written_state(ReadyReason::Ready)));
        assert_eq!(gauge.snapshot(), [2, 0, 0]);
        gauge.set(&b, Some(written_state(ReadyReason::Error)));
        gauge.set(&a, None);
        assert_eq!(gauge.snapshot(), [0, 1, 0]);
    }
}
