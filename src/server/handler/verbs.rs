//! The verbs of every resource: the HTTP request becomes a [`StorageRequest`] for the resource's
//! storage stack (the `porch-layers` over its REST storage: the engine, or the embedded store),
//! and the [`StorageResponse`] becomes JSON, a Table, a watch stream or a `Status`, with its
//! warnings.
//!
//! Each concern is here once, for all resources:
//! - the request object is decoded and checked against the URL and the schema ([`decode`]);
//! - managed fields are recorded on writes of the resources that keep them
//!   ([`ResourceDef::tracks_managed_fields`]);
//! - PATCH reads the current object through the stack, applies the patch (merge, JSON,
//!   strategic merge, server-side apply) and sends the result as an update; it is retried when
//!   the write lost an optimistic-lock race ([`ApiError::is_optimistic_lock`]), unless the patch
//!   pinned a resourceVersion. Server-side apply of a missing object is a create;
//! - `DeleteOptions` (body and `dryRun`) are read once for delete and deletecollection.

use bytes::Bytes;
use http::{Response, StatusCode, header, request::Parts};
use porch_layers::managed_fields::{self, Operation};
use porch_layers::patch::{self, PatchType};
use porch_layers::{
    ApiError, DeleteOptions, FieldCause, FieldSelector, LabelSelector, ListOptions, Payload, RequestContext,
    StorageRequest, StorageResponse, TableOptions, UserInfo,
};
use serde_json::Value;
use tower::ServiceExt;

use super::super::negotiate::{Negotiated, TABLE_CONTENT_TYPE};
use super::super::partial;
use super::super::request::{ApiRequest, Verb};
use super::super::resource_stack::ResourceStack;
use super::super::resources::ResourceDef;
use super::super::response::{
    ResponseBody, add_warning, error_response, json_response, json_response_typed, list_response,
    table_response,
};
use super::super::state::AppState;
use super::super::watch::{self, WatchParams};
use super::{PATCH_ATTEMPTS, decode, resource_version};
use crate::time::now_rfc3339;

/// The user of every request in standalone mode (no authentication).
pub(crate) const STANDALONE_USER: &str = "standalone";

/// The user the authenticator put in the request's extensions (aggregated mode), else the
/// standalone user.
fn user(parts: &Parts) -> UserInfo {
    parts.extensions.get::<UserInfo>().cloned().unwrap_or_else(|| UserInfo {
        username: STANDALONE_USER.into(),
        groups: vec!["system:authenticated".into()],
    })
}

struct Call<'a> {
    state: &'a AppState,
    def: &'static ResourceDef,
    api: ApiRequest,
    parts: &'a Parts,
    stack: &'a ResourceStack,
    negotiated: Negotiated,
    /// `dryRun=All` of the query or, for deletes, of the `DeleteOptions` body.
    dry_run: bool,
}

impl Call<'_> {
    fn header(&self, name: header::HeaderName) -> &str {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// `fieldManager`, else the User-Agent's product name, as kube-apiserver derives it.
    fn manager(&self) -> String {
        self.api.query.field_manager.clone().unwrap_or_else(|| {
            let ua = self.header(header::USER_AGENT);
            let product = ua.split('/').next().unwrap_or("").trim();
            if product.is_empty() { "unknown".to_string() } else { product.to_string() }
        })
    }

    fn context(&self, verb: Verb, table: bool) -> RequestContext {
        let path = &self.api.path;
        let mut ctx = RequestContext::new(verb)
            .user(user(self.parts))
            .dry_run(self.dry_run)
            .field_manager(self.manager());
        if let Some(ns) = &path.namespace {
            ctx = ctx.namespace(ns.clone());
        }
        if let Some(name) = &path.name {
            ctx = ctx.name(name.clone());
        }
        if let Some(sub) = &path.subresource {
            ctx = ctx.subresource(sub.clone());
        }
        if table && self.negotiated.table {
            ctx =
                ctx.table(TableOptions { include_object: self.negotiated.include_object, no_headers: false });
        }
        ctx
    }

    async fn send(&self, req: StorageRequest) -> StorageResponse {
        match self.stack.service.clone().oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        }
    }

    /// The current object, read through the stack (as JSON, never a Table).
    async fn current(&self) -> Result<Value, ApiError> {
        let res = self.send(StorageRequest::new(self.context(Verb::Get, false))).await;
        match res.payload {
            Payload::Object(obj) => Ok(obj),
            Payload::Status(e) => Err(e),
            _ => Err(ApiError::internal("a get answered something other than an object")),
        }
    }

    /// A decoded request object, checked against the URL and the schema.
    fn object(&self, body: &[u8]) -> Result<(Value, Vec<String>), ApiError> {
        let mut obj = decode::object(body, self.header(header::CONTENT_TYPE), self.def.kind)?;
        let warnings = self.check(&mut obj)?;
        Ok((obj, warnings))
    }

    /// Checks `obj` against the URL and the schema; returns the warnings.
    fn check(&self, obj: &mut Value) -> Result<Vec<String>, ApiError> {
        decode::check(self.state, self.def, &self.api, obj)
    }

    /// Records the write of `written` by this request's manager in `obj`'s managed fields, for
    /// the resources that keep them.
    fn record_managed_fields(&self, obj: &mut Value, operation: Operation, written: &Value) {
        if self.def.tracks_managed_fields() {
            let sub = self.api.path.subresource.as_deref();
            managed_fields::record(obj, &self.manager(), operation, sub, written, &now_rfc3339());
        }
    }

    /// A write of `obj` (already checked) as `verb`, with its managed fields recorded.
    fn write(&self, verb: Verb, mut obj: Value, operation: Operation, written: &Value) -> StorageRequest {
        self.record_managed_fields(&mut obj, operation, written);
        StorageRequest::new(self.context(verb, true)).with_body(obj)
    }
}

