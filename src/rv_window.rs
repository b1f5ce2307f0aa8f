//! A window of the most recent items (changes) in resourceVersion order, from which a watch
//! resumes after any resourceVersion still covered. Numbers need not be contiguous — the
//! server-wide counter is shared, so each window sees gaps — so positions are found by search.
//! A window keeps at most a number of items, and all windows together at most the bytes of their
//! [`EventBudget`] (`budget`; what an item holds is estimated by `size`).
//! Also the pieces every watch served from such a window shares: parsing its `resourceVersion`,
//! the bookmark ticks and events, the 410 and `Too large resource version` ERROR events, the
//! waits, and the watch metrics (`metrics`).

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Status, StatusCause, StatusDetails};
use porch_layers::{WatchEvent, WatchEventType};
use serde_json::{Value, json};
use tokio::time::{Instant, Interval, MissedTickBehavior};

pub(crate) mod budget;
pub(crate) mod metrics;
pub(crate) mod size;

pub(crate) use budget::DEFAULT_EVENT_WINDOW_BYTES;
pub use budget::EventBudget;
use budget::{Trim, WindowId};
pub(crate) use metrics::WatcherGauge;

/// How many window items a watcher takes per lock acquisition.
pub(crate) const CHUNK: usize = 1024;

/// How many bytes of window items a watcher takes per lock acquisition (at least one item): what
/// a watcher that does not keep up holds beyond the window.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

/// How long a watch from a resourceVersion newer than the current one waits for it before its
/// `Too large resource version` ERROR event (kube-apiserver's watch cache waits 3 s).
pub(crate) const TOO_LARGE_WAIT: Duration = Duration::from_secs(3);

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

/// What a window item holds, for the [`EventBudget`].
pub(crate) trait Charged {
    /// The bytes only this item holds.
    fn own_bytes(&self) -> usize;
    /// The JSON values it holds that other items may hold too (each counted once).
    fn shared_values(&self) -> Vec<&Arc<Value>>;
    /// Called once the item is admitted, with its entry in the budget (for what it builds
    /// later: [`Account::grow`]).
    fn admitted(&self, _account: Account) {}
}

impl<T: Charged> Charged for Arc<T> {
    fn own_bytes(&self) -> usize {
        (**self).own_bytes()
    }
    fn shared_values(&self) -> Vec<&Arc<Value>> {
        (**self).shared_values()
    }
    fn admitted(&self, account: Account) {
        (**self).admitted(account);
    }
}

/// An item's entry in its budget: for the bytes it builds after its admission.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    budget: EventBudget,
    ticket: u64,
}

impl Account {
    /// Counts `bytes` more for the item (while its window holds it) and has the windows drop what
    /// that evicts. Call it with no window lock held.
    pub(crate) fn grow(&self, bytes: usize) {
        self.budget.grow(self.ticket, bytes);
        self.budget.settle();
    }
}

/// A resourceVersion older than the window: the items after it are gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expired {
    /// The oldest resourceVersion still in the window.
    pub(crate) oldest: u64,
}

/// One item of a window.
#[derive(Debug)]
struct Slot<T> {
    ticket: u64,
    size: usize,
    item: T,
}

/// The last items in resourceVersion order: at most `capacity` of them, and together with the
/// other windows of its [`EventBudget`] at most the budget's bytes.
#[derive(Debug)]
pub(crate) struct RvWindow<T> {
    items: VecDeque<Slot<T>>,
    capacity: usize,
    /// The newest resourceVersion whose item may be missing (evicted, or from before the
    /// start): a watch may resume after it, not before it.
    horizon: u64,
    budget: EventBudget,
    id: WindowId,
    /// The window's name in the metrics.
    name: &'static str,
}

impl<T> Drop for RvWindow<T> {
    fn drop(&mut self) {
        self.budget.forget(self.id);
    }
}

impl<T: Versioned + Charged> RvWindow<T> {
    /// An empty window of `capacity` items after resourceVersion `start`, sharing `budget`,
    /// called `name` in the metrics.
    pub(crate) fn new(name: &'static str, capacity: usize, start: u64, budget: &EventBudget) -> Self {
        let id = budget.register();
        let items = VecDeque::new();
        Self { items, capacity: capacity.max(1), horizon: start, budget: budget.clone(), id, name }
    }

