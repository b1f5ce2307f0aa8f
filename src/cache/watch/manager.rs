//! [`WatcherManager`]: the handle of one resource's watches: the source publishes its changes
//! into the shared [`state`](super::state), and each watch opens a [`watcher`](super::watcher)
//! over it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use porch_layers::ApiError;
use porch_layers::request::WatchStream;
use tokio::sync::watch;

use super::change::{Change, ChangeType};
use super::state::{Inner, RECENT, State, WatchRequest};
use super::watcher::{self, Start};
use crate::json_object::JsonObject;
use crate::rv_window::{self, EventBudget, RvWindow, Versioned};

/// The watches of one resource. Cheap to clone.
#[derive(Clone)]
pub struct WatcherManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for WatcherManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatcherManager")
            .field("resource", &self.inner.resource)
            .field("watchers", &self.watchers())
            .finish_non_exhaustive()
    }
}

impl WatcherManager {
    /// A manager for `resource` (its plural; bookmarks are `api_version`/`kind` objects) keeping
    /// the last `window` changes within `budget` (shared with other windows), starting after
    /// resourceVersion `start`.
    pub fn new(
        resource: &'static str,
        api_version: &'static str,
        kind: &'static str,
        window: usize,
        budget: &EventBudget,
        bookmark_interval: Duration,
        start: u64,
    ) -> Self {
        let window = RvWindow::new(resource, window, start, budget);
        let (notify, _) = watch::channel(start);
        let (progress, _) = watch::channel(start);
        let inner = Arc::new_cyclic(|me: &Weak<Inner>| {
            window.attach(me.clone());
            Inner {
                resource,
                api_version,
                kind,
                state: RwLock::new(State {
                    window,
                    current: BTreeMap::new(),
                    recent: VecDeque::with_capacity(RECENT + 1),
                    rv: start,
                }),
                notify,
                progress,
                budget: budget.clone(),
                bookmark_interval,
                watchers: AtomicUsize::new(0),
                closing: watch::channel(false).0,
            }
        });
        Self { inner }
    }

    /// Ends every watch, now and later: each sends the changes it has not sent yet, then a
    /// BOOKMARK at the resourceVersion it is complete up to (when it asked for bookmarks), so
    /// that its client resumes from there without a new list (server shutdown).
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
        // Wake every waiting watcher through the channel it waits on anyway (one registration
        // per wait, not two on channels shared by every watcher); each then sees `closing`.
        self.inner.notify.send_modify(|_| {});
    }

    /// Publishes a change (its resourceVersion above every earlier one) to every watcher.
    pub fn publish(&self, change: Change) {
        let change = Arc::new(change);
        let rv = change.rv;
        // Every watcher's selectors look at both states of a new change.
        change.prev.iter().for_each(JsonObject::keep);
        {
            let mut state = self.inner.write();
            let key = (change.namespace.clone(), change.name.clone());
            if change.change_type == ChangeType::Deleted {
                state.current.remove(&key);
            } else {
                state.current.insert(key, change.clone());
            }
            state.recent.push_back(change.clone());
            if state.recent.len() > RECENT
                && let Some(old) = state.recent.pop_front()
            {
                old.object.cool();
                old.prev.iter().for_each(JsonObject::cool);
            }
            state.window.push(change);
            state.rv = state.rv.max(rv);
        }
        // The change may have evicted older ones of the other windows (no lock held now).
        self.inner.budget.settle();
        self.inner.notify.send_replace(rv);
        self.inner.progress.send_replace(rv);
    }

    /// Moves the resourceVersion on without a change of this resource (bookmarks report it).
    pub fn advance(&self, rv: u64) {
        let rv = {
            let mut state = self.inner.write();
            state.rv = state.rv.max(rv);
            state.rv
        };
        self.inner.progress.send_replace(rv);
    }

    /// Starts the window afresh after `rv` (its source lost track of the changes before): every
    /// watch from an earlier resourceVersion gets 410 Expired and lists again.
    pub fn restart(&self, rv: u64) {
        let rv = {
            let mut state = self.inner.write();
            state.window.restart(rv);
            state.rv = state.rv.max(rv);
            state.rv
        };
        self.inner.notify.send_replace(rv);
        self.inner.progress.send_replace(rv);
    }

    /// The object `namespace/name` as last published, if it exists.
    pub fn current(&self, namespace: &str, name: &str) -> Option<JsonObject> {
        let state = self.inner.read();
        state.current.get(&(namespace.to_string(), name.to_string())).map(|c| c.object.clone())
    }

    /// The newest resourceVersion accounted for.
    pub fn resource_version(&self) -> u64 {
        self.inner.read().rv
    }

    /// Waits until the resourceVersion has reached `rv`, [`rv_window::TOO_LARGE_WAIT`] at most;
    /// whether it did.
    pub async fn reached(&self, rv: u64) -> bool {
        if self.resource_version() >= rv {
            return true;
        }
        let mut progress = self.inner.progress.subscribe();
        rv_window::wait_for(&mut progress, rv).await.is_ok()
    }

    /// How many watches are open.
    pub fn watchers(&self) -> usize {
        self.inner.watchers.load(Ordering::Relaxed)
    }

    /// Opens a watch (see the [module docs](super)).
    ///
    /// # Errors
    /// 400 for a `resourceVersion` that is not a number.
    pub fn watch(&self, request: WatchRequest) -> Result<WatchStream, ApiError> {
        let from = rv_window::parse_rv(request.resource_version.as_deref()).map_err(ApiError::bad_request)?;
        let start = match (from, request.send_initial_events) {
            (_, true) => Start::InitialEvents { end_bookmark: true },
            (None, false) => Start::InitialEvents { end_bookmark: false },
            (Some(rv), false) => Start::After(rv),
        };
        let wait_for = from.filter(|&rv| rv > self.resource_version());
        Ok(watcher::open(self.inner.clone(), request, start, wait_for))
    }
}

impl Versioned for Change {
    fn rv(&self) -> u64 {
        self.rv
    }
}
