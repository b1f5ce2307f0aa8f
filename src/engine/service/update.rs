//! Updates of a PackageRevision (porch-api.md §4.2, §4.3): the main resource and the `approval`
//! subresource. The lifecycle rules pick a [`Transition`]; a Draft's Kptfile is recomputed from
//! the spec and re-rendered (committed only when its files change); metadata goes to the
//! PackageRev. A terminating revision whose last finalizer is removed is deleted for real.

use porch_api::PackageRevision;
use porch_api::gvk::PACKAGE_REVISION;
use porch_api::labels::LATEST_REVISION_LABEL;
use porch_api::porch::{PackageRevisionLifecycle as Lifecycle, Task, TaskType};
use porch_layers::request::precondition::{check_version, same_number};

use super::error::{Result, ServiceError};
use super::{Caller, Engine, Found, files_of};
use crate::engine::lifecycle::{self, Transition};
use crate::engine::metadata::UserMeta;
use crate::engine::render::RenderRequest;
use crate::engine::{EngineError, kptfile, validate};
use crate::git::DraftContent;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use porch_api::gvk::ResourceInfo;

/// The task recorded on commits that re-render a draft.
pub(super) fn render_task() -> Task {
    Task { type_: TaskType::Render, ..Task::default() }
}

/// The update's optimistic lock ([`check_version`]): its resourceVersion is required (Porch's
/// invalid field) and, read as a number, must be the current one (else [`ServiceError::Stale`]). Checked under the revision's
/// try-lock, so nothing writes the revision between the check and the update.
pub(super) fn check_resource_version(
    meta: &ObjectMeta,
    current: u64,
    info: &'static ResourceInfo,
    name: &str,
) -> Result<()> {
    validate::require_resource_version(meta).map_err(ServiceError::on_engine("update", info, name))?;
    // The version is there (checked above): any failure is a stale one.
    check_version(meta.resource_version.as_deref(), false, |given| same_number(given, current))
        .map_err(|_| ServiceError::Stale { resource: info, name: name.to_string() })
}

/// The user metadata an update asks for (the computed latest label is not the user's).
fn requested_meta(meta: &ObjectMeta) -> UserMeta {
    let mut user = UserMeta::from_object(meta);
    user.labels.remove(LATEST_REVISION_LABEL);
    user
}

impl Engine {
    /// PUT (or patched PUT) of a PackageRevision; `approval` for the `approval` subresource.
    pub(crate) async fn update_revision(
        &self,
        caller: &Caller,
        new: PackageRevision,
        approval: bool,
    ) -> Result<PackageRevision> {
        let ns = caller.namespace.as_str();
        let name = new.metadata.name.clone().unwrap_or_default();
        let _lock = self.lock_revision(&PACKAGE_REVISION, "package revision", ns, &name)?;
        let found = self.find(&PACKAGE_REVISION, ns, &name).await?;
        check_resource_version(&new.metadata, found.resource_version(), &PACKAGE_REVISION, &name)?;
        let current = found.object();
        let invalid = |causes: Vec<porch_layers::FieldCause>| {
            ServiceError::on_engine("update", &PACKAGE_REVISION, &name)(EngineError::Invalid { causes })
        };
        if let Some(cause) =
            validate::latest_label_on_update(current.metadata.labels.as_ref(), new.metadata.labels.as_ref())
        {
            return Err(invalid(vec![cause]));
        }
        let transition = if approval {
            lifecycle::approval_transition(current.spec.lifecycle.as_ref(), new.spec.lifecycle.as_ref())
        } else {
            lifecycle::update_transition(&current.spec, &new.spec)
        }
        .map_err(invalid)?;
        let user = requested_meta(&new.metadata);
        if caller.dry_run {
            return Ok(new);
        }
        let stored = found.meta.as_deref().map(UserMeta::of).unwrap_or_default();
        let terminating = found.meta.as_ref().is_some_and(|m| m.metadata.deletion_timestamp.is_some());
        if terminating && user.finalizers.is_empty() {
            // The last finalizer is gone: record that, then delete for real.
            self.put_meta(ns, &name, &found.rev.repository, &user).await?;
            self.remove(caller, &found).await?;
            return Ok(current);
        }

        let (package, workspace) =
            (found.rev.revision.package.as_str(), found.rev.revision.workspace.as_str());
        let cache = &found.cache;
        match transition {
            Transition::None | Transition::Propose if found.rev.revision.lifecycle == Lifecycle::Draft => {
                self.rewrite_draft(caller, &found, &new).await?;
                if transition == Transition::Propose {
                    let on_cache = ServiceError::on_cache("propose", &PACKAGE_REVISION, &name);
                    cache.propose(package, workspace).await.map_err(on_cache)?;
                }
            }
            Transition::None | Transition::MetadataOnly => {}
            Transition::Propose => {
                let on_cache = ServiceError::on_cache("propose", &PACKAGE_REVISION, &name);
                cache.propose(package, workspace).await.map_err(on_cache)?;
            }
            Transition::Reject => {
                let on_cache = ServiceError::on_cache("reject", &PACKAGE_REVISION, &name);
                cache.reject(package, workspace).await.map_err(on_cache)?;
            }
            Transition::Approve => {
                let on_cache = ServiceError::on_cache("approve", &PACKAGE_REVISION, &name);
                cache.approve(package, workspace, caller.user.clone()).await.map_err(on_cache)?;
            }
            Transition::ProposeDeletion => {
                let on_cache = ServiceError::on_cache("propose the deletion of", &PACKAGE_REVISION, &name);
                cache.propose_deletion(package, workspace).await.map_err(on_cache)?;
            }
            Transition::CancelDeletion => {
                let on_cache = ServiceError::on_cache("cancel the deletion of", &PACKAGE_REVISION, &name);
                cache.cancel_deletion(package, workspace).await.map_err(on_cache)?;
            }
        }
        if user != stored {
            self.put_meta(ns, &name, &found.rev.repository, &user).await?;
        }
        Ok(self.refound(&found, &name)?.object())
    }

    /// Recomputes a Draft's root Kptfile from `new` (package metadata, readiness gates,
    /// conditions), renders, and commits when the files changed.
    async fn rewrite_draft(&self, caller: &Caller, found: &Found, new: &PackageRevision) -> Result<()> {
        let name = found.rev.name.as_str();
        let on_engine = ServiceError::on_engine("render", &PACKAGE_REVISION, name);
        let before = files_of(&found.cache, &found.rev).await?;
        let mut files = before.clone();
        let Some(mut root) = kptfile::read_root(&files).map_err(EngineError::from).map_err(&on_engine)?
        else {
            return Ok(());
        };
        if let Some(metadata) = &new.spec.package_metadata {
            root.replace_package_metadata(metadata);
        }
        root.set_readiness_gates(&new.spec.readiness_gates);
        root.replace_conditions(&new.status.conditions);
        kptfile::write_root(&mut files, &root);
        let rendered = self.render(files, RenderRequest::DraftUpdate).await.map_err(&on_engine)?;
        if rendered.files == before {
            return Ok(());
        }
        let d = &found.rev.revision;
        let content =
            DraftContent { files: rendered.files, task: Some(render_task()), user: caller.user.clone() };
        found.cache.update_draft(&d.package, &d.workspace, content).await.map_err(ServiceError::on_cache(
            "update the draft",
            &PACKAGE_REVISION,
            name,
        ))?;
        Ok(())
    }
}
