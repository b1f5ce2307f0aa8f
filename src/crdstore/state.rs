//! The in-memory state every read is served from: one index per kind, the event window and the
//! current resourceVersion, behind one `RwLock`; plus the wake-up channel watchers wait on. The event
//! window shares the server's [`EventBudget`](crate::rv_window::EventBudget) with the other windows.
//!
//! Only the writer thread takes the write lock, briefly, after a batch is durable (see `writer`).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use porch_api::labels::INTERNAL_REPOSITORY_LABEL;
use serde_json::Value;

use super::{StoreOptions, StoredKind, WatchEventType};
use crate::json_object::JsonObject;
use crate::rv_window::Charged;
use crate::rv_window::budget::Trim;

/// An object's key inside its kind: (namespace, or `""` when cluster-scoped; name).
pub(crate) type Key = (String, String);

/// The current objects, one sorted map per kind, and the PackageRevs of each repository (by
/// their `internal.porch.kpt.dev/repository` label), so that the list of one repository's
/// PackageRevs (what the PackageRev GC reads after every sync) does not scan every PackageRev.
#[derive(Debug, Default)]
pub(crate) struct Index {
    maps: [BTreeMap<Key, JsonObject>; 5],
    /// (namespace, repository label, name) of every labelled PackageRev.
    package_revs_by_repository: BTreeSet<(String, String, String)>,
    /// The repository label of every labelled PackageRev, by key (to unindex it without
    /// decoding the object it replaces).
    repository_of: HashMap<Key, String>,
}

fn slot(kind: StoredKind) -> usize {
    match kind {
        StoredKind::Repository => 0,
        StoredKind::PackageRev => 1,
        StoredKind::Secret => 2,
        StoredKind::Namespace => 3,
        StoredKind::FunctionConfig => 4,
    }
}

/// The repository label of a PackageRev, read from its JSON without building the object (a
/// write indexes every PackageRev it stores; decoding each whole would cost more than the write).
fn repository_label(json: &[u8]) -> Option<String> {
    serde_json::from_slice::<Labelled>(json).ok()?.repository()
}

/// What the index reads of a PackageRev's JSON: its labels.
#[derive(serde::Deserialize)]
pub(crate) struct Labelled {
    #[serde(default)]
    metadata: Labels,
}

#[derive(serde::Deserialize, Default)]
struct Labels {
    #[serde(default)]
    labels: Option<HashMap<String, serde_json::Value>>,
}

impl Labelled {
    /// The value of the repository label, if it has one that is a string.
    pub(crate) fn repository(self) -> Option<String> {
        match self.metadata.labels?.remove(INTERNAL_REPOSITORY_LABEL)? {
            serde_json::Value::String(repository) => Some(repository),
            _ => None,
        }
    }
}

impl Index {
    /// The objects of `kind`.
    pub(crate) fn map(&self, kind: StoredKind) -> &BTreeMap<Key, JsonObject> {
        &self.maps[slot(kind)]
    }

    /// One object.
    pub(crate) fn get(&self, kind: StoredKind, ns: &str, name: &str) -> Option<&JsonObject> {
        self.map(kind).get(&(ns.to_string(), name.to_string()))
    }

    /// Stores `object` under `key`, replacing what was there.
    pub(crate) fn insert(&mut self, kind: StoredKind, key: Key, object: JsonObject) {
        let repository = (kind == StoredKind::PackageRev).then(|| repository_label(object.json())).flatten();
        self.insert_labelled(kind, key, object, repository);
    }

    /// [`insert`](Self::insert) of an object whose repository label (a PackageRev's) was read
    /// already.
    pub(crate) fn insert_labelled(
        &mut self,
        kind: StoredKind,
        key: Key,
        object: JsonObject,
        repository: Option<String>,
    ) {
        if kind == StoredKind::PackageRev {
            self.unlabel(&key);
            if let Some(repository) = repository {
                self.package_revs_by_repository.insert((key.0.clone(), repository.clone(), key.1.clone()));
                self.repository_of.insert(key.clone(), repository);
            }
        }
        self.maps[slot(kind)].insert(key, object);
    }

