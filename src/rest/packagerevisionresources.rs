//! `packagerevisionresources`: the files of a revision. get, list, update and patch; no create
//! or delete (the router answers 405).

use porch_api::gvk::PACKAGE_REVISION_RESOURCES;
use porch_layers::patch::strategic::StrategicSchema;
use porch_layers::{ApiError, Column, StorageRequest, StorageResponse, Strategy, Verb};

use super::columns::PACKAGE_REVISION_RESOURCES as COLUMNS;
use super::engine::{
    EngineStorage, caller, decode, filter, list_response, name_of, options, to_json, watch_request,
};
use super::errors::RestError;
use super::list;
use crate::engine::filter::Target;
use crate::engine::service::Engine;

/// How PackageRevisionResources are updated and printed. Content checks (paths, Kptfile,
/// lifecycle) are the engine's, since they need the stored revision.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PackageRevisionResourcesStrategy;

impl Strategy for PackageRevisionResourcesStrategy {
    fn group(&self) -> &str {
        PACKAGE_REVISION_RESOURCES.group
    }

    fn kind(&self) -> &str {
        PACKAGE_REVISION_RESOURCES.kind
    }

    fn resource(&self) -> &str {
        PACKAGE_REVISION_RESOURCES.plural
    }

    fn columns(&self) -> &[Column] {
        COLUMNS
    }

    /// Porch serves this Go type through k8s.io/apiserver, which applies strategic merge
    /// patches to it; its own fields carry no `patchStrategy` tags, so only `ObjectMeta`'s
    /// lists merge.
    fn strategic_merge(&self) -> Option<&'static StrategicSchema> {
        Some(&StrategicSchema::OBJECT_META)
    }
}

/// REST storage of PackageRevisionResources over `engine`.
pub(crate) fn storage(engine: Engine) -> EngineStorage {
    EngineStorage::new(engine, &PACKAGE_REVISION_RESOURCES, |engine, req| Box::pin(serve(engine, req)))
}

async fn serve(engine: Engine, req: StorageRequest) -> Result<StorageResponse, RestError> {
    let ctx = &req.ctx;
    let caller = caller(ctx);
    match ctx.verb {
        Verb::Get => {
            engine.read_version(req.list.read_at).await?;
            Ok(StorageResponse::ok(to_json(&engine.get_resources(&caller.namespace, &name_of(ctx)?).await?)?))
        }
        Verb::List => {
            let filter = filter(&req, Target::Revisions)?;
            let resource_version = engine.list_version(req.list.read_at).await?;
            let listed = list::resources(&engine, &options(&req, &filter)).await?;
            Ok(list_response(&PACKAGE_REVISION_RESOURCES, listed, resource_version)?)
        }
        Verb::Update | Verb::Patch if req.old.is_some() => {
            let prr = decode(req.body, &PACKAGE_REVISION_RESOURCES)?;
            Ok(StorageResponse::ok(to_json(&engine.update_resources(&caller, prr).await?)?))
        }
        Verb::Watch => {
            let request = watch_request(&req, Target::Revisions)?;
            Ok(StorageResponse::watch(engine.watches().resources.watch(request)?))
        }
        Verb::Update | Verb::Patch => Err(ApiError::not_found(
            PACKAGE_REVISION_RESOURCES.group,
            PACKAGE_REVISION_RESOURCES.plural,
            ctx.name.as_deref().unwrap_or_default(),
        )
        .into()),
        other => {
            Err(ApiError::method_not_allowed(format!("{other} of packagerevisionresources is not supported"))
                .into())
        }
    }
}
