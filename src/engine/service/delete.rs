//! Delete (porch-api.md §4.4, §7.4): Published revisions must first be proposed for deletion,
//! revisions used as an upstream stay, user finalizers keep the object (terminating) until an
//! update removes them; otherwise the git refs go, and with the cache's record of that, the
//! PackageRev.

use std::future::Future;
use std::sync::Arc;

use super::error::{Result, ServiceError};
use super::{Caller, Engine, Found};
use crate::cache::CachedRevision;
use crate::engine::lifecycle;
use crate::engine::metadata::UserMeta;
use porch_api::PackageRevision;
use porch_api::gvk::PACKAGE_REVISION;

impl Engine {
    /// DELETE of a PackageRevision: the object as it was, or terminating when finalizers stay.
    ///
    /// `namespace_revisions` gives the revisions of the caller's namespace as a list sees them
    /// (REST storage visits the Repositories, `rest/list.rs`); it is awaited only once the
    /// revision is found and its lifecycle allows the delete, to check that no other revision
    /// uses it as an upstream. Its failures are the caller's `E`; the engine's own convert into
    /// it.
    pub(crate) async fn delete_revision<F, Fut, E>(
        &self,
        caller: &Caller,
        name: &str,
        namespace_revisions: F,
    ) -> Result<PackageRevision, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<Arc<CachedRevision>>, E>>,
        E: From<ServiceError>,
    {
        let ns = caller.namespace.as_str();
        let found = self.find(&PACKAGE_REVISION, ns, name).await?;
        let on_engine = ServiceError::on_engine("delete", &PACKAGE_REVISION, name);
        lifecycle::check_delete(Some(&found.rev.revision.lifecycle)).map_err(on_engine)?;
        check_not_upstream(name, &namespace_revisions().await?)?;
        let _lock = self.lock_revision(&PACKAGE_REVISION, "package revision", ns, name)?;
        let current = found.object();
        if caller.dry_run {
            return Ok(current);
        }
        let user_finalizers =
            found.meta.as_deref().map(UserMeta::of).is_some_and(|u| !u.finalizers.is_empty());
        if user_finalizers {
            self.metadata.delete(ns, name).await.map_err(ServiceError::from)?;
            return Ok(self.refound(&found, name)?.object());
        }
        self.remove(caller, &found).await?;
        Ok(current)
    }

    /// Removes a revision for good: its git refs (the cache records the change by deleting its
    /// PackageRev, see `metadata/record.rs`).
    pub(super) async fn remove(&self, caller: &Caller, found: &Found) -> Result<()> {
        let d = &found.rev.revision;
        let name = found.rev.name.as_str();
        found
            .cache
            .delete(&d.package, &d.workspace, caller.user.clone())
            .await
            .map_err(ServiceError::on_cache("delete", &PACKAGE_REVISION, name))?;
        Ok(())
    }
}

/// Forbidden when one of `revisions` (those of the namespace) uses `name` as its upstream.
fn check_not_upstream(name: &str, revisions: &[Arc<CachedRevision>]) -> Result<()> {
    let others = revisions
        .iter()
        .filter(|r| !r.is_placeholder() && r.name != name)
        .map(|r| (r.name.as_str(), r.revision.tasks.as_slice()));
    lifecycle::check_not_referenced(name, others).map_err(ServiceError::on_engine(
        "delete",
        &PACKAGE_REVISION,
        name,
    ))
}
