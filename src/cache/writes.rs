//! Writes through the cache: each runs under its package's lock (so the checks against the
//! index and the git write are atomic per package), then updates the index in place from the
//! [`WriteOutcome`] without re-reading the repository.

use std::sync::Arc;

use porch_api::porch::PackageRevisionLifecycle as Lifecycle;
use tokio::sync::{OwnedMutexGuard, RwLockReadGuard};

use super::error::CacheError;
use super::index::Change;
use super::locks::NewPackageGuard;
use super::refresh::marker_changes;
use super::repository::{RefsUpdate, RepositoryCache};
use super::revision::{CachedRevision, RevisionKey};
use crate::cache::Result;
use crate::git::{DraftContent, HEADS, Published, Stage, WriteOutcome, deletion_proposed_branch};

/// Held for the duration of one write: the package lock, and the shared side of the
/// refresh/close lock.
struct WriteGuard<'a> {
    _package: OwnedMutexGuard<()>,
    _ops: RwLockReadGuard<'a, bool>,
}

impl RepositoryCache {
    async fn begin(&self, package: &str) -> Result<WriteGuard<'_>> {
        let package = self.inner.locks.lock(package).await;
        let ops = self.inner.ops.read().await;
        if *ops {
            return Err(self.closed_error());
        }
        Ok(WriteGuard { _package: package, _ops: ops })
    }

    fn require(&self, package: &str, workspace: &str) -> Result<Arc<CachedRevision>> {
        self.find(package, workspace)
            .ok_or_else(|| CacheError::NotFound { what: RevisionKey::new(package, workspace).to_string() })
    }

    /// Applies a write's outcome to the index: marker flips, deleted refs, `extra`, then the
    /// re-read revisions.
    async fn finish(&self, outcome: WriteOutcome, extra: Vec<Change>) -> Result<()> {
        let config = self.inner.git.config();
        let branch_ref = format!("{HEADS}{}", config.branch);
        let mut changes = {
            let is_marked = |full_path: &str, suffix: &str| {
                let marker = format!("{HEADS}{}", deletion_proposed_branch(full_path, suffix));
                outcome.updated.iter().any(|(name, value)| *name == marker && value.is_some())
            };
            let names = outcome.updated.iter().map(|(name, _)| name);
            marker_changes(&self.index(), config, names, is_marked)
        };
        for (name, value) in &outcome.updated {
            if value.is_none() && *name != branch_ref {
                changes.push(Change::DropRef(name.clone()));
            }
        }
        changes.extend(extra);
        changes.extend(outcome.revisions.into_iter().map(Change::put));
        self.commit(changes, RefsUpdate::Apply(outcome.updated)).await?;
        super::metrics::revisions(self);
        Ok(())
    }

    fn written(&self, package: &str, workspace: &str) -> Result<Arc<CachedRevision>> {
        self.require(package, workspace)
    }

    /// Waits until no other creation of a new package at `package`, above it or below it is
    /// under way, then holds that path until the guard is dropped. A caller that checks "the
    /// package is new and nests with no other" and then creates it holds this across both, so
    /// concurrent creations behave as sequential ones; unrelated paths do not wait.
    pub(crate) async fn lock_new_package(&self, package: &str) -> NewPackageGuard {
        self.inner.new_packages.lock(package).await
    }

    /// Creates a draft of `package` in `workspace` (ADDED). Fails with
    /// [`CacheError::WorkspaceExists`] when the package already has a revision in that workspace.
    pub async fn create_draft(
        &self,
        package: &str,
        workspace: &str,
        content: DraftContent,
    ) -> Result<Arc<CachedRevision>> {
        let _guard = self.begin(package).await?;
        if self.find(package, workspace).is_some() {
            return Err(CacheError::WorkspaceExists {
                package: package.to_string(),
                repository: self.inner.name.clone(),
                workspace: workspace.to_string(),
            });
        }
        let action = format!("create package revision {}", RevisionKey::new(package, workspace));
        let outcome = self
            .inner
            .git
            .create_draft(package.into(), workspace.into(), content)
            .await
            .map_err(CacheError::git(action))?;
        self.finish(outcome, Vec::new()).await?;
        self.written(package, workspace)
    }

    /// Commits new content onto a Draft or Proposed revision (MODIFIED).
    pub async fn update_draft(
        &self,
        package: &str,
        workspace: &str,
        content: DraftContent,
    ) -> Result<Arc<CachedRevision>> {
        let _guard = self.begin(package).await?;
        let current = self.require(package, workspace)?;
        let action = format!("update package revision {}", current.name);
        let stage = match current.revision.lifecycle {
            Lifecycle::Draft => Stage::Draft,
            Lifecycle::Proposed => Stage::Proposed,
            ref other => return Err(CacheError::invalid(action, format!("its lifecycle is {other}"))),
        };
        let outcome = self
            .inner
            .git
            .update_draft(package.into(), workspace.into(), stage, content)
            .await
            .map_err(CacheError::git(action))?;
        self.finish(outcome, Vec::new()).await?;
        self.written(package, workspace)
    }

    async fn move_stage(
        &self,
        package: &str,
        workspace: &str,
        from: Lifecycle,
        to: Stage,
    ) -> Result<Arc<CachedRevision>> {
        let _guard = self.begin(package).await?;
        let current = self.require(package, workspace)?;
        let action = format!("move package revision {} to {to:?}", current.name);
        if current.revision.lifecycle != from {
            let reason = format!("its lifecycle is {}, not {from}", current.revision.lifecycle);
            return Err(CacheError::invalid(action, reason));
        }
        let outcome = self
            .inner
            .git
            .move_stage(package.into(), workspace.into(), to)
            .await
            .map_err(CacheError::git(action))?;
        self.finish(outcome, Vec::new()).await?;
        self.written(package, workspace)
    }

    /// Proposes a Draft (MODIFIED: lifecycle Proposed).
    pub async fn propose(&self, package: &str, workspace: &str) -> Result<Arc<CachedRevision>> {
        self.move_stage(package, workspace, Lifecycle::Draft, Stage::Proposed).await
    }

    /// Takes a proposal back to Draft (MODIFIED).
    pub async fn reject(&self, package: &str, workspace: &str) -> Result<Arc<CachedRevision>> {
        self.move_stage(package, workspace, Lifecycle::Proposed, Stage::Draft).await
    }

    /// Approves a Proposed (or Draft) revision: it gets revision 1 + the highest published
    /// revision of the package (§3.3; the package lock makes the number unique), becomes
    /// Published (MODIFIED), the package's placeholder is added or updated, and the latest
    /// flag moves (MODIFIED for the old latest).
    pub async fn approve(
        &self,
        package: &str,
        workspace: &str,
        user: Option<String>,
    ) -> Result<Arc<CachedRevision>> {
        let _guard = self.begin(package).await?;
        let current = self.require(package, workspace)?;
        let action = format!("approve package revision {}", current.name);
        if current.revision.lifecycle.is_published() {
            return Err(CacheError::invalid(action, "it is already published"));
        }
        let revision = self.index().next_revision(package);
        let outcome = self
            .inner
            .git
            .approve(package.into(), workspace.into(), revision, user)
            .await
            .map_err(CacheError::git(action))?;
        self.finish(outcome, Vec::new()).await?;
        self.written(package, workspace)
    }

    fn published_target(&self, current: &CachedRevision, action: &str) -> Result<Published> {
        let package = current.revision.package.clone();
        if current.is_placeholder() {
            Ok(Published::Placeholder { package })
        } else if current.revision.revision > 0 && current.revision.lifecycle.is_published() {
            Ok(Published::Tag { package, revision: current.revision.revision })
        } else {
            let reason = format!(
                "it is not a published revision with a number (lifecycle {}, revision {})",
                current.revision.lifecycle, current.revision.revision
            );
            Err(CacheError::invalid(action, reason))
        }
    }

    async fn set_deletion_proposed(
        &self,
        package: &str,
        workspace: &str,
        proposed: bool,
    ) -> Result<Arc<CachedRevision>> {
        let _guard = self.begin(package).await?;
        let current = self.require(package, workspace)?;
        let verb = if proposed { "propose deletion of" } else { "cancel the proposed deletion of" };
        let action = format!("{verb} package revision {}", current.name);
        let target = self.published_target(&current, &action)?;
        let outcome =
            self.inner.git.set_deletion_proposed(target, proposed).await.map_err(CacheError::git(action))?;
        self.finish(outcome, Vec::new()).await?;
        self.written(package, workspace)
    }

    /// Marks a published revision (or placeholder) DeletionProposed (MODIFIED).
    pub async fn propose_deletion(&self, package: &str, workspace: &str) -> Result<Arc<CachedRevision>> {
        self.set_deletion_proposed(package, workspace, true).await
    }

    /// Takes a proposed deletion back: DeletionProposed → Published (MODIFIED).
    pub async fn cancel_deletion(&self, package: &str, workspace: &str) -> Result<Arc<CachedRevision>> {
        self.set_deletion_proposed(package, workspace, false).await
    }

    /// Deletes a revision (DELETED): the draft or proposed branch, the tag (and its marker), or
    /// for a placeholder a commit removing the package from the branch. Deleting the latest
    /// revision moves the latest flag (MODIFIED for the new latest).
    pub async fn delete(&self, package: &str, workspace: &str, user: Option<String>) -> Result<()> {
        let _guard = self.begin(package).await?;
        let current = self.require(package, workspace)?;
        let action = format!("delete package revision {}", current.name);
        let git = &self.inner.git;
        let (package_s, workspace_s) = (package.to_string(), workspace.to_string());
        let (result, extra) = match current.revision.lifecycle {
            Lifecycle::Draft => (git.delete_draft(package_s, workspace_s, Stage::Draft).await, vec![]),
            Lifecycle::Proposed => (git.delete_draft(package_s, workspace_s, Stage::Proposed).await, vec![]),
            _ => match self.published_target(&current, &action)? {
                Published::Placeholder { package } => {
                    let key = current.key();
                    (git.delete_placeholder(package, user).await, vec![Change::Drop(key)])
                }
                Published::Tag { package, revision } => (git.delete_tag(package, revision).await, vec![]),
            },
        };
        let outcome = result.map_err(CacheError::git(action))?;
        self.finish(outcome, extra).await
    }
}
