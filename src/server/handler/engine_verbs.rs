//! The verbs of the porch.kpt.dev resources: the HTTP request becomes a [`StorageRequest`] for
//! the resource's storage stack (layers + REST storage over the engine), and the
//! [`StorageResponse`] becomes JSON, a Table or a `Status`, with its warnings.
//!
//! PATCH reads the current object through the same stack, applies the patch and sends the
//! result as an update; it is retried when another writer got in between (unless the patch
//! pinned a resourceVersion). Server-side apply of a missing object is a create.

use bytes::Bytes;
use http::{Response, StatusCode, header, request::Parts};
use porch_layers::patch::{self, PatchType};
use porch_layers::status::OPTIMISTIC_LOCK_MESSAGE;
use porch_layers::{
    ApiError, ListOptions, Payload, RequestContext, StorageRequest, StorageResponse, TableOptions, UserInfo,
};
use serde_json::Value;
use tower::ServiceExt;

use super::super::negotiate::{Negotiated, TABLE_CONTENT_TYPE};
use super::super::request::{ApiRequest, Verb};
use super::super::resource_stack::ResourceStack;
use super::super::resources::ResourceDef;
use super::super::response::{
    ResponseBody, add_warning, error_response, json_response, json_response_typed, list_response,
};
use super::super::state::AppState;
use super::super::watch::{self, WatchParams};
use super::{PATCH_ATTEMPTS, decode, resource_version};

/// The user of every request in standalone mode (no authentication).
pub(crate) const STANDALONE_USER: &str = "standalone";

struct Call<'a> {
    state: &'a AppState,
    def: &'static ResourceDef,
    api: ApiRequest,
    parts: &'a Parts,
    stack: &'a ResourceStack,
    negotiated: Negotiated,
}

impl Call<'_> {
    fn header(&self, name: header::HeaderName) -> &str {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn context(&self, verb: Verb, table: bool) -> RequestContext {
        let path = &self.api.path;
        let mut ctx = RequestContext::new(verb)
            .user(UserInfo { username: STANDALONE_USER.into(), groups: vec!["system:authenticated".into()] })
            .dry_run(self.api.query.dry_run);
        if let Some(ns) = &path.namespace {
            ctx = ctx.namespace(ns.clone());
        }
        if let Some(name) = &path.name {
            ctx = ctx.name(name.clone());
        }
        if let Some(sub) = &path.subresource {
            ctx = ctx.subresource(sub.clone());
        }
        if let Some(manager) = &self.api.query.field_manager {
            ctx = ctx.field_manager(manager.clone());
        }
        if table && self.negotiated.table {
            ctx =
                ctx.table(TableOptions { include_object: self.negotiated.include_object, no_headers: false });
        }
        ctx
    }

    async fn send(&self, req: StorageRequest) -> StorageResponse {
        match self.stack.clone().oneshot(req).await {
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
}

/// Serves `api` for an engine-backed resource; `body` has been read already.
pub(super) async fn handle(
    state: &AppState,
    def: &'static ResourceDef,
    api: ApiRequest,
    parts: &Parts,
    body: Bytes,
) -> Result<Response<ResponseBody>, ApiError> {
    let stack = state.engine.stack(def.resource).ok_or_else(ApiError::path_not_found)?;
    let negotiated = Negotiated::from_accept(
        parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()),
        api.query.include_object.as_deref(),
        api.verb == Verb::Watch,
    )?;
    let call = Call { state, def, api, parts, stack, negotiated };
    let (res, warnings) = match call.api.verb {
        Verb::Get | Verb::Delete => {
            let mut read = ListOptions::default();
            read.read_at = call.api.read_at;
            (call.send(StorageRequest::new(call.context(call.api.verb, true)).with_list(read)).await, vec![])
        }
        Verb::List | Verb::Watch | Verb::DeleteCollection => (call.send(list_request(&call)?).await, vec![]),
        Verb::Create => {
            let (obj, warnings) = call.object(&body)?;
            (call.send(StorageRequest::new(call.context(Verb::Create, true)).with_body(obj)).await, warnings)
        }
        Verb::Update => {
            let (obj, warnings) = call.object(&body)?;
            let old = call.current().await?;
            let req = StorageRequest::new(call.context(Verb::Update, true)).with_body(obj).with_old(old);
            (call.send(req).await, warnings)
        }
        Verb::Patch => patch_object(&call, &body).await?,
    };
    if let Payload::Watch(events) = res.payload {
        let timeout = watch::timeout(call.api.query.timeout_seconds, state.default_watch_timeout);
        let params =
            WatchParams { def, negotiated: call.negotiated, timeout, shutdown: state.shutdown.clone() };
        return Ok(watch::response(events, params));
    }
    Ok(encode(res, &warnings))
}

fn list_request(call: &Call<'_>) -> Result<StorageRequest, ApiError> {
    let q = &call.api.query;
    let (label_selector, field_selector) =
        crate::rest::store::selectors(q.label_selector.as_deref(), q.field_selector.as_deref())?;
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
    Ok(StorageRequest::new(call.context(call.api.verb, true)).with_list(list))
}

/// Whether a failed write is an optimistic-lock conflict worth a fresh read and a retry.
fn is_stale(res: &StorageResponse) -> bool {
    res.as_error().is_some_and(|e| e.reason() == "Conflict" && e.message().contains(OPTIMISTIC_LOCK_MESSAGE))
}

async fn patch_object(call: &Call<'_>, body: &[u8]) -> Result<(StorageResponse, Vec<String>), ApiError> {
    let patch_type = PatchType::from_content_type(call.header(header::CONTENT_TYPE))?;
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
                let req = StorageRequest::new(call.context(Verb::Patch, true)).with_body(obj);
                return Ok((call.send(req).await, warnings));
            }
            Err(e) => return Err(e),
        };
        let mut obj = current.clone();
        patch::apply(patch_type, &mut obj, body)?;
        let pinned = resource_version(&obj) != resource_version(&current);
        let warnings = call.check(&mut obj)?;
        let req = StorageRequest::new(call.context(Verb::Patch, true)).with_body(obj).with_old(current);
        let res = call.send(req).await;
        if is_stale(&res) && !pinned && attempt < PATCH_ATTEMPTS {
            continue;
        }
        return Ok((res, warnings));
    }
}

/// The HTTP response of a storage response.
fn encode(res: StorageResponse, warnings: &[String]) -> Response<ResponseBody> {
    let code = StatusCode::from_u16(res.code).unwrap_or(StatusCode::OK);
    let mut http = match &res.payload {
        Payload::Object(obj) => json_response(code, obj),
        Payload::List(list) => {
            list_response(code, &list.api_version, &list.kind, &list.metadata, &list.items)
        }
        Payload::Table(table) => json_response_typed(code, TABLE_CONTENT_TYPE, table),
        Payload::Status(e) => error_response(e),
        Payload::Watch(_) => {
            error_response(&ApiError::internal("a watch cannot be encoded as a single response"))
        }
        _ => error_response(&ApiError::internal("unknown response payload")),
    };
    for w in warnings.iter().chain(&res.warnings) {
        add_warning(&mut http, w);
    }
    http
}
