//! The in-memory state every read is served from: one index per kind, the event window and the
//! current resourceVersion, behind one `RwLock`; plus the wake-up channel watchers wait on.
//!
//! Only the writer thread takes the write lock, briefly, after a batch is durable (see `writer`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::Value;

use super::{StoreOptions, StoredKind, WatchEventType};

/// An object's key inside its kind: (namespace, or `""` when cluster-scoped; name).
pub(crate) type Key = (String, String);

/// The current objects, one sorted map per kind.
#[derive(Debug, Default)]
pub(crate) struct Index {
    maps: [BTreeMap<Key, Arc<Value>>; 4],
}

fn slot(kind: StoredKind) -> usize {
    match kind {
        StoredKind::Repository => 0,
        StoredKind::PackageRev => 1,
        StoredKind::Secret => 2,
        StoredKind::Namespace => 3,
    }
}

impl Index {
    /// The objects of `kind`.
    pub(crate) fn map(&self, kind: StoredKind) -> &BTreeMap<Key, Arc<Value>> {
        &self.maps[slot(kind)]
    }

    /// The objects of `kind`, mutably.
    pub(crate) fn map_mut(&mut self, kind: StoredKind) -> &mut BTreeMap<Key, Arc<Value>> {
        &mut self.maps[slot(kind)]
    }

    /// One object.
    pub(crate) fn get(&self, kind: StoredKind, ns: &str, name: &str) -> Option<&Arc<Value>> {
        self.map(kind).get(&(ns.to_string(), name.to_string()))
    }
}

/// One change as watchers see it.
#[derive(Debug, Clone)]
pub(crate) struct LogEntry {
    /// The resourceVersion the change took.
    pub(crate) rv: u64,
    /// The kind changed.
    pub(crate) kind: StoredKind,
    /// The object's namespace (`""` when cluster-scoped).
    pub(crate) namespace: String,
    /// `Added`, `Modified` or `Deleted`.
    pub(crate) event_type: WatchEventType,
    /// The new state (for `Deleted`: the last state, carrying the deletion's resourceVersion).
    pub(crate) object: Arc<Value>,
    /// The state before the change (`None` on creation).
    pub(crate) prev: Option<Arc<Value>>,
}

/// The last `capacity` events, in resourceVersion order. resourceVersions need not be
/// contiguous: numbers reserved for changes kept outside the store (the repository caches) leave
/// gaps, so positions are found by searching, never by offset.
#[derive(Debug)]
pub(crate) struct EventLog {
    entries: VecDeque<LogEntry>,
    capacity: usize,
    /// The newest resourceVersion whose event may be missing from the window (evicted, or from
    /// before the store was opened): a watch may resume after it, not before it.
    horizon: u64,
}

/// Why the events after a resourceVersion cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expired {
    /// The oldest resourceVersion still in the window.
    pub(crate) oldest: u64,
}

impl EventLog {
    fn new(capacity: usize, current_rv: u64) -> EventLog {
        EventLog { entries: VecDeque::new(), capacity: capacity.max(1), horizon: current_rv }
    }

    fn push(&mut self, e: LogEntry) {
        self.entries.push_back(e);
        while self.entries.len() > self.capacity {
            if let Some(evicted) = self.entries.pop_front() {
                self.horizon = evicted.rv;
            }
        }
    }

    /// Up to `max` events with resourceVersion > `after` (`current` is the store's resourceVersion).
    pub(crate) fn after(
        &self,
        after: u64,
        current: u64,
        max: usize,
    ) -> Result<impl Iterator<Item = &LogEntry>, Expired> {
        if after < current && after < self.horizon {
            let oldest = self.entries.front().map_or(self.horizon + 1, |e| e.rv);
            return Err(Expired { oldest });
        }
        let skip = self.entries.partition_point(|e| e.rv <= after);
        Ok(self.entries.iter().skip(skip).take(max))
    }
}

