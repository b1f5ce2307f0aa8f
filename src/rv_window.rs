//! A window of the most recent items (changes) in resourceVersion order, from which a watch
//! resumes after any resourceVersion still covered. Numbers need not be contiguous — the
//! server-wide counter is shared, so each window sees gaps — so positions are found by search.
//! Also the pieces every watch served from such a window shares: parsing its `resourceVersion`,
//! the bookmark ticks and events, the 410 ERROR event, the idle wait and the watcher gauge.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use porch_layers::{WatchEvent, WatchEventType};
use serde_json::json;
use tokio::time::{Instant, Interval, MissedTickBehavior};

/// How many window items a watcher takes per lock acquisition.
pub(crate) const CHUNK: usize = 1024;

/// Something with a resourceVersion.
pub(crate) trait Versioned {
    /// Its resourceVersion.
    fn rv(&self) -> u64;
}

impl<T: Versioned> Versioned for Arc<T> {
    fn rv(&self) -> u64 {
        (**self).rv()
    }
}

/// A resourceVersion older than the window: the items after it are gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expired {
    /// The oldest resourceVersion still in the window.
    pub(crate) oldest: u64,
}

/// The last `capacity` items, in resourceVersion order.
#[derive(Debug)]
pub(crate) struct RvWindow<T> {
    items: VecDeque<T>,
    capacity: usize,
    /// The newest resourceVersion whose item may be missing (evicted, or from before the
    /// start): a watch may resume after it, not before it.
    horizon: u64,
}

impl<T: Versioned> RvWindow<T> {
    /// An empty window of `capacity` items after resourceVersion `start`.
    pub(crate) fn new(capacity: usize, start: u64) -> Self {
        Self { items: VecDeque::new(), capacity: capacity.max(1), horizon: start }
    }

    /// Appends an item (newer than every other); the oldest goes when the window is full.
    pub(crate) fn push(&mut self, item: T) {
        self.items.push_back(item);
        while self.items.len() > self.capacity {
            if let Some(evicted) = self.items.pop_front() {
                self.horizon = evicted.rv();
            }
        }
    }

    /// Up to `max` items after `after` (`current` is the newest resourceVersion accounted for).
    pub(crate) fn after(
        &self,
        after: u64,
        current: u64,
        max: usize,
    ) -> Result<impl Iterator<Item = &T>, Expired> {
        if after < current && after < self.horizon {
            return Err(Expired { oldest: self.items.front().map_or(self.horizon + 1, Versioned::rv) });
        }
        let skip = self.items.partition_point(|item| item.rv() <= after);
        Ok(self.items.iter().skip(skip).take(max))
    }
}

/// Parses a watch `resourceVersion`: `None` (unset, empty or `"0"`) means "from the current
/// state"; the error is the message of the 400.
pub(crate) fn parse_rv(rv: Option<&str>) -> Result<Option<u64>, String> {
    match rv.map(str::trim) {
        None | Some("" | "0") => Ok(None),
        Some(s) => s.parse::<u64>().map(Some).map_err(|_| format!("invalid resource version: {s:?}")),
    }
}

/// The ERROR event a watch from an expired resourceVersion gets (a 410 `Expired` Status).
pub(crate) fn too_old(requested: u64, oldest: u64) -> WatchEvent {
    let message = format!("too old resource version: {requested} ({})", oldest.saturating_sub(1));
    WatchEvent::new(WatchEventType::Error, porch_layers::ApiError::expired(message).to_json())
}

/// The bookmark ticks of a watch that asked for them: every `period` (at least 1 ms), the first
/// a period from now; a late tick delays the following ones.
pub(crate) fn bookmark_ticks(period: Duration) -> Interval {
    let period = period.max(Duration::from_millis(1));
    let mut interval = tokio::time::interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    interval
}

/// A BOOKMARK of `api_version`/`kind` at resourceVersion `rv`; `initial_events_end` annotates it
/// `k8s.io/initial-events-end` (the end of `sendInitialEvents`' initial events).
pub(crate) fn bookmark(api_version: &str, kind: &str, rv: u64, initial_events_end: bool) -> WatchEvent {
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if initial_events_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    let object = json!({"apiVersion": api_version, "kind": kind, "metadata": metadata});
    WatchEvent::new(WatchEventType::Bookmark, object)
}

