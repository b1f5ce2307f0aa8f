//! [`RepositoryCache`]: the index of one Repository, its event channel, and the commit step that
//! turns a batch of changes into resourceVersions, index updates and events.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use git2::Oid;
use tokio::sync::broadcast;

use super::error::CacheError;
use super::index::{Change, Index, Planned};
use super::locks::{NewPackageLocks, PackageLocks};
use super::record::{CacheMessage, ChangeLog, RevisionChange};
use super::revision::{CacheEvent, CachedPackage, CachedRevision, RevisionKey};
use crate::cache::Result;
use crate::git::{Credentials, GitRepository, RefSet, RepoConfig};

/// Which Repository a cache serves and where its mirror lives.
#[derive(Debug, Clone)]
pub struct RepositorySpec {
    /// Namespace of the Repository.
    pub namespace: String,
    /// Name of the Repository.
    pub name: String,
    /// `spec.git` as the git backend needs it.
    pub config: RepoConfig,
    /// Credentials from `spec.git.secretRef`, if any.
    pub credentials: Option<Credentials>,
    /// The server's data directory; the mirror is `<data-dir>/git/<namespace>/<name>`.
    pub data_dir: PathBuf,
}

impl RepositorySpec {
    /// `<data-dir>/git/<namespace>/<name>`.
    pub fn mirror_dir(&self) -> PathBuf {
        self.data_dir.join("git").join(&self.namespace).join(&self.name)
    }
}

/// Tuning of a cache.
#[derive(Debug, Clone)]
pub struct CacheOptions {
    /// Capacity of the event channel; a subscriber that falls further behind gets
    /// `RecvError::Lagged` and must re-list. Default 1024.
    pub event_capacity: usize,
    /// Also tells every batch and event here, never dropping one (the server's event pump,
    /// which must see every change of every repository). Default none.
    pub sink: Option<tokio::sync::mpsc::UnboundedSender<CacheMessage>>,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self { event_capacity: 1024, sink: None }
    }
}

/// Counters of the work a cache did, for tests and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Completed fetches (open and refresh).
    pub fetches: u64,
    /// Refs re-discovered by refreshes (a full discovery is not counted).
    pub rediscovered_refs: u64,
    /// Full discoveries (open, or a refresh before any open).
    pub full_discoveries: u64,
}

#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) fetches: AtomicU64,
    pub(super) rediscovered_refs: AtomicU64,
    pub(super) full_discoveries: AtomicU64,
}

/// How a committed batch changes the cached ref set.
#[derive(Debug)]
pub(super) enum RefsUpdate {
    /// The whole set as fetched.
    Replace(RefSet),
    /// The refs a write set or deleted.
    Apply(Vec<(String, Option<Oid>)>),
}

/// The cache of one Repository: an in-memory index of every package revision, kept current by
/// [`RepositoryCache::open`] / [`RepositoryCache::refresh`] and by the writes made through it,
/// with every change published as a [`CacheEvent`]. Cheap to clone; clones share everything.
///
/// Reads ([`get`](Self::get), [`list`](Self::list), [`packages`](Self::packages)) never touch
/// git and never wait for a fetch or a write: they take a short read lock of the in-memory index.
#[derive(Clone)]
pub struct RepositoryCache {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) namespace: String,
    pub(super) name: String,
    pub(super) git: GitRepository,
    pub(super) mirror_dir: PathBuf,
    pub(super) log: Arc<dyn ChangeLog>,
    pub(super) index: RwLock<Index>,
    /// The ref set the index reflects; `None` until the first discovery.
    pub(super) refs: Mutex<Option<RefSet>>,
    /// Serialises commits so events leave in resourceVersion order.
    pub(super) publish: tokio::sync::Mutex<()>,
    /// Writes hold it shared, refresh and close exclusively; `true` once closed.
    pub(super) ops: tokio::sync::RwLock<bool>,
    pub(super) locks: PackageLocks,
    /// The paths of new packages being created (see [`RepositoryCache::lock_new_package`]).
    pub(super) new_packages: NewPackageLocks,
    pub(super) events: broadcast::Sender<CacheEvent>,
    pub(super) sink: Option<tokio::sync::mpsc::UnboundedSender<CacheMessage>>,
    pub(super) counters: Counters,
}

