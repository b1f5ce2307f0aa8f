//! The in-memory index of one repository: revisions by key, name and ref, each package's
//! revisions in list order, and the planning of a batch of changes into events (latest flags
//! included). Pure data: no git, no locks, no awaits.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use porch_api::names::{package_name, package_revision_name};

use super::revision::{
    CacheEvent, CachedPackage, CachedRevision, EventType, RevisionKey, api_changed, is_placeholder,
    latest_candidate, lifecycle_rank,
};
use crate::git::DiscoveredRevision;

/// A change to apply to the index.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// Insert or replace the revision with the key of this one.
    Put(Box<DiscoveredRevision>),
    /// Remove the revision with this key, if any.
    Drop(RevisionKey),
    /// Remove the revision held by this (non-branch) remote ref, if any.
    DropRef(String),
}

impl Change {
    /// [`Change::Put`] of `revision`.
    pub(crate) fn put(revision: DiscoveredRevision) -> Self {
        Self::Put(Box::new(revision))
    }
}

/// One event-to-be of a planned batch.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(super) event_type: EventType,
    pub(super) revision: DiscoveredRevision,
    pub(super) latest: bool,
}

/// List order inside a package: revision number, lifecycle, name.
type Order = (i32, u8, String);

fn order_of(revision: &DiscoveredRevision, name: &str) -> Order {
    (revision.revision, lifecycle_rank(&revision.lifecycle), name.to_string())
}

/// Which of two revisions claiming one key wins: published tags, then the placeholder, then
/// proposed, then drafts.
fn priority(revision: &DiscoveredRevision) -> u8 {
    if revision.revision > 0 || revision.ref_name.starts_with(crate::git::TAGS) {
        3
    } else if is_placeholder(revision) {
        2
    } else {
        lifecycle_rank(&revision.lifecycle).min(1)
    }
}

/// Where index versions come from: one counter for every index of the process, so that no two
/// states of any two indexes share a version.
static VERSIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_version() -> u64 {
    VERSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The index of one repository.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Changes with every [`apply`](Index::apply); unique across all indexes of the process.
    version: u64,
    namespace: String,
    repository: String,
    packages: BTreeMap<String, BTreeMap<Order, Arc<CachedRevision>>>,
    by_key: HashMap<RevisionKey, Arc<CachedRevision>>,
    by_name: HashMap<String, RevisionKey>,
    by_ref: HashMap<String, RevisionKey>,
}

impl Index {
    /// An empty index for Repository `namespace`/`repository`.
    pub(crate) fn new(namespace: &str, repository: &str) -> Self {
        Self {
            version: next_version(),
            namespace: namespace.into(),
            repository: repository.into(),
            ..Self::default()
        }
    }

    /// The version of this state of the index: what it lists stays the same while it does.
    pub(crate) fn version(&self) -> u64 {
        self.version
    }

    /// Number of revisions.
    pub(crate) fn len(&self) -> usize {
        self.by_key.len()
    }

    /// The revision with object name `name`.
    pub(crate) fn get(&self, name: &str) -> Option<Arc<CachedRevision>> {
        self.by_name.get(name).and_then(|k| self.by_key.get(k)).cloned()
    }

    /// The revision with key `key`.
    pub(crate) fn get_key(&self, key: &RevisionKey) -> Option<Arc<CachedRevision>> {
        self.by_key.get(key).cloned()
    }

    /// The revision held by a non-branch remote ref (a tag, a draft or proposed branch).
    pub(crate) fn get_ref(&self, remote_ref: &str) -> Option<Arc<CachedRevision>> {
        self.by_ref.get(remote_ref).and_then(|k| self.by_key.get(k)).cloned()
    }

    /// Every revision: package path, then revision number, lifecycle and name.
    pub(crate) fn list(&self) -> Vec<Arc<CachedRevision>> {
        let mut out = Vec::with_capacity(self.by_key.len());
        for revisions in self.packages.values() {
            out.extend(revisions.values().cloned());
        }
        out
    }

    /// The revisions of one package, in list order.
    pub(crate) fn list_package(&self, package: &str) -> Vec<Arc<CachedRevision>> {
        self.packages.get(package).map(|r| r.values().cloned().collect()).unwrap_or_default()
    }

    /// Keys of every placeholder.
    pub(crate) fn placeholders(&self) -> Vec<RevisionKey> {
        self.by_key.values().filter(|r| r.is_placeholder()).map(|r| r.key()).collect()
    }