/// Counts one watch in `porch_watchers{resource}` while it lives.
pub(crate) struct WatcherGauge(&'static str);

impl WatcherGauge {
    /// Counts a watch of `resource` (its plural).
    pub(crate) fn new(resource: &'static str) -> Self {
        metrics::gauge!("porch_watchers", "resource" => resource).increment(1.0);
        Self(resource)
    }
}

impl Drop for WatcherGauge {
    fn drop(&mut self) {
        metrics::gauge!("porch_watchers", "resource" => self.0).decrement(1.0);
    }
}

/// What ended a watcher's wait with nothing to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woken {
    /// The window moved: look again.
    Changed,
    /// The window's owner is gone: the watch ends.
    Closed,
    /// The bookmark interval ticked: send a BOOKMARK.
    Bookmark,
}

/// Waits for the window behind `rx` to move or, when bookmarks were asked for, the next tick.
pub(crate) async fn idle(
    rx: &mut tokio::sync::watch::Receiver<u64>,
    bookmarks: Option<&mut tokio::time::Interval>,
) -> Woken {
    let tick = async {
        match bookmarks {
            Some(interval) => {
                interval.tick().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        changed = rx.changed() => if changed.is_ok() { Woken::Changed } else { Woken::Closed },
        () = tick => Woken::Bookmark,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Versioned for u64 {
        fn rv(&self) -> u64 {
            *self
        }
    }

    fn rvs<'a>(items: impl Iterator<Item = &'a u64>) -> Vec<u64> {
        items.copied().collect()
    }

    #[test]
    fn the_window_keeps_the_last_items_and_reports_expiry() {
        let mut w = RvWindow::new(3, 10);
        assert_eq!(rvs(w.after(10, 10, 10).unwrap()), Vec::<u64>::new());
        assert_eq!(w.after(5, 10, 10).err(), Some(Expired { oldest: 11 }));
        for rv in 11..=15 {
            w.push(rv);
        }
        assert_eq!(rvs(w.after(12, 15, 10).unwrap()), [13, 14, 15]);
        assert_eq!(rvs(w.after(13, 15, 1).unwrap()), [14]);
        assert_eq!(w.after(11, 15, 10).err(), Some(Expired { oldest: 13 }));
        assert_eq!(rvs(w.after(15, 15, 10).unwrap()), Vec::<u64>::new());
        assert_eq!(rvs(w.after(99, 15, 10).unwrap()), Vec::<u64>::new());
    }

    /// Regression: numbers reserved elsewhere leave gaps; a watcher must still see every later
    /// item (positions used to be computed as offsets, skipping items after a gap).
    #[test]
    fn gaps_in_resource_versions_lose_no_item() {
        let mut w = RvWindow::new(3, 10);
        for rv in [11, 20, 21] {
            w.push(rv);
        }
        assert_eq!(rvs(w.after(11, 21, 10).unwrap()), [20, 21]);
        assert_eq!(rvs(w.after(15, 21, 10).unwrap()), [20, 21]);
        w.push(30);
        assert_eq!(rvs(w.after(15, 30, 10).unwrap()), [20, 21, 30]);
        assert_eq!(w.after(10, 30, 10).err(), Some(Expired { oldest: 20 }));
    }

    #[test]
    fn the_expiry_status_is_a_410() {
        let event = too_old(5, 43);
        assert_eq!(event.event_type, WatchEventType::Error);
        let status = &event.object;
        assert_eq!(
            (status["code"].clone(), status["reason"].clone()),
            (serde_json::json!(410), serde_json::json!("Expired"))
        );
        assert_eq!(status["message"], "too old resource version: 5 (42)");
    }

    #[test]
    fn resource_versions_parse_with_unset_and_zero_meaning_now() {
        for now in [None, Some(""), Some(" "), Some("0")] {
            assert_eq!(parse_rv(now), Ok(None));
        }
        assert_eq!(parse_rv(Some(" 42 ")), Ok(Some(42)));
        assert_eq!(parse_rv(Some("x1")), Err("invalid resource version: \"x1\"".to_string()));
    }

    #[test]
    fn bookmarks_carry_the_resource_version_and_the_initial_events_end() {
        let b = bookmark("example.dev/v1", "Thing", 7, false);
        assert_eq!(b.event_type, WatchEventType::Bookmark);
        assert_eq!(
            *b.object,
            json!({"apiVersion": "example.dev/v1", "kind": "Thing", "metadata": {"resourceVersion": "7"}})
        );
        let end = bookmark("example.dev/v1", "Thing", 7, true);
        assert_eq!(end.object["metadata"]["annotations"], json!({"k8s.io/initial-events-end": "true"}));
    }
}
