//! What a [`WatcherManager`](super::WatcherManager) and its watchers share: the window of recent
//! changes and the current object of every name behind one lock, the notifications watchers
//! sleep on, and what a watch asks for ([`WatchRequest`]).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use super::change::Change;
use crate::json_object::JsonObject;
use crate::rv_window::budget::Trim;
use crate::rv_window::{EventBudget, RvWindow};

/// Whether a watcher wants an object (its label and field selectors). A watch without
/// selectors wants every object and never looks at one ([`Matcher::all`]): the same change goes to
/// thousands of such watchers.
#[derive(Clone)]
pub struct Matcher(Option<Arc<Wants>>);

/// A watch's selectors as one predicate.
type Wants = dyn Fn(&Value) -> bool + Send + Sync;

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Matcher(selectors)" } else { "Matcher(all)" })
    }
}

impl Matcher {
    /// Wants every object.
    #[must_use]
    pub fn all() -> Self {
        Self(None)
    }

    /// Wants the objects `wants` says yes to.
    pub fn new(wants: impl Fn(&Value) -> bool + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(wants)))
    }

    /// Whether `object` is wanted (decoded only when there is a selector to apply).
    pub(super) fn matches(&self, object: &JsonObject) -> bool {
        self.0.as_ref().is_none_or(|wants| wants(&object.object()))
    }
}

/// What a watch asks for.
#[derive(Clone)]
pub struct WatchRequest {
    /// Only objects of this namespace (`None`: all).
    pub namespace: Option<String>,
    /// The selectors.
    pub matches: Matcher,
    /// `resourceVersion`: unset or `"0"` starts from the current state.
    pub resource_version: Option<String>,
    /// `sendInitialEvents`: the current state first, then the initial-events-end bookmark.
    pub send_initial_events: bool,
    /// `allowWatchBookmarks`.
    pub allow_bookmarks: bool,
}

impl std::fmt::Debug for WatchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchRequest")
            .field("namespace", &self.namespace)
            .field("resource_version", &self.resource_version)
            .field("send_initial_events", &self.send_initial_events)
            .field("allow_bookmarks", &self.allow_bookmarks)
            .finish_non_exhaustive()
    }
}

/// How many of the newest changes keep their objects, before and after, decoded
/// ([`JsonObject`](crate::json_object::JsonObject)): those every watcher that keeps up reads.
pub(super) const RECENT: usize = 64;

/// What the manager holds behind its lock.
pub(super) struct State {
    pub(super) window: RvWindow<Arc<Change>>,
    /// The last change of every object that exists, by namespace and name.
    pub(super) current: BTreeMap<(String, String), Arc<Change>>,
    /// The last [`RECENT`] changes, whose objects (before and after) are kept decoded (older ones
    /// are cooled).
    pub(super) recent: VecDeque<Arc<Change>>,
    /// The newest resourceVersion the source has accounted for.
    pub(super) rv: u64,
}

/// What the manager and its watchers share.
pub(super) struct Inner {
    /// The resource's plural (the gauge label).
    pub(super) resource: &'static str,
    /// `apiVersion` and `kind` of bookmarks.
    pub(super) api_version: &'static str,
    pub(super) kind: &'static str,
    pub(super) state: RwLock<State>,
    /// Carries the resourceVersion of the newest change; watchers wait on it.
    pub(super) notify: watch::Sender<u64>,
    /// Carries the newest resourceVersion accounted for (changes of other resources too): what
    /// a watch from a resourceVersion not reached yet waits on.
    pub(super) progress: watch::Sender<u64>,
    /// The budget the window shares.
    pub(super) budget: EventBudget,
    pub(super) bookmark_interval: Duration,
    pub(super) watchers: AtomicUsize,
    /// Turns true when the server shuts down: each watcher sends what is left, a last BOOKMARK
    /// (when asked for bookmarks), and ends.
    pub(super) closing: watch::Sender<bool>,
}

impl Inner {
    pub(super) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Trim for Inner {
    fn trim(&self) {
        self.write().window.trim();
    }
}
