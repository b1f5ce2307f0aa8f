//! What the cache holds and emits: indexed revisions, package aggregates and change events.

use std::sync::Arc;

use porch_api::porch::PackageRevisionLifecycle;

use crate::git::{DiscoveredRevision, HEADS};

/// Identity of a revision inside one repository: package path and workspace name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RevisionKey {
    /// Package path relative to the Repository directory.
    pub package: String,
    /// Workspace name.
    pub workspace: String,
}

impl RevisionKey {
    /// A key from its parts.
    pub fn new(package: impl Into<String>, workspace: impl Into<String>) -> Self {
        Self { package: package.into(), workspace: workspace.into() }
    }

    /// The key of a discovered revision.
    pub fn of(revision: &DiscoveredRevision) -> Self {
        Self::new(revision.package.clone(), revision.workspace.clone())
    }
}

impl std::fmt::Display for RevisionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.package, self.workspace)
    }
}

/// One package revision as indexed: immutable; a change replaces the whole value.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedRevision {
    /// Namespace of the Repository.
    pub namespace: String,
    /// Name of the Repository (`spec.repository`).
    pub repository: String,
    /// Object name: `porch_api::names::package_revision_name(repository, package, workspace)`.
    pub name: String,
    /// What git holds for the revision.
    pub revision: DiscoveredRevision,
    /// The resourceVersion of the revision's last change (server-wide counter).
    pub resource_version: u64,
    /// Whether this is the latest published revision of its package (`kpt.dev/latest-revision`).
    pub latest: bool,
    /// The revision's API object, built once by the engine (lists serve it without rebuilding).
    pub object: Memo<porch_layers::EncodedObject>,
}

/// A value computed at most once per key for an immutable revision, such as its API object,
/// which also depends on a few facts outside the revision (summarised by the key). Each use
/// also stamps it with the caller's view of those facts (a generation counter), so that a later
/// caller at the same generation may take it without computing the key again. Not copied by
/// `clone` and never part of a comparison.
pub struct Memo<T> {
    slot: std::sync::Mutex<Option<Slot<T>>>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Self { slot: std::sync::Mutex::new(None) }
    }
}

/// What a [`Memo`] holds: the value, its key and the generation it was last confirmed at.
struct Slot<T> {
    key: u64,
    stamp: u64,
    value: T,
}

impl<T: Clone> Memo<T> {
    /// The value for `key`, built by `build` the first time (or when the key changed), now
    /// confirmed at generation `stamp`.
    pub fn get_or(&self, key: u64, stamp: u64, build: impl FnOnce() -> T) -> T {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_mut() {
            Some(held) if held.key == key => {
                held.stamp = stamp;
                held.value.clone()
            }
            _ => {
                let value = build();
                *slot = Some(Slot { key, stamp, value: value.clone() });
                value
            }
        }
    }

    /// The value, if it was built or confirmed at generation `stamp` with a key `same` accepts.
    pub fn confirmed(&self, stamp: u64, same: impl FnOnce(u64) -> bool) -> Option<T> {
        let slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        slot.as_ref().filter(|held| held.stamp == stamp && same(held.key)).map(|held| held.value.clone())
    }
}

impl<T> Clone for Memo<T> {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl<T> PartialEq for Memo<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> std::fmt::Debug for Memo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl CachedRevision {
    /// The revision's key.
    pub fn key(&self) -> RevisionKey {
        RevisionKey::of(&self.revision)
    }

    /// Whether this is the branch-tracking placeholder (revision -1 on the branch, §3.4).
    pub fn is_placeholder(&self) -> bool {
        is_placeholder(&self.revision)
    }