/// Serves `api`; `body` has been read already.
pub(super) async fn handle(
    state: &AppState,
    def: &'static ResourceDef,
    api: ApiRequest,
    parts: &Parts,
    body: Bytes,
) -> Result<Response<ResponseBody>, ApiError> {
    let stack = state.stack(def).ok_or_else(ApiError::path_not_found)?;
    let negotiated = Negotiated::from_accept(
        parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()),
        api.query.include_object.as_deref(),
        api.verb == Verb::Watch,
    )?;
    let dry_run = api.query.dry_run;
    let mut call = Call { state, def, api, parts, stack, negotiated, dry_run };
    let (res, warnings) = match call.api.verb {
        Verb::Get => (call.send(get_request(&call, Verb::Get, ListOptions::default())).await, vec![]),
        Verb::Delete => {
            let delete = delete_options(&mut call, &body)?;
            let req = get_request(&call, Verb::Delete, ListOptions::default()).with_delete(delete);
            (call.send(req).await, vec![])
        }
        Verb::List | Verb::Watch => (call.send(list_request(&call, true)?).await, vec![]),
        Verb::DeleteCollection => {
            let delete = delete_options(&mut call, &body)?;
            // The deleted objects come back as a list, never a Table.
            (call.send(list_request(&call, false)?.with_delete(delete)).await, vec![])
        }
        Verb::Create => {
            let (obj, warnings) = call.object(&body)?;
            let written = obj.clone();
            (call.send(call.write(Verb::Create, obj, Operation::Update, &written)).await, warnings)
        }
        Verb::Update => {
            let (obj, warnings) = call.object(&body)?;
            let written = obj.clone();
            let old = call.current().await?;
            let req = call.write(Verb::Update, obj, Operation::Update, &written).with_old(old);
            (call.send(req).await, warnings)
        }
        Verb::Patch => patch_object(&call, &body).await?,
    };
    if let Payload::Watch(events) = res.payload {
        let timeout = watch::timeout(call.api.query.timeout_seconds, state.default_watch_timeout);
        let params = WatchParams { negotiated: call.negotiated, timeout, shutdown: state.shutdown.clone() };
        return Ok(watch::response(events, params));
    }
    Ok(encode(res, &warnings, call.negotiated.partial))
}

/// A get (or delete) of the path's object, read as of the request's resourceVersion.
fn get_request(call: &Call<'_>, verb: Verb, mut read: ListOptions) -> StorageRequest {
    read.read_at = call.api.read_at;
    StorageRequest::new(call.context(verb, true)).with_list(read)
}

/// Parses the label and field selectors of a list or watch.
fn selectors(
    label: Option<&str>,
    field: Option<&str>,
) -> Result<(Option<LabelSelector>, Option<FieldSelector>), ApiError> {
    let label = label
        .map(LabelSelector::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
    let field = field
        .map(FieldSelector::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("invalid field selector: {e}")))?;
    Ok((label, field))
}

fn list_request(call: &Call<'_>, table: bool) -> Result<StorageRequest, ApiError> {
    let q = &call.api.query;
    let (label_selector, field_selector) =
        selectors(q.label_selector.as_deref(), q.field_selector.as_deref())?;
    let mut list = ListOptions::default();
    list.label_selector = label_selector;
    list.field_selector = field_selector;
    list.limit = q.limit.map(|l| l as u64);
    list.continue_token = q.continue_token.clone();
    list.resource_version = q.resource_version.clone();
    list.resource_version_match = q.resource_version_match.clone();
    list.read_at = call.api.read_at;
    list.send_initial_events = q.send_initial_events == Some(true);
    list.allow_watch_bookmarks = q.allow_watch_bookmarks;
    list.timeout_seconds = q.timeout_seconds;
    Ok(StorageRequest::new(call.context(call.api.verb, table)).with_list(list))
}

