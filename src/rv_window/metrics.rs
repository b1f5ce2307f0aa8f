//! Watch metrics, through the `metrics` facade (rendered on `/metrics`). `resource` is the plural
//! of the watched resource; `window` names an event window: the porch.kpt.dev resource it holds
//! the changes of, or `store` for the embedded store's (standalone mode: every kind it stores).
//!
//! - `porch_watchers{resource}` (gauge): watches open now;
//! - `porch_watch_events_sent_total{resource}`: events handed to watch connections (changes,
//!   BOOKMARKs and ERROR events), each counted once per watch it goes to;
//! - `porch_watch_expired_total{resource}`: watches ended with a 410 `Expired` ERROR event
//!   because the window no longer held the changes after their position: a watcher too slow for
//!   the rate of changes, or one resuming from a resourceVersion older than the window. Its
//!   client lists again;
//! - `porch_watch_window_events{window}` (gauge): the changes a window holds now;
//! - `porch_watch_window_evictions_total{window, reason}`: changes dropped from a window to make
//!   room, `reason` `count` (the window's limit of changes, `--watch-event-window`) or `bytes`
//!   (the byte budget all windows share, `--watch-event-window-bytes`);
//! - `porch_watch_window_bytes` (gauge): the bytes all windows hold together now, as the budget
//!   counts them (each JSON object once, however many windows hold it).

/// The gauge of open watches.
pub(crate) const WATCHERS: &str = "porch_watchers";
/// The counter of events sent.
pub(crate) const EVENTS_SENT: &str = "porch_watch_events_sent_total";
/// The counter of watches that fell out of their window.
pub(crate) const EXPIRED: &str = "porch_watch_expired_total";
/// The gauge of changes per window.
pub(crate) const WINDOW_EVENTS: &str = "porch_watch_window_events";
/// The counter of changes evicted from windows.
pub(crate) const WINDOW_EVICTIONS: &str = "porch_watch_window_evictions_total";
/// The gauge of bytes in all windows.
pub(crate) const WINDOW_BYTES: &str = "porch_watch_window_bytes";

/// Counts one watch in `porch_watchers{resource}` while it lives.
pub(crate) struct WatcherGauge(&'static str);

impl WatcherGauge {
    /// Counts a watch of `resource` (its plural).
    pub(crate) fn new(resource: &'static str) -> Self {
        metrics::gauge!(WATCHERS, "resource" => resource).increment(1.0);
        Self(resource)
    }
}

impl Drop for WatcherGauge {
    fn drop(&mut self) {
        metrics::gauge!(WATCHERS, "resource" => self.0).decrement(1.0);
    }
}

/// The counter of events sent to watches of `resource` (one handle per watch, incremented per
/// event).
pub(crate) fn events_sent(resource: &'static str) -> metrics::Counter {
    metrics::counter!(EVENTS_SENT, "resource" => resource)
}

/// A watch of `resource` fell out of its window.
pub(crate) fn expired(resource: &'static str) {
    metrics::counter!(EXPIRED, "resource" => resource).increment(1);
}

/// Window `window` holds `events` changes now, after evicting `by_count` for its count limit and
/// `by_bytes` for the byte budget.
pub(super) fn window(window: &'static str, events: usize, by_count: u64, by_bytes: u64) {
    metrics::gauge!(WINDOW_EVENTS, "window" => window).set(events as f64);
    if by_count > 0 {
        metrics::counter!(WINDOW_EVICTIONS, "window" => window, "reason" => "count").increment(by_count);
    }
    if by_bytes > 0 {
        metrics::counter!(WINDOW_EVICTIONS, "window" => window, "reason" => "bytes").increment(by_bytes);
    }
}

/// The windows of a budget hold `bytes` together now.
pub(super) fn window_bytes(bytes: usize) {
    metrics::gauge!(WINDOW_BYTES).set(bytes as f64);
}
