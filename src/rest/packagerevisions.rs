//! `packagerevisions` and `packagerevisions/approval`: the strategy (Porch's create, update and
//! approval rules) and the REST storage over the engine.

use std::sync::Arc;

use porch_api::PackageRevision;
use porch_api::gvk::PACKAGE_REVISION;
use porch_api::names::package_revision_name;
use porch_layers::json_pointer::at;
use porch_layers::patch::strategic::StrategicSchema;
use porch_layers::{
    ApiError, Column, FieldCause, RequestContext, StorageRequest, StorageResponse, Strategy, Verb,
};
use serde_json::Value;

use super::columns::PACKAGE_REVISIONS;
use super::engine::{
    EngineStorage, caller, decode, encoded_list_response, filter, name_of, options, to_json, watch_request,
};
use super::errors::RestError;
use super::list;
use crate::engine::filter::Target;
use crate::engine::lifecycle;
use crate::engine::service::Engine;
use crate::engine::validate;

/// The `approval` subresource.
pub(crate) const APPROVAL: &str = "approval";

/// How PackageRevisions are created, updated, approved and printed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PackageRevisionStrategy;

fn typed(obj: &Value) -> Result<PackageRevision, FieldCause> {
    serde_json::from_value(obj.clone())
        .map_err(|e| FieldCause::invalid("", format!("the object is not a valid PackageRevision: {e}")))
}

impl Strategy for PackageRevisionStrategy {
    fn group(&self) -> &str {
        PACKAGE_REVISION.group
    }

    fn kind(&self) -> &str {
        PACKAGE_REVISION.kind
    }

    fn resource(&self) -> &str {
        PACKAGE_REVISION.plural
    }

    /// The name is computed from the spec (a client-given name is ignored, as in Porch); `status`
    /// is dropped.
    fn prepare_for_create(&self, _ctx: &RequestContext, obj: &mut Value) {
        let text = |p: &str| at(obj, p).and_then(Value::as_str).unwrap_or_default().to_string();
        let name = package_revision_name(
            &text("/spec/repository"),
            &text("/spec/packageName"),
            &text("/spec/workspaceName"),
        );
        if let Some(map) = obj.as_object_mut() {
            map.remove("status");
        }
        if !name.is_empty()
            && let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.insert("name".into(), Value::from(name));
        }
    }

    /// Porch's `PrepareForUpdate`: a request without `spec.packageMetadata` keeps the old one.
    /// `status` travels with the object (clients may send `status.conditions`).
    fn prepare_for_update(&self, _ctx: &RequestContext, new: &mut Value, old: &Value) {
        let missing = at(new, "/spec/packageMetadata").is_none_or(Value::is_null);
        if missing
            && let (Some(value), Some(spec)) =
                (at(old, "/spec/packageMetadata"), new.get_mut("spec").and_then(Value::as_object_mut))
        {
            spec.insert("packageMetadata".into(), value.clone());
        }
    }

    fn validate(&self, _ctx: &RequestContext, obj: &Value) -> Vec<FieldCause> {
        match typed(obj) {
            Ok(pr) => validate::validate_create(&pr),
            Err(cause) => vec![cause],
        }
    }

    fn validate_update(&self, ctx: &RequestContext, new: &Value, old: &Value) -> Vec<FieldCause> {
        let (new, old) = match (typed(new), typed(old)) {
            (Ok(new), Ok(old)) => (new, old),
            (Err(cause), _) | (_, Err(cause)) => return vec![cause],
        };
        if ctx.subresource.as_deref() != Some(APPROVAL) {
            return validate::validate_update(&old, &new);
        }
        let mut causes: Vec<FieldCause> =
            validate::latest_label_on_update(old.metadata.labels.as_ref(), new.metadata.labels.as_ref())
                .into_iter()
                .collect();
        if let Err(more) =
            lifecycle::approval_transition(old.spec.lifecycle.as_ref(), new.spec.lifecycle.as_ref())
        {
            causes.extend(more);
        }
        causes
    }

    /// An unset lifecycle is `Draft`.
    fn canonicalize(&self, obj: &mut Value) {
        let unset = at(obj, "/spec/lifecycle").is_none_or(|l| l.is_null() || l == "");
        if unset && let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("lifecycle".into(), Value::from("Draft"));
        }
    }

    fn columns(&self) -> &[Column] {
        PACKAGE_REVISIONS
    }

    /// Porch serves this Go type through k8s.io/apiserver, which applies strategic merge
    /// patches to it; its own fields carry no `patchStrategy` tags, so only `ObjectMeta`'s
    /// lists merge.
    fn strategic_merge(&self) -> Option<&'static StrategicSchema> {
        Some(&StrategicSchema::OBJECT_META)
    }
}

/// REST storage of PackageRevisions over `engine`.
pub(crate) fn storage(engine: Engine) -> EngineStorage {
    EngineStorage::new(engine, &PACKAGE_REVISION, |engine, req| Box::pin(serve(engine, req)))
}

async fn serve(engine: Engine, req: StorageRequest) -> Result<StorageResponse, RestError> {
    let ctx = &req.ctx;
    let caller = caller(ctx);
    let approval = ctx.subresource.as_deref() == Some(APPROVAL);
    match ctx.verb {
        Verb::Get => {
            engine.read_version(req.list.read_at).await?;
            Ok(StorageResponse::ok(to_json(&engine.get_revision(&caller.namespace, &name_of(ctx)?).await?)?))
        }
        Verb::List => {
            let filter = filter(&req, Target::Revisions)?;
            let resource_version = engine.list_version(req.list.read_at).await?;
            let listed = list::revisions(&engine, &options(&req, &filter)).await?;
            Ok(encoded_list_response(&PACKAGE_REVISION, listed, resource_version))
        }
        Verb::Create | Verb::Update | Verb::Patch => {
            let pr = decode(req.body, &PACKAGE_REVISION)?;
            // An update or server-side apply of an object that does not exist is a create.
            if ctx.verb == Verb::Create || (req.old.is_none() && !approval) {
                Ok(StorageResponse::created(to_json(&engine.create_revision(&caller, pr).await?)?))
            } else {
                Ok(StorageResponse::ok(to_json(&engine.update_revision(&caller, pr, approval).await?)?))
            }
        }
        Verb::Delete => {
            let revisions = || list::namespace_revisions(&engine, &caller.namespace);
            Ok(StorageResponse::ok(to_json(
                &engine.delete_revision(&caller, &name_of(ctx)?, revisions).await?,
            )?))
        }
        Verb::Watch => {
            let request = watch_request(&req, Target::Revisions)?;
            Ok(StorageResponse::watch(engine.watches().revisions.watch(request)?))
        }
        Verb::DeleteCollection => {
            Err(ApiError::method_not_allowed("deletecollection of packagerevisions is not supported").into())
        }
    }
}

/// The shared strategy value.
pub(crate) fn strategy() -> Arc<PackageRevisionStrategy> {
    Arc::new(PackageRevisionStrategy)
}