    /// Removes the object under `key`.
    pub(crate) fn remove(&mut self, kind: StoredKind, key: &Key) {
        if kind == StoredKind::PackageRev {
            self.unlabel(key);
        }
        self.maps[slot(kind)].remove(key);
    }

    /// Forgets the repository label of the PackageRev under `key`.
    fn unlabel(&mut self, key: &Key) {
        if let Some(repository) = self.repository_of.remove(key) {
            self.package_revs_by_repository.remove(&(key.0.clone(), repository, key.1.clone()));
        }
    }

    /// The keys of the PackageRevs of `namespace` labelled with `repository`, in key order.
    pub(crate) fn package_revs_of(&self, namespace: &str, repository: &str) -> Vec<Key> {
        let from = (namespace.to_string(), repository.to_string(), String::new());
        self.package_revs_by_repository
            .range(from..)
            .take_while(|(ns, repo, _)| ns == namespace && repo == repository)
            .map(|(ns, _, name)| (ns.clone(), name.clone()))
            .collect()
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
    pub(crate) object: JsonObject,
    /// The state before the change (`None` on creation).
    pub(crate) prev: Option<JsonObject>,
}

/// The last changes, for watches to resume from.
pub(crate) type EventLog = crate::rv_window::RvWindow<LogEntry>;

impl crate::rv_window::Versioned for LogEntry {
    fn rv(&self) -> u64 {
        self.rv
    }
}

impl Charged for LogEntry {
    /// The entry and the JSON of both states (the index may share them).
    fn own_bytes(&self) -> usize {
        std::mem::size_of::<LogEntry>()
            + self.namespace.capacity()
            + self.object.json().len()
            + self.prev.as_ref().map_or(0, |p| p.json().len())
    }

    fn shared_values(&self) -> Vec<&Arc<Value>> {
        Vec::new()
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
    /// The objects of the newest changes (at most [`HOT_CHANGES`] of them, and
    /// [`HOT_BYTES`] of JSON, beyond the newest one), kept as written (decoded): their watchers
    /// and the next update of the same object read them soon after.
    recent: VecDeque<JsonObject>,
    /// The JSON bytes of `recent`.
    recent_bytes: usize,
}

/// How many of the newest changes keep their objects decoded.
const HOT_CHANGES: usize = 1024;
/// How much JSON the kept objects may add up to (their trees are a few times larger): about a
/// thousand PackageRevs, or two objects of 1 MiB.
const HOT_BYTES: usize = 2 << 20;

impl State {
    /// Applies a durable change: index, event window, resourceVersion.
    pub(crate) fn apply(&mut self, entry: LogEntry, name: &str) {
        self.recent_bytes += entry.object.json().len();
        self.recent.push_back(entry.object.clone());
        while self.recent.len() > HOT_CHANGES || (self.recent_bytes > HOT_BYTES && self.recent.len() > 1) {
            let Some(old) = self.recent.pop_front() else { break };
            self.recent_bytes -= old.json().len();
            old.cool();
        }
        let key = (entry.namespace.clone(), name.to_string());
        if entry.event_type == WatchEventType::Deleted {
            self.index.remove(entry.kind, &key);
        } else {
            self.index.insert(entry.kind, key, entry.object.clone());
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
}

impl Shared {
    /// State loaded at open; its event window joins the budget of `opts`.
    pub(crate) fn new(index: Index, rv: u64, opts: StoreOptions) -> Arc<Shared> {
        let log = EventLog::new("store", opts.event_window, rv, &opts.event_budget);
        let (notify, _) = tokio::sync::watch::channel(rv);
        Arc::new_cyclic(|me: &Weak<Shared>| {
            log.attach(me.clone());
            Shared {
                state: RwLock::new(State { index, log, rv, recent: VecDeque::new(), recent_bytes: 0 }),
                notify,
                opts,
            }
        })
    }

    /// A read guard (never held across an await).
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The write guard (writer thread only, and the budget's [`Trim`]).
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Trim for Shared {
    fn trim(&self) {
        self.write().log.trim();
    }
}
