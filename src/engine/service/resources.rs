//! PackageRevisionResources updates (porch-api.md §4.5): Draft only; the file set is replaced
//! whole, its paths checked, a root Kptfile required; comments a client dropped are healed from
//! the previous version ([`crate::engine::heal`]); then render. A render failure stores
//! nothing — unless the PackageRevision carries `porch.kpt.dev/push-on-render-failure: "true"`,
//! in which case the unrendered files are committed and the request still fails.

use porch_api::PackageRevisionResources;
use porch_api::gvk::PACKAGE_REVISION_RESOURCES;
use porch_api::labels::PUSH_ON_RENDER_FAILURE_ANNOTATION;
use porch_api::porch::PackageRevisionLifecycle as Lifecycle;

use super::error::{Result, ServiceError};
use super::update::{check_resource_version, render_task};
use super::{Caller, Engine, Found, files_of};
use crate::engine::EngineError;
use crate::engine::heal::heal_comments;
use crate::engine::render::{RENDER_FAILED_PREFIX, RenderRequest};
use crate::engine::resources::{to_files, validate_resources};
use crate::engine::{Files, metadata::UserMeta};
use crate::git::DraftContent;

/// The failure text when the files were pushed despite the render failure.
const PUSHED_DESPITE_FAILURE: &str = "error rendering package in kpt function pipeline. Package pushed to remote despite render failure. Details: ";

impl Engine {
    async fn commit_files(&self, caller: &Caller, found: &Found, files: Files) -> Result<()> {
        let d = &found.rev.revision;
        let content = DraftContent { files, task: Some(render_task()), user: caller.user.clone() };
        found.cache.update_draft(&d.package, &d.workspace, content).await.map_err(ServiceError::on_cache(
            "update the draft",
            &PACKAGE_REVISION_RESOURCES,
            &found.rev.name,
        ))?;
        Ok(())
    }

    /// PUT (or patched PUT) of a PackageRevisionResources.
    pub(crate) async fn update_resources(
        &self,
        caller: &Caller,
        new: PackageRevisionResources,
    ) -> Result<PackageRevisionResources> {
        let info = &PACKAGE_REVISION_RESOURCES;
        let ns = caller.namespace.as_str();
        let name = new.metadata.name.clone().unwrap_or_default();
        let _lock = self.lock_revision(info, "package revision resources", ns, &name)?;
        let found = self.find(info, ns, &name).await?;
        check_resource_version(&new.metadata, found.resource_version(), info, &name)?;
        let lifecycle = &found.rev.revision.lifecycle;
        if *lifecycle != Lifecycle::Draft {
            return Err(ServiceError::conflict(
                info,
                &name,
                format!(
                    "cannot update a package revision with lifecycle value {:?}; package must be Draft",
                    lifecycle.as_str()
                ),
            ));
        }
        let on_engine = ServiceError::on_engine("render", info, &name);
        validate_resources(&new.spec.resources).map_err(&on_engine)?;
        let mut files = to_files(&new.spec.resources);
        heal_comments(&files_of(&found.cache, &found.rev).await?, &mut files);
        let rendered = match self.render(files, RenderRequest::Resources).await {
            Ok(rendered) => rendered,
            Err(EngineError::RenderFailed { message, status, failed }) => {
                let push = found.meta.as_deref().map(UserMeta::of).is_some_and(|u| {
                    u.annotations.get(PUSH_ON_RENDER_FAILURE_ANNOTATION).map(String::as_str) == Some("true")
                });
                if !push {
                    return Err(on_engine(EngineError::RenderFailed { message, status, failed }));
                }
                if !caller.dry_run {
                    self.commit_files(caller, &found, failed.files).await?;
                }
                let details = message.strip_prefix(RENDER_FAILED_PREFIX).unwrap_or(&message);
                return Err(on_engine(EngineError::bad_request(format!(
                    "{PUSHED_DESPITE_FAILURE}{details}"
                ))));
            }
            Err(other) => return Err(on_engine(other)),
        };
        if caller.dry_run {
            let mut out = new;
            out.status.render_status = rendered.status;
            return Ok(out);
        }
        let mut out = self.resources_of(&found.cache, &found.rev, found.meta.as_deref()).await?;
        if to_files(&out.spec.resources) != rendered.files {
            self.commit_files(caller, &found, rendered.files).await?;
            let after = self.refound(&found, &name)?;
            out = self.resources_of(&after.cache, &after.rev, after.meta.as_deref()).await?;
        }
        out.status.render_status = rendered.status;
        Ok(out)
    }
}