    /// Lets the budget have `owner` drop this window's evicted items (`owner` locks the window and
    /// calls [`RvWindow::trim`]).
    pub(crate) fn attach(&self, owner: Weak<dyn Trim>) {
        self.budget.attach(self.id, owner);
    }

    /// Appends an item (newer than every other); the oldest go when the window is full or the
    /// budget is spent. Then, with no window lock held, call [`EventBudget::settle`] so that the
    /// other windows drop what this evicted of theirs.
    pub(crate) fn push(&mut self, item: T) {
        let (ticket, size) = self.budget.admit(self.id, item.own_bytes(), item.shared_values());
        item.admitted(Account { budget: self.budget.clone(), ticket });
        self.items.push_back(Slot { ticket, size, item });
        let mut by_count = 0;
        while self.items.len() > self.capacity {
            if let Some(evicted) = self.items.pop_front() {
                self.budget.release(evicted.ticket);
                self.horizon = evicted.item.rv();
                by_count += 1;
            }
        }
        let by_bytes = self.drop_evicted();
        metrics::window(self.name, self.items.len(), by_count, by_bytes);
    }

    /// Drops every item: a watch may resume only after `rv` from now on.
    pub(crate) fn restart(&mut self, rv: u64) {
        for slot in self.items.drain(..) {
            self.budget.release(slot.ticket);
        }
        self.horizon = self.horizon.max(rv);
        metrics::window(self.name, 0, 0, 0);
    }

    /// Drops the items the budget evicted.
    pub(crate) fn trim(&mut self) {
        let by_bytes = self.drop_evicted();
        metrics::window(self.name, self.items.len(), 0, by_bytes);
    }

    /// Drops the items the budget evicted; returns how many.
    fn drop_evicted(&mut self) -> u64 {
        let evicted = self.budget.evicted(self.id);
        let mut dropped = 0;
        while let Some(front) = self.items.front().filter(|slot| slot.ticket <= evicted) {
            self.horizon = front.item.rv();
            self.items.pop_front();
            dropped += 1;
        }
        dropped
    }

    /// The resourceVersion of the newest item, if any.
    pub(crate) fn newest(&self) -> Option<u64> {
        self.items.back().map(|slot| slot.item.rv())
    }