    /// Published revision `repo.pkg.v1` (revision 1, resourceVersion 7) of repository `repo` in
    /// `ns`, for tests of what is built from a revision.
    #[cfg(test)]
    pub(crate) fn sample() -> Self {
        let revision = DiscoveredRevision {
            package: "pkg".into(),
            full_path: "pkg".into(),
            workspace: "v1".into(),
            revision: 1,
            lifecycle: porch_api::porch::PackageRevisionLifecycle::Published,
            ref_name: "refs/tags/pkg/v1".into(),
            commit: git2::Oid::from_bytes(&[1; 20]).expect("20 bytes"),
            tree: git2::Oid::from_bytes(&[2; 20]).expect("20 bytes"),
            tasks: Vec::new(),
            published: None,
            kptfile: crate::git::KptfileInfo::default(),
        };
        Self {
            namespace: "ns".into(),
            repository: "repo".into(),
            name: "repo.pkg.v1".into(),
            revision,
            resource_version: 7,
            latest: true,
            object: Default::default(),
        }
    }
}

/// Whether a discovered revision is a placeholder: revision -1 held by a branch (non-numeric
/// tags also have revision -1 but live under `refs/tags/`).
pub(crate) fn is_placeholder(revision: &DiscoveredRevision) -> bool {
    revision.revision == -1 && revision.ref_name.starts_with(HEADS)
}

/// Whether a revision may be `latest`: published, with a revision number ≥ 1 (§3.5).
pub(crate) fn latest_candidate(revision: &DiscoveredRevision) -> bool {
    revision.revision > 0 && revision.lifecycle.is_published()
}

/// Sort rank of a lifecycle inside one revision number: Draft, Proposed, Published,
/// DeletionProposed (unknown values last).
pub(crate) fn lifecycle_rank(lifecycle: &PackageRevisionLifecycle) -> u8 {
    match lifecycle {
        PackageRevisionLifecycle::Draft => 0,
        PackageRevisionLifecycle::Proposed => 1,
        PackageRevisionLifecycle::Published => 2,
        PackageRevisionLifecycle::DeletionProposed => 3,
        PackageRevisionLifecycle::Other(_) => 4,
    }
}

/// Whether anything the API shows differs between two versions of one revision: ref, commit,
/// package tree, lifecycle, revision number, tasks, publish info, Kptfile fields. For a
/// placeholder the commit alone does not count: every write to the branch moves it, while the
/// package may be untouched (the index then keeps the older branch commit, which holds the same
/// package tree).
pub(crate) fn api_changed(old: &DiscoveredRevision, new: &DiscoveredRevision) -> bool {
    let commit_matters = !(is_placeholder(old) && is_placeholder(new));
    (commit_matters && old.commit != new.commit)
        || old.tree != new.tree
        || old.ref_name != new.ref_name
        || old.lifecycle != new.lifecycle
        || old.revision != new.revision
        || old.full_path != new.full_path
        || old.tasks != new.tasks
        || old.published != new.published
        || old.kptfile != new.kptfile
}

/// A package (PorchPackage, §2.4): one entry per package path that has any revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedPackage {
    /// Namespace of the Repository.
    pub namespace: String,
    /// Name of the Repository.
    pub repository: String,
    /// Object name: `porch_api::names::package_name(repository, package)`.
    pub name: String,
    /// Package path relative to the Repository directory.
    pub package: String,
    /// Highest published revision number (`status.latestRevision`); 0 when none is published.
    pub latest_revision: i32,
}

/// The kind of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A revision appeared.
    Added,
    /// A revision changed (content, lifecycle, revision number, latest flag, …).
    Modified,
    /// A revision disappeared.
    Deleted,
}

/// One change of the index, in resourceVersion order on the cache's channel.
#[derive(Debug, Clone)]
pub struct CacheEvent {
    /// What happened.
    pub event_type: EventType,
    /// The revision after the change (for `Deleted`: its last state, stamped with the deletion's
    /// resourceVersion).
    pub revision: Arc<CachedRevision>,
    /// The resourceVersion of the change (equals `revision.resource_version`).
    pub resource_version: u64,
}

#[cfg(test)]
mod tests {
    use super::Memo;

    #[test]
    fn a_memo_builds_once_per_key_and_is_confirmed_only_at_its_last_stamp() {
        let memo = Memo::default();
        assert_eq!(memo.confirmed(1, |_| true), None, "nothing built yet");
        assert_eq!(memo.get_or(10, 1, || "a"), "a");
        assert_eq!(memo.get_or(10, 2, || "rebuilt"), "a", "same key: kept, now confirmed at 2");
        assert_eq!(memo.confirmed(2, |key| key == 10), Some("a"));
        assert_eq!(memo.confirmed(1, |_| true), None, "an older stamp is not confirmed");
        assert_eq!(memo.confirmed(2, |key| key == 11), None, "the caller's facts differ");
        assert_eq!(memo.get_or(11, 3, || "b"), "b", "a new key rebuilds");
        assert_eq!(memo.confirmed(3, |_| true), Some("b"));
    }
}
