//! `packages` (PorchPackage): get and list from the caches; create, update and delete answer
//! 405 with Porch's messages (porch-api.md §1.1).

use porch_api::gvk::PORCH_PACKAGE;
use porch_layers::{ApiError, Column, StorageRequest, StorageResponse, Strategy, Verb};

use super::columns::PACKAGES;
use super::engine::{EngineStorage, caller, filter, list_response, name_of, options, to_json, watch_request};
use super::errors::RestError;
use super::list;
use crate::engine::filter::Target;
use crate::engine::service::Engine;

/// How PorchPackages are printed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PackageStrategy;

impl Strategy for PackageStrategy {
    fn group(&self) -> &str {
        PORCH_PACKAGE.group
    }

    fn kind(&self) -> &str {
        PORCH_PACKAGE.kind
    }

    fn resource(&self) -> &str {
        PORCH_PACKAGE.plural
    }

    fn columns(&self) -> &[Column] {
        PACKAGES
    }
}

/// REST storage of Packages over `engine`.
pub(crate) fn storage(engine: Engine) -> EngineStorage {
    EngineStorage::new(engine, &PORCH_PACKAGE, |engine, req| Box::pin(serve(engine, req)))
}

async fn serve(engine: Engine, req: StorageRequest) -> Result<StorageResponse, RestError> {
    let ctx = &req.ctx;
    match ctx.verb {
        Verb::Get => {
            engine.read_version(req.list.read_at).await?;
            let package = engine.get_package(&caller(ctx).namespace, &name_of(ctx)?).await?;
            Ok(StorageResponse::ok(to_json(&package)?))
        }
        Verb::List => {
            let filter = filter(&req, Target::Packages)?;
            let resource_version = engine.list_version(req.list.read_at).await?;
            let listed = list::packages(&engine, &options(&req, &filter)).await?;
            Ok(list_response(&PORCH_PACKAGE, listed, resource_version)?)
        }
        Verb::Create => Err(ApiError::method_not_allowed(
            "create or clone a PackageRevision resource to create a package as direct package creation",
        ).into()),
        Verb::Update | Verb::Patch => Err(ApiError::method_not_allowed(
            "update a PackageRevision resource to update a package as direct package update",
        ).into()),
        Verb::Delete | Verb::DeleteCollection => Err(ApiError::method_not_allowed(
            "delete all PackageRevisions resources of a package to delete a package as direct package deletion",
        ).into()),
        Verb::Watch => {
            let request = watch_request(&req, Target::Packages)?;
            Ok(StorageResponse::watch(engine.watches().packages.watch(request)?))
        }
    }
}
