//! One watch: a position in the manager's window, its filters, and the events it still has to
//! send. It reads the window at its own pace and sleeps on the manager's notification in
//! between, so the source never waits for it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::StreamExt;
use porch_layers::WatchEvent;
use porch_layers::request::WatchStream;
use tokio::sync::watch;
use tokio::time::Interval;

use super::change::{Change, ChangeType};
use super::state::{Inner, Matcher, WatchRequest};
use crate::json_object::JsonObject;
use crate::rv_window::{self, WatcherGauge, Woken, idle};

/// Where a watch begins.
#[derive(Debug, Clone, Copy)]
pub(super) enum Start {
    /// ADDED for every matching object, then the changes (with the initial-events-end
    /// bookmark in between for `sendInitialEvents`).
    InitialEvents { end_bookmark: bool },
    /// The changes after this resourceVersion.
    After(u64),
}

/// What the watcher still has to send.
enum Pending {
    Event(WatchEvent),
    Change(Arc<Change>, ChangeType),
}

/// Counts the watch, in the manager and in `porch_watchers{resource}`, while it lives.
struct Registered {
    inner: Arc<Inner>,
    _gauge: WatcherGauge,
}

impl Registered {
    fn new(inner: Arc<Inner>) -> Self {
        inner.watchers.fetch_add(1, Ordering::Relaxed);
        Self { _gauge: WatcherGauge::new(inner.resource), inner }
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.inner.watchers.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Watcher {
    registered: Registered,
    namespace: Option<String>,
    matches: Matcher,
    position: u64,
    /// The last look at the window took everything up to its newest change, and nothing was
    /// published since (`rx` would say): no need to look again before waiting.
    caught_up: bool,
    pending: VecDeque<Pending>,
    rx: watch::Receiver<u64>,
    bookmarks: Option<Interval>,
    /// The server's shutdown: send what is left, a last bookmark, and end.
    closing: watch::Receiver<bool>,
    /// A resourceVersion the manager has not reached, to wait for before `start`.
    waiting: Option<(u64, Start)>,
    done: bool,
}

/// Opens a watch on `inner` (see [`WatcherManager::watch`](super::WatcherManager::watch)),
/// starting at `start` once the manager has reached `wait_for`.
pub(super) fn open(
    inner: Arc<Inner>,
    request: WatchRequest,
    start: Start,
    wait_for: Option<u64>,
) -> WatchStream {
    let rx = inner.notify.subscribe();
    let bookmarks = request.allow_bookmarks.then(|| rv_window::bookmark_ticks(inner.bookmark_interval));
    let mut w = Watcher {
        registered: Registered::new(inner.clone()),
        namespace: request.namespace,
        matches: request.matches,
        position: 0,
        caught_up: false,
        pending: VecDeque::new(),
        rx,
        bookmarks,
        closing: inner.closing.subscribe(),
        waiting: None,
        done: false,
    };
    match wait_for {
        Some(rv) => w.waiting = Some((rv, start)),
        None => w.begin(start),
    }
    let sent = rv_window::metrics::events_sent(inner.resource);
    futures::stream::unfold(w, |mut w| async move { w.next_event().await.map(|e| (e, w)) })
        .inspect(move |_| sent.increment(1))
        .boxed()
}

impl Watcher {
    fn visible(&self, namespace: &str) -> bool {
        self.namespace.as_deref().is_none_or(|want| want == namespace)
    }

    /// Takes the starting position (and the initial events).
    fn begin(&mut self, start: Start) {
        match start {
            Start::After(rv) => self.position = rv,
            Start::InitialEvents { end_bookmark } => {
                let state = self.registered.inner.read();
                self.position = state.rv;
                for change in state.current.values() {
                    if self.visible(&change.namespace) && self.matches.matches(&change.object) {
                        self.pending.push_back(Pending::Change(change.clone(), ChangeType::Added));
                    }
                }
                drop(state);
                if end_bookmark {
                    let bookmark = self.bookmark(true);
                    self.pending.push_back(Pending::Event(bookmark));
                }
            }
        }
    }

    async fn next_event(&mut self) -> Option<WatchEvent> {
        if let Some((wanted, start)) = self.waiting.take() {
            let mut progress = self.registered.inner.progress.subscribe();
            let reached = tokio::select! {
                reached = rv_window::wait_for(&mut progress, wanted) => reached,
                _ = self.closing.wait_for(|c| *c) => return None,
            };
            match reached {
                Ok(()) => self.begin(start),
                Err(current) => {
                    self.done = true;
                    return Some(rv_window::too_large(wanted, current));
                }
            }
        }
        loop {
            match self.pending.pop_front() {
                Some(Pending::Event(event)) => return Some(event),
                Some(Pending::Change(change, as_type)) => match change.event(as_type).await {
                    Some(event) => return Some(event),
                    None => continue,
                },
                None => {}
            }
            if self.done {
                return None;
            }
            if !self.caught_up {
                self.rx.borrow_and_update();
                if self.fill() {
                    continue;
                }
            }
            if *self.closing.borrow() {
                // Everything up to the position is sent: say so, and end.
                self.done = true;
                if self.bookmarks.is_some() {
                    return Some(self.bookmark(false));
                }
                continue;
            }
            match idle(&mut self.rx, self.bookmarks.as_mut()).await {
                Woken::Changed => self.caught_up = false,
                Woken::Closed => self.done = true,
                Woken::Bookmark => {
                    // Look again first: the source may have moved on without a change of this
                    // resource since (no notification), and the bookmark says how far.
                    self.fill();
                    let bookmark = self.bookmark(false);
                    self.pending.push_back(Pending::Event(bookmark));
                }
            }
        }
    }

    /// Takes the window's changes after the position; whether there was anything to take. Once
    /// it has taken the newest, the position moves on to the source's resourceVersion.
    fn fill(&mut self) -> bool {
        let state = self.registered.inner.read();
        let changes = match state.window.after(self.position, state.rv) {
            Ok(changes) => changes,
            Err(expired) => {
                self.pending.push_back(Pending::Event(rv_window::too_old(
                    self.registered.inner.resource,
                    self.position,
                    expired.oldest,
                )));
                self.done = true;
                return true;
            }
        };
        let before = self.position;
        for change in changes {
            self.position = change.rv;
            if let Some(as_type) = self.transition(change) {
                self.pending.push_back(Pending::Change(change.clone(), as_type));
            }
        }
        let took = self.position != before;
        self.caught_up = state.window.newest().is_none_or(|newest| newest <= self.position);
        if self.caught_up {
            // Everything up to the source's resourceVersion has been seen.
            self.position = self.position.max(state.rv);
        }
        took
    }

    /// What this watcher sees of a change: its namespace and selectors applied to the states
    /// before and after, so that an object starting or stopping to match arrives as ADDED or
    /// DELETED.
    fn transition(&self, change: &Change) -> Option<ChangeType> {
        if !self.visible(&change.namespace) {
            return None;
        }
        let matches = |object: &JsonObject| self.matches.matches(object);
        let (before, now) = match change.change_type {
            ChangeType::Deleted => (matches(&change.object), false),
            _ => (change.prev.as_ref().is_some_and(matches), matches(&change.object)),
        };
        match (before, now) {
            (false, true) => Some(ChangeType::Added),
            (true, true) => Some(ChangeType::Modified),
            (true, false) => Some(ChangeType::Deleted),
            (false, false) => None,
        }
    }

    fn bookmark(&self, initial_events_end: bool) -> WatchEvent {
        let inner = &self.registered.inner;
        rv_window::bookmark(inner.api_version, inner.kind, self.position, initial_events_end)
    }
}

#[cfg(test)]
#[path = "watcher_tests.rs"]
mod tests;
