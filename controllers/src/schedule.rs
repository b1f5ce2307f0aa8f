//! When a Repository syncs next: `spec.sync.schedule` (standard 5-field cron, in UTC) or every
//! `--repo-sync-frequency`, plus the one-shot `spec.sync.runOnceAt` (porch-api.md §2.5, §8.1).

use std::str::FromStr;
use std::time::Duration;

use croner::Cron;
use k8s_openapi::jiff::{Timestamp, tz::TimeZone};
use porch_api::Repository;

/// How periodic syncs are spaced.
#[derive(Debug, Clone)]
pub enum Periodic {
    /// Every so often after the last sync.
    Every(Duration),
    /// At the times a cron expression names.
    Cron(Box<Cron>),
}

impl Periodic {
    /// The schedule of `repo`: its cron expression, else `every`.
    ///
    /// # Errors
    /// The text to show in the `Ready` condition when the expression does not parse.
    pub fn of(repo: &Repository, every: Duration) -> Result<Self, String> {
        let expression = repo.spec.sync.as_ref().map(|s| s.schedule.trim()).unwrap_or_default();
        if expression.is_empty() {
            return Ok(Self::Every(every));
        }
        let cron = Cron::from_str(expression)
            .map_err(|e| format!("invalid sync schedule {expression:?} (spec.sync.schedule): {e}"))?;
        Ok(Self::Cron(Box::new(cron)))
    }

    /// The first periodic sync after `last`.
    pub fn next_after(&self, last: Timestamp) -> Timestamp {
        match self {
            Self::Every(every) => {
                let every = k8s_openapi::jiff::SignedDuration::try_from(*every).unwrap_or_default();
                last.checked_add(every).unwrap_or(Timestamp::MAX)
            }
            Self::Cron(cron) => cron
                .find_next_occurrence(&last.to_zoned(TimeZone::UTC), false)
                .map(|z| z.timestamp())
                .unwrap_or(Timestamp::MAX),
        }
    }
}

/// Why a sync runs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// The repository is not open (new, or after a restart).
    NotOpen,
    /// The spec changed since the last sync.
    SpecChanged,
    /// `spec.sync.runOnceAt` has passed and was not acted on yet.
    RunOnce,
    /// The periodic schedule says so.
    Periodic,
}

/// The decision of one reconcile: sync now (and why), and when to look again otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Sync now, for this reason.
    pub due: Option<Due>,
    /// When the next sync is due if none runs now (the periodic one or a future runOnceAt).
    pub next: Timestamp,
}

/// Decides whether `repo` syncs now.
pub fn decide(repo: &Repository, periodic: &Periodic, is_open: bool, now: Timestamp) -> Decision {
    let status = repo.status.clone().unwrap_or_default();
    let last = status.last_full_sync_time.as_ref().map(|t| t.0);
    let run_once = repo.spec.sync.as_ref().and_then(|s| s.run_once_at.as_ref()).map(|t| t.0);
    let observed_run_once = status.observed_run_once_at.as_ref().map(|t| t.0);
    let pending_run_once = run_once.filter(|t| Some(*t) != observed_run_once);
    let periodic_next = last.map_or(now, |l| periodic.next_after(l));
    let next = match pending_run_once {
        Some(t) if t > now => t.min(periodic_next),
        _ => periodic_next,
    };
    let due = if !is_open {
        Some(Due::NotOpen)
    } else if repo.metadata.generation.unwrap_or(0) != status.observed_generation {
        Some(Due::SpecChanged)
    } else if pending_run_once.is_some_and(|t| t <= now) {
        Some(Due::RunOnce)
    } else if periodic_next <= now {
        Some(Due::Periodic)
    } else {
        None
    };
    Decision { due, next }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use porch_api::config::{RepositoryStatus, RepositorySync};

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn repo(
        schedule: &str,
        last: Option<&str>,
        run_once: Option<&str>,
        observed: Option<&str>,
    ) -> Repository {
        let mut r = Repository::new("r", Default::default());
        r.metadata.generation = Some(1);
        r.spec.sync =
            Some(RepositorySync { schedule: schedule.into(), run_once_at: run_once.map(|t| Time(at(t))) });
        r.status = Some(RepositoryStatus {
            observed_generation: 1,
            last_full_sync_time: last.map(|t| Time(at(t))),
            observed_run_once_at: observed.map(|t| Time(at(t))),
            ..Default::default()
        });
        r
    }

    #[test]
    fn a_cron_schedule_names_the_next_minute() {
        let p = Periodic::of(&repo("*/10 * * * *", None, None, None), Duration::from_secs(600)).unwrap();
        assert_eq!(p.next_after(at("2026-12-01T10:03:00Z")), at("2026-12-01T10:10:00Z"));
        let err = Periodic::of(&repo("every tuesday", None, None, None), Duration::ZERO).unwrap_err();
        assert!(err.contains("\"every tuesday\"") && err.contains("spec.sync.schedule"), "{err}");
    }

    #[test]
    fn syncs_are_due_when_closed_changed_asked_for_or_scheduled() {
        let every = Periodic::Every(Duration::from_secs(600));
        let now = at("2026-12-01T10:05:00Z");
        let fresh = repo("", Some("2026-12-01T10:00:00Z"), None, None);
        assert_eq!(decide(&fresh, &every, false, now).due, Some(Due::NotOpen));
        assert_eq!(
            decide(&fresh, &every, true, now),
            Decision { due: None, next: at("2026-12-01T10:10:00Z") }
        );
        let mut changed = fresh.clone();
        changed.metadata.generation = Some(2);
        assert_eq!(decide(&changed, &every, true, now).due, Some(Due::SpecChanged));
        let asked = repo("", Some("2026-12-01T10:00:00Z"), Some("2026-12-01T10:04:00Z"), None);
        assert_eq!(decide(&asked, &every, true, now).due, Some(Due::RunOnce));
        let done = repo(
            "",
            Some("2026-12-01T10:00:00Z"),
            Some("2026-12-01T10:04:00Z"),
            Some("2026-12-01T10:04:00Z"),
        );
        assert_eq!(decide(&done, &every, true, now).due, None);
        let later = repo("", Some("2026-12-01T10:00:00Z"), Some("2026-12-01T10:07:00Z"), None);
        assert_eq!(
            decide(&later, &every, true, now),
            Decision { due: None, next: at("2026-12-01T10:07:00Z") }
        );
        assert_eq!(decide(&fresh, &every, true, at("2026-12-01T10:10:00Z")).due, Some(Due::Periodic));
    }
}