/// Everything behind the lock.
#[derive(Debug)]
pub(crate) struct State {
    /// Current objects.
    pub(crate) index: Index,
    /// Recent events.
    pub(crate) log: EventLog,
    /// The current (last used) resourceVersion.
    pub(crate) rv: u64,
}

impl State {
    /// Applies a durable change: index, event window, resourceVersion.
    pub(crate) fn apply(&mut self, entry: LogEntry, name: &str) {
        let key = (entry.namespace.clone(), name.to_string());
        let map = self.index.map_mut(entry.kind);
        if entry.event_type == WatchEventType::Deleted {
            map.remove(&key);
        } else {
            map.insert(key, entry.object.clone());
        }
        self.rv = self.rv.max(entry.rv);
        self.log.push(entry);
    }
}

/// The state shared by the store handle, the writer thread and every watcher.
#[derive(Debug)]
pub(crate) struct Shared {
    state: RwLock<State>,
    /// Carries the latest resourceVersion; watchers wait on it.
    pub(crate) notify: tokio::sync::watch::Sender<u64>,
    /// The options the store was opened with.
    pub(crate) opts: StoreOptions,
    /// Who follows the resourceVersion sequence (published under the state's write lock).
    pub(crate) followers: super::sequence::Followers,
}

impl Shared {
    /// State loaded at open.
    pub(crate) fn new(index: Index, rv: u64, opts: StoreOptions) -> Shared {
        let log = EventLog::new(opts.event_window, rv);
        let (notify, _) = tokio::sync::watch::channel(rv);
        Shared { state: RwLock::new(State { index, log, rv }), notify, opts, followers: Default::default() }
    }

    /// A read guard (never held across an await).
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The write guard (writer thread only).
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rv: u64) -> LogEntry {
        LogEntry {
            rv,
            kind: StoredKind::Secret,
            namespace: "ns".into(),
            event_type: WatchEventType::Added,
            object: Arc::new(Value::Null),
            prev: None,
        }
    }

    #[test]
    fn the_window_keeps_the_last_events_and_reports_expiry() {
        let mut log = EventLog::new(3, 10);
        assert_eq!(log.after(10, 10, 10).unwrap().count(), 0);
        assert_eq!(log.after(5, 10, 10).err(), Some(Expired { oldest: 11 }));
        for rv in 11..=15 {
            log.push(entry(rv));
        }
        let rvs: Vec<u64> = log.after(12, 15, 10).unwrap().map(|e| e.rv).collect();
        assert_eq!(rvs, [13, 14, 15]);
        assert_eq!(log.after(13, 15, 1).unwrap().map(|e| e.rv).collect::<Vec<_>>(), [14]);
        assert_eq!(log.after(11, 15, 10).err(), Some(Expired { oldest: 13 }));
        assert_eq!(log.after(15, 15, 10).unwrap().count(), 0);
        assert_eq!(log.after(99, 15, 10).unwrap().count(), 0);
    }

    /// Regression: resourceVersions reserved for the repository caches leave gaps in the
    /// window; a watcher must still see every later event (it used to skip them by offset).
    #[test]
    fn gaps_in_resource_versions_lose_no_event() {
        let mut log = EventLog::new(3, 10);
        for rv in [11, 20, 21] {
            log.push(entry(rv));
        }
        assert_eq!(log.after(11, 21, 10).unwrap().map(|e| e.rv).collect::<Vec<_>>(), [20, 21]);
        assert_eq!(log.after(15, 21, 10).unwrap().map(|e| e.rv).collect::<Vec<_>>(), [20, 21]);
        log.push(entry(30));
        assert_eq!(log.after(15, 30, 10).unwrap().map(|e| e.rv).collect::<Vec<_>>(), [20, 21, 30]);
        assert_eq!(log.after(10, 30, 10).err(), Some(Expired { oldest: 20 }));
    }
}
