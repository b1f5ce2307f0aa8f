//! Keeping the index in step with the remote: a full discovery ([`RepositoryCache::open`]) and
//! an incremental refresh that re-discovers only the refs that changed since the last one.
//!
//! Both first check the local mirror ([`GitRepository::repair`](crate::git::GitRepository::repair)):
//! a damaged one is replaced by a fresh clone and everything is discovered again, so the index
//! never reflects what a broken mirror happens to still show. A sync that fails in the mirror's
//! object database is checked again, deeply, and retried once when the mirror was damaged.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use porch_api::porch::PackageRevisionLifecycle;

use super::error::CacheError;
use super::index::{Change, Index};
use super::metrics;
use super::repository::{RefsUpdate, RepositoryCache};
use super::revision::{CacheEvent, RevisionKey};
use super::snapshot;
use crate::cache::Result;
use crate::git::{DiscoveredRevision, FetchOutcome, HEADS, PorchRef, RefSet, RepoConfig, TAGS};

impl RepositoryCache {
    async fn fetch(&self) -> Result<FetchOutcome> {
        let action = format!("fetch repository {}/{}", self.inner.namespace, self.inner.name);
        let fetched = self.inner.git.fetch().await.map_err(CacheError::git(action))?;
        self.inner.counters.fetches.fetch_add(1, Ordering::Relaxed);
        Ok(fetched)
    }

    /// Checks the mirror and replaces it when it is damaged; `true` when it was. A check that
    /// fails (it could not read the mirror) is logged and the sync goes on: its own reads then
    /// fail, or its fetch rewrites what the check tripped over.
    async fn repair(&self) -> bool {
        match self.inner.git.repair().await {
            Ok(damage) => damage.is_some(),
            Err(error) => {
                let repository = format!("{}/{}", self.inner.namespace, self.inner.name);
                let error = crate::error_chain::with_causes(&error);
                tracing::warn!(%repository, %error, "could not check the git mirror");
                false
            }
        }
    }

    /// `result`, or — when it failed in the mirror's object database and a deep check finds the
    /// mirror damaged (and so replaces it) — a full discovery from a fresh clone.
    async fn retry_if_damaged(&self, result: Result<Vec<CacheEvent>>) -> Result<Vec<CacheEvent>> {
        match result {
            Err(error) if self.inner.git.is_suspect() => {
                if self.repair().await {
                    self.discover_everything().await
                } else {
                    Err(error)
                }
            }
            other => other,
        }
    }

    /// The first open when the index saved at the last shutdown is usable
    /// ([`save_index`](Self::save_index)): its revisions taken as discovered and served at once,
    /// without a fetch, as any index is served between two syncs. The fetch and the
    /// re-discovery of only the refs that differ from the saved set are the next
    /// [`refresh`](Self::refresh)'s ([`has_fetched`](Self::has_fetched) says one is due; the
    /// registry's sync runs it at once). The mirror is checked by that refresh too, as by every
    /// sync. `None` (nothing done) when there is no usable saved index or the cache was opened.
    pub async fn open_saved(&self) -> Result<Option<Vec<CacheEvent>>> {
        let closed = self.inner.ops.write().await;
        if *closed {
            return Err(self.closed_error());
        }
        let first = self.inner.refs.lock().unwrap_or_else(|e| e.into_inner()).is_none();
        let saved = first.then(|| snapshot::load(&self.inner.mirror_dir, self.inner.git.config())).flatten();
        let Some(saved) = saved else { return Ok(None) };
        metrics::sync(self, self.replace_index(saved.revisions, saved.refs)).await.map(Some)
    }

    /// Fetches and indexes every revision (full discovery). The first time every revision is
    /// ADDED; later calls re-synchronise the whole index and emit only the differences.
    pub async fn open(&self) -> Result<Vec<CacheEvent>> {
        let closed = self.inner.ops.write().await;
        if *closed {
            return Err(self.closed_error());
        }
        metrics::sync(self, async {
            self.repair().await;
            let result = self.discover_everything().await;
            self.retry_if_damaged(result).await
        })
        .await
    }

    /// Makes the index hold exactly `revisions`, found in `refs`: the others dropped, these
    /// put (only what differs is recorded and announced).
    async fn replace_index(
        &self,
        revisions: Vec<DiscoveredRevision>,
        refs: RefSet,
    ) -> Result<Vec<CacheEvent>> {
        let found: HashSet<RevisionKey> = revisions.iter().map(RevisionKey::of).collect();
        let mut changes: Vec<Change> =
            self.index().keys().into_iter().filter(|k| !found.contains(k)).map(Change::Drop).collect();
        changes.extend(revisions.into_iter().map(Change::put));
        self.commit(changes, RefsUpdate::Replace(refs)).await
    }

    /// [`open`](Self::open)'s work, under the caller's exclusive hold of the cache.
    async fn discover_everything(&self) -> Result<Vec<CacheEvent>> {
        let fetched = self.fetch().await?;
        let action =
            format!("discover the revisions of repository {}/{}", self.inner.namespace, self.inner.name);
        let discovered =
            self.inner.git.discover_all(fetched.refs.clone()).await.map_err(CacheError::git(action))?;
        self.inner.counters.full_discoveries.fetch_add(1, Ordering::Relaxed);
        self.replace_index(discovered, fetched.refs).await
    }