/// `DeleteOptions` from the body (kubectl sends `{"propagationPolicy":"Background"}`); its
/// `dryRun: ["All"]` makes the request a dry run, as the query's does.
fn delete_options(call: &mut Call<'_>, body: &[u8]) -> Result<DeleteOptions, ApiError> {
    let opts: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(serde_json::Map::new())
    } else {
        decode::object(body, call.header(header::CONTENT_TYPE), "DeleteOptions")?
    };
    if opts.get("dryRun").and_then(Value::as_array).is_some_and(|d| d.iter().any(|v| v == "All")) {
        call.dry_run = true;
    }
    let text = |pointer: &str| opts.pointer(pointer).and_then(Value::as_str).map(str::to_string);
    let mut delete = DeleteOptions::default();
    delete.precondition_uid = text("/preconditions/uid");
    delete.precondition_resource_version = text("/preconditions/resourceVersion");
    delete.propagation_policy = text("/propagationPolicy");
    delete.grace_period_seconds = opts.get("gracePeriodSeconds").and_then(Value::as_i64);
    Ok(delete)
}

/// PATCH: read, patch, write with the read object as the current one, and retry when another
/// writer got in between (unless the patch itself pinned a resourceVersion). Server-side apply
/// creates the object when it does not exist.
async fn patch_object(call: &Call<'_>, body: &[u8]) -> Result<(StorageResponse, Vec<String>), ApiError> {
    let strategic = call.stack.strategy.strategic_merge();
    let patch_type = PatchType::from_content_type(call.header(header::CONTENT_TYPE), strategic)?;
    if patch_type == PatchType::Apply && call.api.query.field_manager.is_none() {
        return Err(ApiError::invalid(
            call.def.group,
            call.def.kind,
            call.api.path.name.as_deref().unwrap_or(""),
            &[FieldCause::required("fieldManager", "is required for apply patch")],
        ));
    }
    let operation = if patch_type == PatchType::Apply { Operation::Apply } else { Operation::Update };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = match call.current().await {
            Ok(current) => current,
            Err(e)
                if e.code() == 404
                    && patch_type == PatchType::Apply
                    && call.api.path.subresource.is_none() =>
            {
                // Server-side apply of a missing object: create it from the configuration.
                let mut obj = patch::decode_apply(body)?;
                let warnings = call.check(&mut obj)?;
                let written = obj.clone();
                return Ok((call.send(call.write(Verb::Patch, obj, operation, &written)).await, warnings));
            }
            Err(e) => return Err(e),
        };
        let mut obj = current.clone();
        patch::apply(patch_type, &mut obj, body)?;
        let pinned = resource_version(&obj) != resource_version(&current);
        let warnings = call.check(&mut obj)?;
        let written = match patch_type {
            PatchType::Apply => patch::decode_apply(body)?,
            _ => obj.clone(),
        };
        let res = call.send(call.write(Verb::Patch, obj, operation, &written).with_old(current)).await;
        let stale = res.as_error().is_some_and(ApiError::is_optimistic_lock);
        if stale && !pinned && attempt < PATCH_ATTEMPTS {
            continue;
        }
        return Ok((res, warnings));
    }
}

/// The HTTP response of a storage response; `partial`: objects reduced to metadata in that
/// meta.k8s.io version.
fn encode(res: StorageResponse, warnings: &[String], partial: Option<&str>) -> Response<ResponseBody> {
    let code = StatusCode::from_u16(res.code).unwrap_or(StatusCode::OK);
    let mut http = match (&res.payload, partial) {
        (Payload::Object(obj), Some(v)) => {
            json_response_typed(code, &partial::content_type(v), &partial::object(obj, v))
        }
        (Payload::List(list), Some(v)) => {
            json_response_typed(code, &partial::list_content_type(v), &partial::list(list, v))
        }
        (payload, _) => encode_payload(code, payload),
    };
    for w in warnings.iter().chain(&res.warnings) {
        add_warning(&mut http, w);
    }
    http
}

/// The HTTP response of a payload as it is.
fn encode_payload(code: StatusCode, payload: &Payload) -> Response<ResponseBody> {
    match payload {
        Payload::Object(obj) => json_response(code, obj),
        Payload::List(list) => list_response(code, list),
        Payload::Table(table) => table_response(code, TABLE_CONTENT_TYPE, table),
        Payload::Status(e) => error_response(e),
        Payload::Watch(_) => {
            error_response(&ApiError::internal("a watch cannot be encoded as a single response"))
        }
        _ => error_response(&ApiError::internal("unknown response payload")),
    }
}
