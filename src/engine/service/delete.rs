//! Delete (porch-api.md §4.4, §7.4): Published revisions must first be proposed for deletion,
//! revisions used as an upstream stay, user finalizers keep the object (terminating) until an
//! update removes them; otherwise the git refs go first, then the PackageRev.

use porch_api::PackageRevision;
use porch_api::gvk::PACKAGE_REVISION;
use porch_layers::ApiError;

use super::read::ListOptions;
use super::{Caller, Engine, Found, translate};
use crate::engine::filter::RevisionFilter;
use crate::engine::lifecycle;
use crate::engine::metadata::UserMeta;

impl Engine {
    /// DELETE of a PackageRevision: the object as it was, or terminating when finalizers stay.
    pub(crate) async fn delete_revision(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<PackageRevision, ApiError> {
        let ns = caller.namespace.as_str();
        let found = self.find(&PACKAGE_REVISION, ns, name).await?;
        let on_engine = translate::on_engine(&PACKAGE_REVISION, name);
        lifecycle::check_delete(Some(&found.rev.revision.lifecycle)).map_err(&on_engine)?;
        self.check_not_upstream(ns, name).await?;
        let _lock = self.lock_revision(&PACKAGE_REVISION, "package revision", ns, name)?;
        let current = found.object();
        if caller.dry_run {
            return Ok(current);
        }
        let user_finalizers =
            found.meta.as_deref().map(UserMeta::of).is_some_and(|u| !u.finalizers.is_empty());
        if user_finalizers {
            self.metadata.delete(ns, name).await.map_err(|e| translate::metadata_error(&e))?;
            return Ok(self.refound(&found, name)?.object());
        }
        self.remove(caller, &found).await?;
        Ok(current)
    }

    /// 403 when a revision of the namespace uses `name` as its upstream.
    async fn check_not_upstream(&self, ns: &str, name: &str) -> Result<(), ApiError> {
        let filter = RevisionFilter::default();
        let options = ListOptions {
            namespace: Some(ns),
            filter: &filter,
            labels: None,
            limit: None,
            continue_token: None,
        };
        let (revisions, _) = self.matching_revisions(&options).await?;
        let others = revisions
            .iter()
            .filter(|(r, _, _)| !r.is_placeholder() && r.name != name)
            .map(|(r, _, _)| (r.name.as_str(), r.revision.tasks.as_slice()));
        lifecycle::check_not_referenced(name, others).map_err(translate::on_engine(&PACKAGE_REVISION, name))
    }

    /// Removes a revision for good: its git refs, then its PackageRev.
    pub(super) async fn remove(&self, caller: &Caller, found: &Found) -> Result<(), ApiError> {
        let d = &found.rev.revision;
        let name = found.rev.name.as_str();
        found
            .cache
            .delete(&d.package, &d.workspace, caller.user.clone())
            .await
            .map_err(translate::on_cache(&PACKAGE_REVISION, name))?;
        let gone = match self.metadata.delete(&caller.namespace, name).await {
            Ok(Some(_)) => self.metadata.release(&caller.namespace, name).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = gone {
            // The revision is gone from git; an orphaned PackageRev is collected later.
            tracing::warn!(revision = name, error = %crate::error_chain::with_causes(&e), "deleting a PackageRev failed");
        }
        Ok(())
    }
}