    /// Fetches, diffs the ref set against the one the index reflects, and re-discovers only the
    /// added and changed refs: removed refs drop their revisions, a moved branch re-reads the
    /// placeholders, `deletionProposed/…` markers flip lifecycles in memory. Emits ADDED /
    /// MODIFIED / DELETED only for what the API shows. Before any [`open`](Self::open) it is one.
    pub async fn refresh(&self) -> Result<Vec<CacheEvent>> {
        let closed = self.inner.ops.write().await;
        if *closed {
            return Err(self.closed_error());
        }
        metrics::sync(self, async {
            let repaired = self.repair().await;
            let result = if repaired || self.inner.refs.lock().unwrap_or_else(|e| e.into_inner()).is_none() {
                self.discover_everything().await
            } else {
                self.discover_changes().await
            };
            self.retry_if_damaged(result).await
        })
        .await
    }

    /// [`refresh`](Self::refresh)'s work once the index reflects a ref set, under the caller's
    /// exclusive hold of the cache.
    async fn discover_changes(&self) -> Result<Vec<CacheEvent>> {
        let fetched = self.fetch().await?;
        let diff = {
            let cached = self.inner.refs.lock().unwrap_or_else(|e| e.into_inner());
            cached.as_ref().map(|old| fetched.refs.diff(old)).unwrap_or_default()
        };
        if diff.is_empty() {
            return Ok(Vec::new());
        }
        let config = self.inner.git.config();
        let branch_ref = format!("{HEADS}{}", config.branch);
        let all = diff.added.iter().chain(&diff.changed).chain(&diff.removed);
        let mut changes = marker_changes(&self.index(), config, all, |fp, suffix| {
            fetched.refs.is_deletion_proposed(fp, suffix)
        });
        for name in diff.removed.iter().chain(&diff.changed) {
            if *name == branch_ref {
                if diff.removed.contains(name) {
                    changes.extend(self.index().placeholders().into_iter().map(Change::Drop));
                }
            } else {
                changes.push(Change::DropRef(name.clone()));
            }
        }
        let to_discover: Vec<String> = diff
            .added
            .iter()
            .chain(&diff.changed)
            .filter(|name| {
                !matches!(
                    PorchRef::parse(name, &config.branch),
                    PorchRef::DeletionProposed { .. } | PorchRef::Other
                )
            })
            .cloned()
            .collect();
        let branch_moved = to_discover.contains(&branch_ref);
        self.inner.counters.rediscovered_refs.fetch_add(to_discover.len() as u64, Ordering::Relaxed);
        let action =
            format!("discover the changed refs of repository {}/{}", self.inner.namespace, self.inner.name);
        let discovered = if to_discover.is_empty() {
            Vec::new()
        } else {
            self.inner
                .git
                .discover_refs(fetched.refs.clone(), to_discover)
                .await
                .map_err(CacheError::git(action))?
        };
        if branch_moved {
            let on_branch: HashSet<RevisionKey> =
                discovered.iter().filter(|r| r.ref_name == branch_ref).map(RevisionKey::of).collect();
            let gone = self.index().placeholders().into_iter().filter(|k| !on_branch.contains(k));
            changes.extend(gone.map(Change::Drop).collect::<Vec<_>>());
        }
        changes.extend(discovered.into_iter().map(Change::put));
        self.commit(changes, RefsUpdate::Replace(fetched.refs)).await
    }
}

/// Lifecycle flips for the `deletionProposed/<fullpath>/<suffix>` refs among `names`: the marked
/// revision (tag `<fullpath>/<suffix>`, or the placeholder when `suffix` is the branch) becomes
/// DeletionProposed when `is_marked(fullpath, suffix)`, Published otherwise. No git reads.
pub(super) fn marker_changes<'a>(
    index: &Index,
    config: &RepoConfig,
    names: impl IntoIterator<Item = &'a String>,
    is_marked: impl Fn(&str, &str) -> bool,
) -> Vec<Change> {
    let mut out = Vec::new();
    for name in names {
        let PorchRef::DeletionProposed { full_path, suffix } = PorchRef::parse(name, &config.branch) else {
            continue;
        };
        let target = if suffix == config.branch {
            config
                .package_of(full_path)
                .and_then(|package| index.get_key(&RevisionKey::new(package, suffix)))
                .filter(|r| r.is_placeholder())
        } else {
            index.get_ref(&format!("{TAGS}{full_path}/{suffix}"))
        };
        let Some(target) = target else { continue };
        let lifecycle = if is_marked(full_path, suffix) {
            PackageRevisionLifecycle::DeletionProposed
        } else {
            PackageRevisionLifecycle::Published
        };
        if target.revision.lifecycle != lifecycle {
            let mut revision = target.revision.clone();
            revision.lifecycle = lifecycle;
            out.push(Change::put(revision));
        }
    }
    out
}