    /// The items after `after` (`current` is the newest resourceVersion accounted for): up to
    /// `CHUNK` of them, and no more than `CHUNK_BYTES` beyond the first.
    pub(crate) fn after(&self, after: u64, current: u64) -> Result<impl Iterator<Item = &T>, Expired> {
        if after < current && after < self.horizon {
            return Err(Expired { oldest: self.items.front().map_or(self.horizon + 1, |s| s.item.rv()) });
        }
        let skip = self.items.partition_point(|slot| slot.item.rv() <= after);
        let mut bytes = 0;
        Ok(self
            .items
            .iter()
            .skip(skip)
            .take(CHUNK)
            .take_while(move |slot| {
                let more = bytes < CHUNK_BYTES;
                bytes += slot.size;
                more
            })
            .map(|slot| &slot.item))
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

/// The ERROR event a watch of `resource` from an expired resourceVersion gets (a 410 `Expired`
/// Status); the watch ends with it, and is counted in `porch_watch_expired_total`.
pub(crate) fn too_old(resource: &'static str, requested: u64, oldest: u64) -> WatchEvent {
    metrics::expired(resource);
    let message = format!("too old resource version: {requested} ({})", oldest.saturating_sub(1));
    WatchEvent::new(WatchEventType::Error, porch_layers::ApiError::expired(message).to_json())
}

/// The ERROR event a watch from a resourceVersion newer than the current one gets once
/// [`TOO_LARGE_WAIT`] has passed: kube-apiserver's `Too large resource version` Status (504
/// `Timeout`, cause `ResourceVersionTooLarge`, retry after 1 s), which client-go and kube-rs
/// answer with a relist.
pub(crate) fn too_large(requested: u64, current: u64) -> WatchEvent {
    let status = Status {
        code: Some(504),
        reason: Some("Timeout".to_string()),
        message: Some(format!("Timeout: Too large resource version: {requested}, current: {current}")),
        status: Some("Failure".to_string()),
        details: Some(StatusDetails {
            causes: Some(vec![StatusCause {
                reason: Some("ResourceVersionTooLarge".to_string()),
                message: Some("Too large resource version".to_string()),
                field: None,
            }]),
            retry_after_seconds: Some(1),
            ..StatusDetails::default()
        }),
        metadata: Default::default(),
    };
    WatchEvent::new(WatchEventType::Error, porch_layers::status::status_json(&status))
}

/// Waits until `rx` (a window's newest resourceVersion) reaches `wanted`, for at most
/// [`TOO_LARGE_WAIT`]; the error is the newest resourceVersion when the time is up.
pub(crate) async fn wait_for(rx: &mut tokio::sync::watch::Receiver<u64>, wanted: u64) -> Result<(), u64> {
    let reached = tokio::time::timeout(TOO_LARGE_WAIT, rx.wait_for(|rv| *rv >= wanted)).await;
    if matches!(reached, Ok(Ok(_))) {
        return Ok(());
    }
    drop(reached);
    Err(*rx.borrow())
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
/// (A watch that must end early is woken through `rx` too, and checks why itself.)
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

    impl Charged for u64 {
        fn own_bytes(&self) -> usize {
            8
        }
        fn shared_values(&self) -> Vec<&Arc<Value>> {
            Vec::new()
        }
    }

    fn rvs<'a>(items: impl Iterator<Item = &'a u64>) -> Vec<u64> {
        items.copied().collect()
    }

    #[test]
    fn the_window_keeps_the_last_items_and_reports_expiry() {
        let mut w = RvWindow::new("test", 3, 10, &EventBudget::default());
        assert_eq!(rvs(w.after(10, 10).unwrap()), Vec::<u64>::new());
        assert_eq!(w.after(5, 10).err(), Some(Expired { oldest: 11 }));
        for rv in 11..=15 {
            w.push(rv);
        }
        assert_eq!(rvs(w.after(12, 15).unwrap()), [13, 14, 15]);
        assert_eq!(rvs(w.after(13, 15).unwrap()), [14, 15]);
        assert_eq!(w.after(11, 15).err(), Some(Expired { oldest: 13 }));
        assert_eq!(rvs(w.after(15, 15).unwrap()), Vec::<u64>::new());
        assert_eq!(rvs(w.after(99, 15).unwrap()), Vec::<u64>::new());
    }

    /// Regression: numbers reserved elsewhere leave gaps; a watcher must still see every later
    /// item (positions used to be computed as offsets, skipping items after a gap).
    #[test]
    fn gaps_in_resource_versions_lose_no_item() {
        let mut w = RvWindow::new("test", 3, 10, &EventBudget::default());
        for rv in [11, 20, 21] {
            w.push(rv);
        }
        assert_eq!(rvs(w.after(11, 21).unwrap()), [20, 21]);
        assert_eq!(rvs(w.after(15, 21).unwrap()), [20, 21]);
        w.push(30);
        assert_eq!(rvs(w.after(15, 30).unwrap()), [20, 21, 30]);
        assert_eq!(w.after(10, 30).err(), Some(Expired { oldest: 20 }));
    }

    #[test]
    fn the_expiry_status_is_a_410() {
        let event = too_old("things", 5, 43);
        assert_eq!(event.event_type, WatchEventType::Error);
        let status = &event.object;
        assert_eq!(
            (status["code"].clone(), status["reason"].clone()),
            (serde_json::json!(410), serde_json::json!("Expired"))
        );
        assert_eq!(status["message"], "too old resource version: 5 (42)");
    }

    /// The Status kube-apiserver's watch cache sends for a resourceVersion it has not reached
    /// (`storage.NewTooLargeResourceVersionError`): client-go relists on exactly this cause.
    #[test]
    fn the_too_large_status_is_kube_apiservers() {
        let event = too_large(99, 42);
        assert_eq!(event.event_type, WatchEventType::Error);
        assert_eq!(
            *event.object,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": "Timeout: Too large resource version: 99, current: 42", "reason": "Timeout",
                   "details": {"causes": [{"reason": "ResourceVersionTooLarge",
                                           "message": "Too large resource version"}],
                               "retryAfterSeconds": 1},
                   "code": 504})
        );
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
