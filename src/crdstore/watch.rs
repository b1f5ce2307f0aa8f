//! watch: each watcher reads the shared event window after its own last resourceVersion and sleeps on a
//! `tokio::sync::watch` channel in between, so writers never wait for watchers and a slow watcher only
//! costs its own position and one chunk of events. A watcher that allows bookmarks gets one every
//! bookmark interval, and one whenever the window moved on with nothing for it (progress). A watcher that falls out of the window gets one ERROR
//! event (410 Expired); one from a resourceVersion the store has not reached waits for it a little, then
//! gets one ERROR event (`Too large resource version`).

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use serde_json::Value;
use tokio::time::Interval;

use super::filter::Filter;
use super::state::{LogEntry, Shared};
use super::{StoreError, StoredKind, WatchEvent, WatchEventType, WatchOptions, meta};
use crate::crdstore::Result;
use crate::json_object::JsonObject;
use crate::rv_window::{self, WatcherGauge, Woken, idle};

/// The events of one watch; dropping it releases everything.
pub struct WatchStream {
    inner: Pin<Box<dyn Stream<Item = WatchEvent> + Send + Sync>>,
}

impl fmt::Debug for WatchStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchStream").finish_non_exhaustive()
    }
}

impl Stream for WatchStream {
    type Item = WatchEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<WatchEvent>> {
        self.inner.as_mut().poll_next(cx)
    }
}

struct Watcher {
    shared: Arc<Shared>,
    kind: StoredKind,
    namespace: Option<String>,
    filter: Filter,
    position: u64,
    pending: VecDeque<WatchEvent>,
    rx: tokio::sync::watch::Receiver<u64>,
    bookmarks: Option<Interval>,
    /// A resourceVersion newer than the store's, to wait for before starting.
    waiting: Option<u64>,
    send_initial_events: bool,
    done: bool,
    _gauge: WatcherGauge,
}

/// Opens a watch (see [`Store::watch`](super::Store::watch)).
pub(crate) fn open(
    shared: Arc<Shared>,
    kind: StoredKind,
    namespace: Option<&str>,
    opts: WatchOptions,
) -> Result<WatchStream> {
    let filter = Filter::new(kind, opts.label_selector.as_ref(), opts.field_selector.as_ref())?;
    let from = rv_window::parse_rv(opts.resource_version.as_deref()).map_err(StoreError::BadRequest)?;
    let rx = shared.notify.subscribe();
    let namespace = namespace.filter(|_| kind.namespaced()).map(str::to_string);
    let bookmarks = opts.allow_bookmarks.then(|| rv_window::bookmark_ticks(shared.opts.bookmark_interval));
    let mut w = Watcher {
        shared: shared.clone(),
        kind,
        namespace,
        filter,
        position: 0,
        pending: VecDeque::new(),
        rx,
        bookmarks,
        waiting: None,
        send_initial_events: opts.send_initial_events,
        done: false,
        _gauge: WatcherGauge::new(kind.plural()),
    };
    match from {
        Some(rv) if rv > shared.read().rv => w.waiting = Some(rv),
        _ => w.begin(from),
    }
    let sent = rv_window::metrics::events_sent(kind.plural());
    let inner = futures::stream::unfold(w, |mut w| async move { w.next_event().await.map(|e| (e, w)) });
    let inner = futures::StreamExt::inspect(inner, move |_| sent.increment(1));
    Ok(WatchStream { inner: Box::pin(inner) })
}

impl Watcher {
    /// Takes the starting position: after `from`, or the current state as ADDED events (for
    /// `from` unset, or `sendInitialEvents`).
    fn begin(&mut self, from: Option<u64>) {
        self.position = from.unwrap_or(0);
        if from.is_some() && !self.send_initial_events {
            return;
        }
        let state = self.shared.read();
        self.position = state.rv;
        for ((ns, _), obj) in state.index.map(self.kind) {
            if self.namespace.as_ref().is_none_or(|want| want == ns) {
                let obj = obj.object();
                if self.filter.matches(&obj) {
                    self.pending.push_back(WatchEvent::new(WatchEventType::Added, obj));
                }
            }
        }
        drop(state);
        if self.send_initial_events {
            let end = self.bookmark(true);
            self.pending.push_back(end);
        }
    }

    async fn next_event(&mut self) -> Option<WatchEvent> {
        if let Some(wanted) = self.waiting.take() {
            match rv_window::wait_for(&mut self.rx, wanted).await {
                Ok(()) => self.begin(Some(wanted)),
                Err(current) => {
                    self.done = true;
                    return Some(rv_window::too_large(wanted, current));
                }
            }
        }
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(e);
            }
            if self.done {
                return None;
            }
            self.rx.borrow_and_update();
            if self.fill() {
                // Only other objects changed: a watcher that takes bookmarks learns the
                // progress at once (the porch.kpt.dev watches follow the PackageRevs' watch, and
                // a read at a resourceVersion another kind reported waits for it).
                if self.pending.is_empty() && self.bookmarks.is_some() {
                    let b = self.bookmark(false);
                    self.pending.push_back(b);
                }
                continue;
            }
            match idle(&mut self.rx, self.bookmarks.as_mut()).await {
                Woken::Changed => {}
                Woken::Closed => self.done = true,
                Woken::Bookmark => {
                    let b = self.bookmark(false);
                    self.pending.push_back(b);
                }
            }
        }
    }

    /// Reads the window after `position`; returns whether there was anything to read.
    fn fill(&mut self) -> bool {
        let state = self.shared.read();
        let entries = match state.log.after(self.position, state.rv) {
            Ok(entries) => entries,
            Err(expired) => {
                self.pending.push_back(rv_window::too_old(self.kind.plural(), self.position, expired.oldest));
                self.done = true;
                return true;
            }
        };
        let before = self.position;
        for e in entries {
            self.position = e.rv;
            if let Some(ev) = self.convert(e) {
                self.pending.push_back(ev);
            }
        }
        self.position != before
    }

    /// What this watcher sees of a change, applying namespace and selectors to the old and new states.
    fn convert(&self, e: &LogEntry) -> Option<WatchEvent> {
        if e.kind != self.kind || self.namespace.as_ref().is_some_and(|ns| *ns != e.namespace) {
            return None;
        }
        let deleted = e.event_type == WatchEventType::Deleted;
        let everything = self.filter.is_everything();
        // The states are decoded only for selectors to look at (and the new one to be sent).
        let object = e.object.object();
        let prev = || e.prev.as_ref().map(JsonObject::object);
        let now = !deleted && self.filter.matches(&object);
        let before = match (deleted, everything) {
            (true, true) => true,
            (true, false) => self.filter.matches(&prev().unwrap_or_else(|| object.clone())),
            (false, true) => e.prev.is_some(),
            (false, false) => prev().is_some_and(|p| self.filter.matches(&p)),
        };
        let (event_type, object) = match (before, now) {
            (false, true) => (WatchEventType::Added, object),
            (true, true) => (WatchEventType::Modified, object),
            (true, false) if deleted => (WatchEventType::Deleted, object),
            (true, false) => {
                let mut last = prev().map_or(Value::Null, Arc::unwrap_or_clone);
                meta::set_resource_version(&mut last, e.rv);
                (WatchEventType::Deleted, Arc::new(last))
            }
            (false, false) => return None,
        };
        Some(WatchEvent::new(event_type, object))
    }

    fn bookmark(&self, initial_events_end: bool) -> WatchEvent {
        rv_window::bookmark(self.kind.api_version(), self.kind.kind(), self.position, initial_events_end)
    }
}