impl std::fmt::Debug for RepositoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepositoryCache")
            .field("namespace", &self.inner.namespace)
            .field("name", &self.inner.name)
            .field("git", &self.inner.git)
            .field("revisions", &self.len())
            .finish_non_exhaustive()
    }
}

impl RepositoryCache {
    /// A cache for `spec` with an empty index: opens (creating) the mirror, touches no remote.
    /// Subscribe, then call [`RepositoryCache::open`] to fetch and index.
    pub async fn new(spec: RepositorySpec, log: Arc<dyn ChangeLog>, options: CacheOptions) -> Result<Self> {
        let mirror_dir = spec.mirror_dir();
        let git = GitRepository::open(&mirror_dir, spec.config, spec.credentials).await.map_err(
            CacheError::git(format!("open the mirror of repository {}/{}", spec.namespace, spec.name)),
        )?;
        let (events, _) = broadcast::channel(options.event_capacity.max(1));
        let inner = Inner {
            index: RwLock::new(Index::new(&spec.namespace, &spec.name)),
            namespace: spec.namespace,
            name: spec.name,
            git,
            mirror_dir,
            log,
            refs: Mutex::new(None),
            publish: tokio::sync::Mutex::new(()),
            ops: tokio::sync::RwLock::new(false),
            locks: PackageLocks::default(),
            new_packages: NewPackageLocks::default(),
            events,
            sink: options.sink,
            counters: Counters::default(),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Namespace of the Repository.
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// Name of the Repository.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The git backend (e.g. to read package files from the mirror).
    pub fn git(&self) -> &GitRepository {
        &self.inner.git
    }

    /// Directory of the mirror.
    pub fn mirror_dir(&self) -> &Path {
        &self.inner.mirror_dir
    }

    /// Receives every later change, in resourceVersion order.
    pub fn subscribe(&self) -> broadcast::Receiver<CacheEvent> {
        self.inner.events.subscribe()
    }

    pub(super) fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.inner.index.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The revision with object name `name`.
    pub fn get(&self, name: &str) -> Option<Arc<CachedRevision>> {
        self.index().get(name)
    }

    /// The revision of `package` in `workspace`.
    pub fn find(&self, package: &str, workspace: &str) -> Option<Arc<CachedRevision>> {
        self.index().get_key(&RevisionKey::new(package, workspace))
    }

    /// Every revision in Porch's order: package path, revision (-1, 0, 1, 2, …), lifecycle
    /// (Draft, Proposed, Published, DeletionProposed), name.
    pub fn list(&self) -> Vec<Arc<CachedRevision>> {
        self.index().list()
    }

    /// The version of the index ([`list`](Self::list) answers the same while it stays).
    pub fn version(&self) -> u64 {
        self.index().version()
    }

    /// [`list`](Self::list) with the version of the index it was read from.
    pub fn list_versioned(&self) -> (u64, Vec<Arc<CachedRevision>>) {
        let index = self.index();
        (index.version(), index.list())
    }

    /// The revisions of one package, in list order.
    pub fn list_package(&self, package: &str) -> Vec<Arc<CachedRevision>> {
        self.index().list_package(package)
    }

    /// One entry per package path, with its latest revision number.
    pub fn packages(&self) -> Vec<CachedPackage> {
        self.index().packages()
    }

    /// An existing package that `package` would nest in or that would nest in it.
    pub fn nesting(&self, package: &str) -> Option<String> {
        self.index().nesting(package).map(str::to_string)
    }

    /// The latest revision of a package (full-path comparison, §3.5).
    pub fn latest(&self, package: &str) -> Option<Arc<CachedRevision>> {
        self.index().latest(package)
    }

    /// Number of revisions.
    pub fn len(&self) -> usize {
        self.index().len()
    }

    /// Whether the index holds no revision.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The branch head the index reflects (`status.gitCommitHash`), once opened.
    pub fn branch_head(&self) -> Option<Oid> {
        let refs = self.inner.refs.lock().unwrap_or_else(|e| e.into_inner());
        refs.as_ref().and_then(|r| r.branch(&self.inner.git.config().branch))
    }

    /// Whether the mirror was fetched since this cache was made: not yet after an
    /// [`open`](Self::open) that took the saved index, until the next refresh.
    pub fn has_fetched(&self) -> bool {
        self.inner.counters.fetches.load(Ordering::Relaxed) > 0
    }

    /// Work counters.
    pub fn stats(&self) -> CacheStats {
        let c = &self.inner.counters;
        CacheStats {
            fetches: c.fetches.load(Ordering::Relaxed),
            rediscovered_refs: c.rediscovered_refs.load(Ordering::Relaxed),
            full_discoveries: c.full_discoveries.load(Ordering::Relaxed),
        }
    }

    pub(super) fn closed_error(&self) -> CacheError {
        CacheError::Closed { repository: format!("{}/{}", self.inner.namespace, self.inner.name) }
    }

    /// Plans `changes` against the index, records them (each gets its resourceVersion from
    /// its PackageRev write), applies them, records the new ref set and sends the events — all
    /// under the publish lock, so one repository's events leave in order. Nothing changes in
    /// the index if recording fails.
    pub(super) async fn commit(&self, changes: Vec<Change>, refs: RefsUpdate) -> Result<Vec<CacheEvent>> {
        let _publish = self.inner.publish.lock().await;
        let planned = self.index().plan(changes);
        let (events, recorded) = if planned.is_empty() {
            (Vec::new(), None)
        } else {
            let (keys, rvs) = self.record(&planned).await?;
            let mut index = self.inner.index.write().unwrap_or_else(|e| e.into_inner());
            (index.apply(planned, rvs), Some(keys))
        };
        {
            let mut cached = self.inner.refs.lock().unwrap_or_else(|e| e.into_inner());
            match refs {
                RefsUpdate::Replace(set) => *cached = Some(set),
                RefsUpdate::Apply(updates) => {
                    if let Some(set) = cached.as_mut() {
                        for (name, value) in updates {
                            set.apply(&name, value);
                        }
                    }
                }
            }
        }
        // A batch's writes may commit in any order: its events leave in resourceVersion order.
        let mut in_order: Vec<&CacheEvent> = events.iter().collect();
        in_order.sort_by_key(|e| e.resource_version);
        for event in in_order {
            self.tell(CacheMessage::Event(event.clone()));
            // No receiver is fine: nobody watches yet.
            let _ = self.inner.events.send(event.clone());
        }
        if let Some(keys) = recorded {
            self.tell(CacheMessage::Recorded(keys));
        }
        Ok(events)
    }

    fn tell(&self, message: CacheMessage) {
        if let Some(sink) = &self.inner.sink {
            let _ = sink.send(message);
        }
    }

    /// Records a planned batch through the change log, announced to the event pump first;
    /// returns the announced `(namespace, name)`s (for the pump's end of the batch) and the
    /// resourceVersion of each change.
    async fn record(&self, planned: &[Planned]) -> Result<(Vec<(String, String)>, Vec<u64>)> {
        let (ns, repo) = (&self.inner.namespace, &self.inner.name);
        let changes: Vec<RevisionChange> = {
            let index = self.index();
            planned
                .iter()
                .map(|p| {
                    let name = index.name_of(&p.revision);
                    RevisionChange::of(ns, repo, &name, p.event_type, &p.revision, p.latest)
                })
                .collect()
        };
        let keys: Vec<(String, String)> = changes.iter().map(|c| (ns.clone(), c.name.clone())).collect();
        self.tell(CacheMessage::Recording(keys.clone()));
        match self.inner.log.record(changes).await {
            Ok(rvs) => Ok((keys, rvs)),
            Err(e) => {
                self.tell(CacheMessage::Recorded(keys));
                Err(e)
            }
        }
    }

    /// Closes the cache (its Repository is being deleted): emits DELETED for every revision,
    /// removes the mirror directory, and fails every later write and refresh.
    pub async fn close(&self) -> Result<Vec<CacheEvent>> {
        let mut closed = self.inner.ops.write().await;
        if *closed {
            return Ok(Vec::new());
        }
        let drops = self.index().keys().into_iter().map(Change::Drop).collect();
        let events = self.commit(drops, RefsUpdate::Apply(Vec::new())).await?;
        *closed = true;
        *self.inner.refs.lock().unwrap_or_else(|e| e.into_inner()) = None;
        match tokio::fs::remove_dir_all(&self.inner.mirror_dir).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(CacheError::RemoveMirror { path: self.inner.mirror_dir.clone(), source });
            }
        }
        Ok(events)
    }
}