    /// Keys of every revision.
    pub(crate) fn keys(&self) -> Vec<RevisionKey> {
        self.by_key.keys().cloned().collect()
    }

    /// The latest revision of a package (§3.5, full package path).
    pub(crate) fn latest(&self, package: &str) -> Option<Arc<CachedRevision>> {
        let revisions = self.packages.get(package)?;
        revisions
            .values()
            .rev()
            .take_while(|r| r.revision.revision > 0)
            .find(|r| latest_candidate(&r.revision))
            .cloned()
    }

    /// The number the next approval of `package` gets (§3.3): 1 + the highest revision among
    /// its Published/DeletionProposed revisions, 1 when there is none.
    pub(crate) fn next_revision(&self, package: &str) -> i32 {
        self.latest(package).map_or(0, |r| r.revision.revision) + 1
    }

    /// A package that `package` would nest in or that would nest in it (packages cannot be
    /// nested): its ancestors are looked up one by one, its descendants in one range of the
    /// sorted paths (`a/b/…` sort together, right after `a/b/`).
    pub(crate) fn nesting(&self, package: &str) -> Option<&str> {
        let ancestor = package
            .match_indices('/')
            .map(|(i, _)| &package[..i])
            .find_map(|ancestor| self.packages.get_key_value(ancestor).map(|(k, _)| k.as_str()));
        if ancestor.is_some() {
            return ancestor;
        }
        let prefix = format!("{package}/");
        let (next, _) =
            self.packages.range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded)).next()?;
        next.starts_with(&prefix).then_some(next.as_str())
    }

    /// One entry per package path (§2.4).
    pub(crate) fn packages(&self) -> Vec<CachedPackage> {
        self.packages
            .keys()
            .map(|package| CachedPackage {
                namespace: self.namespace.clone(),
                repository: self.repository.clone(),
                name: package_name(&self.repository, package),
                package: package.clone(),
                latest_revision: self.latest(package).map_or(0, |r| r.revision.revision),
            })
            .collect()
    }

    /// The object name of `revision` in this repository.
    pub(super) fn name_of(&self, revision: &DiscoveredRevision) -> String {
        package_revision_name(&self.repository, &revision.package, &revision.workspace)
    }

    /// The latest key of `package` once `next` (the touched keys) is applied.
    fn latest_with(
        &self,
        package: &str,
        next: &BTreeMap<RevisionKey, Option<DiscoveredRevision>>,
    ) -> Option<RevisionKey> {
        let kept = self.packages.get(package).and_then(|revisions| {
            revisions
                .iter()
                .rev()
                .take_while(|(order, _)| order.0 > 0)
                .filter(|(_, r)| !next.contains_key(&r.key()))
                .find(|(_, r)| latest_candidate(&r.revision))
                .map(|(order, r)| (order.clone(), r.key()))
        });
        let touched = next
            .range(RevisionKey::new(package, "")..)
            .take_while(|(k, _)| k.package == package)
            .filter_map(|(k, r)| r.as_ref().filter(|r| latest_candidate(r)).map(|r| (k, r)))
            .map(|(k, r)| (order_of(r, &self.name_of(r)), k.clone()));
        kept.into_iter().chain(touched).max_by(|a, b| a.0.cmp(&b.0)).map(|(_, k)| k)
    }

    /// Plans a batch: the events it produces, in order (touched keys in key order, then latest
    /// flags that moved). Changes that alter nothing the API shows produce nothing.
    pub(crate) fn plan(&self, changes: Vec<Change>) -> Vec<Planned> {
        let mut next: BTreeMap<RevisionKey, Option<DiscoveredRevision>> = BTreeMap::new();
        for change in changes {
            match change {
                Change::Drop(key) => {
                    next.insert(key, None);
                }
                Change::DropRef(name) => {
                    let Some(key) = self.by_ref.get(&name) else { continue };
                    let held = match next.get(key) {
                        Some(pending) => pending.as_ref().is_some_and(|r| r.ref_name == name),
                        None => true,
                    };
                    if held {
                        next.insert(key.clone(), None);
                    }
                }
                Change::Put(revision) => {
                    let key = RevisionKey::of(&revision);
                    let current = match next.get(&key) {
                        Some(pending) => pending.as_ref(),
                        None => self.by_key.get(&key).map(|r| &r.revision),
                    };
                    if let Some(current) = current
                        && current.ref_name != revision.ref_name
                        && priority(current) > priority(&revision)
                    {
                        tracing::warn!(
                            package = %key.package, workspace = %key.workspace, kept = %current.ref_name,
                            ignored = %revision.ref_name, "two refs hold the same package revision"
                        );
                        continue;
                    }
                    next.insert(key, Some(*revision));
                }
            }
        }
        let packages: BTreeSet<&str> = next.keys().map(|k| k.package.as_str()).collect();
        let latest: HashMap<&str, Option<RevisionKey>> =
            packages.iter().map(|p| (*p, self.latest_with(p, &next))).collect();
        let is_latest = |key: &RevisionKey| latest[key.package.as_str()].as_ref() == Some(key);

        let mut out = Vec::new();
        for (key, new) in &next {
            let old = self.by_key.get(key);
            let latest = is_latest(key);
            let planned = match (old, new) {
                (None, None) => continue,
                (None, Some(r)) => Planned { event_type: EventType::Added, revision: r.clone(), latest },
                (Some(o), None) => {
                    Planned { event_type: EventType::Deleted, revision: o.revision.clone(), latest: o.latest }
                }
                (Some(o), Some(r)) if api_changed(&o.revision, r) => {
                    Planned { event_type: EventType::Modified, revision: r.clone(), latest }
                }
                (Some(o), Some(_)) if o.latest != latest => {
                    Planned { event_type: EventType::Modified, revision: o.revision.clone(), latest }
                }
                (Some(_), Some(_)) => continue,
            };
            out.push(planned);
        }
        // Untouched revisions whose latest flag moved: the old latest and the new one.
        for package in packages {
            let before = self.latest(package).map(|r| r.key());
            let after = latest[package].clone();
            for key in before.into_iter().chain(after).collect::<BTreeSet<_>>() {
                let Some(r) = self.by_key.get(&key) else { continue };
                if !next.contains_key(&key) && r.latest != is_latest(&key) {
                    out.push(Planned {
                        event_type: EventType::Modified,
                        revision: r.revision.clone(),
                        latest: !r.latest,
                    });
                }
            }
        }
        out
    }

    /// Applies a planned batch with the resourceVersions its changes were recorded at (one
    /// each, in order), returning its events.
    pub(crate) fn apply(&mut self, planned: Vec<Planned>, rvs: Vec<u64>) -> Vec<CacheEvent> {
        self.version = next_version();
        let mut events = Vec::with_capacity(planned.len());
        for (rv, p) in rvs.into_iter().zip(planned) {
            let key = RevisionKey::of(&p.revision);
            let old = self.remove(&key);
            let cached = Arc::new(CachedRevision {
                namespace: self.namespace.clone(),
                repository: self.repository.clone(),
                name: old.as_ref().map_or_else(|| self.name_of(&p.revision), |o| o.name.clone()),
                revision: p.revision,
                resource_version: rv,
                latest: p.latest,
                object: Default::default(),
            });
            if p.event_type != EventType::Deleted {
                self.insert(cached.clone());
            }
            events.push(CacheEvent { event_type: p.event_type, revision: cached, resource_version: rv });
        }
        events
    }

    fn insert(&mut self, revision: Arc<CachedRevision>) {
        let key = revision.key();
        let order = order_of(&revision.revision, &revision.name);
        self.packages.entry(key.package.clone()).or_default().insert(order, revision.clone());
        self.by_name.insert(revision.name.clone(), key.clone());
        if !revision.is_placeholder() {
            self.by_ref.insert(revision.revision.ref_name.clone(), key.clone());
        }
        self.by_key.insert(key, revision);
    }

    fn remove(&mut self, key: &RevisionKey) -> Option<Arc<CachedRevision>> {
        let old = self.by_key.remove(key)?;
        let order = order_of(&old.revision, &old.name);
        if let Some(revisions) = self.packages.get_mut(&key.package) {
            revisions.remove(&order);
            if revisions.is_empty() {
                self.packages.remove(&key.package);
            }
        }
        if self.by_name.get(&old.name) == Some(key) {
            self.by_name.remove(&old.name);
        }
        if self.by_ref.get(&old.revision.ref_name) == Some(key) {
            self.by_ref.remove(&old.revision.ref_name);
        }
        Some(old)
    }
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
