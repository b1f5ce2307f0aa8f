//! The verbs of resources kept in the embedded CR store, as kube-apiserver serves custom
//! resources: JSON or Table responses, watch streams, create/update/patch/delete with dry-run,
//! server-side field validation and managed fields.

use super::super::negotiate::{Negotiated, TABLE_CONTENT_TYPE};
use super::super::request::{ApiRequest, Verb};
use super::super::resources::ResourceDef;
use super::super::response::{ResponseBody, add_warning, json_response, json_response_typed, list_response};
use super::super::state::AppState;
use super::super::table::{self, TableOptions};
use super::super::watch::{self, WatchParams};
use super::{PATCH_ATTEMPTS, decode, resource_version};
use crate::crdstore::{DeleteOptions, ListOptions, StoredKind, WatchOptions};
use crate::time::now_rfc3339;
use bytes::Bytes;
use http::{Response, StatusCode, header, request::Parts};
use porch_layers::managed_fields::{self, Operation};
use porch_layers::patch::{self, PatchType};
use porch_layers::request::{check_send_initial_events, list_metadata};
use porch_layers::{ApiError, FieldCause};
use serde_json::{Value, json};
use std::sync::Arc;

struct Call<'a> {
    state: &'a AppState,
    def: &'static ResourceDef,
    kind: StoredKind,
    api: ApiRequest,
    parts: &'a Parts,
    negotiated: Negotiated,
}

impl Call<'_> {
    fn ns(&self) -> Option<&str> {
        self.api.path.namespace.as_deref()
    }

    fn name(&self) -> &str {
        self.api.path.name.as_deref().unwrap_or("")
    }

    fn header(&self, name: header::HeaderName) -> &str {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn is_status(&self) -> bool {
        self.api.path.subresource.as_deref() == Some("status")
    }

    /// `fieldManager`, else the User-Agent's product name, as kube-apiserver derives it.
    fn manager(&self) -> String {
        self.api.query.field_manager.clone().unwrap_or_else(|| {
            let ua = self.header(header::USER_AGENT);
            let product = ua.split('/').next().unwrap_or("").trim();
            if product.is_empty() { "unknown".to_string() } else { product.to_string() }
        })
    }

    /// A single object as JSON or as a one-row Table.
    fn object_response(&self, code: StatusCode, obj: Value) -> Response<ResponseBody> {
        if self.negotiated.table {
            let rv = obj.pointer("/metadata/resourceVersion").cloned().unwrap_or(Value::Null);
            let options = TableOptions { include_object: self.negotiated.include_object, no_headers: false };
            let t = table::to_table(self.def, &[Arc::new(obj)], json!({"resourceVersion": rv}), options);
            json_response_typed(code, TABLE_CONTENT_TYPE, &t)
        } else {
            json_response(code, &obj)
        }
    }

    /// Checks `obj` against the URL and drops its unknown fields (or rejects them under
    /// `fieldValidation=Strict`); returns the warnings.
    fn check(&self, obj: &mut Value) -> Result<Vec<String>, ApiError> {
        decode::check(self.state, self.def, &self.api, obj)
    }

    fn with_warnings(mut res: Response<ResponseBody>, warnings: &[String]) -> Response<ResponseBody> {
        for w in warnings {
            add_warning(&mut res, w);
        }
        res
    }
}

/// Serves `api` for a stored kind; `body` has been read already.
pub(super) async fn handle(
    state: &AppState,
    def: &'static ResourceDef,
    kind: StoredKind,
    api: ApiRequest,
    parts: &Parts,
    body: Bytes,
) -> Result<Response<ResponseBody>, ApiError> {
    let negotiated = Negotiated::from_accept(
        parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()),
        api.query.include_object.as_deref(),
        api.verb == Verb::Watch,
    )?;
    let call = Call { state, def, kind, api, parts, negotiated };
    match call.api.verb {
        Verb::Get => get(&call).await,
        Verb::List => list(&call).await,
        Verb::Watch => watch_objects(&call),
        Verb::Create => create(&call, &body).await,
        Verb::Update => update(&call, &body).await,
        Verb::Patch => patch_object(&call, &body).await,
        Verb::Delete => delete(&call, &body).await,
        Verb::DeleteCollection => delete_collection(&call, &body).await,
    }
}

async fn get(call: &Call<'_>) -> Result<Response<ResponseBody>, ApiError> {
    let obj = call.state.store.get_at(call.kind, call.ns(), call.name(), call.api.read_at).await?;
    Ok(call.object_response(StatusCode::OK, obj))
}

fn list_options(call: &Call<'_>) -> Result<ListOptions, ApiError> {
    let q = &call.api.query;
    let (label_selector, field_selector) =
        crate::rest::store::selectors(q.label_selector.as_deref(), q.field_selector.as_deref())?;
    Ok(ListOptions {
        label_selector,
        field_selector,
        limit: q.limit,
        continue_token: q.continue_token.clone(),
        read_at: call.api.read_at,
    })
}

async fn list(call: &Call<'_>) -> Result<Response<ResponseBody>, ApiError> {
    let page = call.state.store.list(call.kind, call.ns(), &list_options(call)?).await?;
    let meta =
        list_metadata(page.resource_version, page.continue_token.as_deref(), page.remaining_item_count);
    if call.negotiated.table {
        let options = TableOptions { include_object: call.negotiated.include_object, no_headers: false };
        let t = table::to_table(call.def, &page.items, meta, options);
        return Ok(json_response_typed(StatusCode::OK, TABLE_CONTENT_TYPE, &t));
    }
    Ok(list_response(StatusCode::OK, &call.def.api_version(), call.def.list_kind, &meta, &page.items))
}

fn watch_objects(call: &Call<'_>) -> Result<Response<ResponseBody>, ApiError> {
    let q = &call.api.query;
    let send_initial_events = q.send_initial_events == Some(true);
    check_send_initial_events(send_initial_events, q.resource_version_match.as_deref())?;
    let (label_selector, field_selector) =
        crate::rest::store::selectors(q.label_selector.as_deref(), q.field_selector.as_deref())?;
    let options = WatchOptions {
        resource_version: q.resource_version.clone(),
        send_initial_events,
        allow_bookmarks: q.allow_watch_bookmarks,
        label_selector,
        field_selector,
    };
    let events = call.state.store.watch(call.kind, call.ns(), options)?;
    let timeout = watch::timeout(q.timeout_seconds, call.state.default_watch_timeout);
    let params = WatchParams {
        def: call.def,
        negotiated: call.negotiated,
        timeout,
        shutdown: call.state.shutdown.clone(),
    };
    Ok(watch::response(events, params))
}

fn content_type<'a>(call: &'a Call<'_>) -> &'a str {
    call.header(header::CONTENT_TYPE)
}

async fn create(call: &Call<'_>, body: &[u8]) -> Result<Response<ResponseBody>, ApiError> {
    let mut obj = decode::object(body, content_type(call), call.def.kind)?;
    let warnings = call.check(&mut obj)?;
    let written = obj.clone();
    managed_fields::record(&mut obj, &call.manager(), Operation::Update, None, &written, &now_rfc3339());
    let created = call.state.store.create(call.kind, obj, call.api.query.dry_run).await?;
    Ok(Call::with_warnings(call.object_response(StatusCode::CREATED, created), &warnings))
}

async fn update(call: &Call<'_>, body: &[u8]) -> Result<Response<ResponseBody>, ApiError> {
    let mut obj = decode::object(body, content_type(call), call.def.kind)?;
    let warnings = call.check(&mut obj)?;
    let written = obj.clone();
    let sub = call.api.path.subresource.as_deref();
    managed_fields::record(&mut obj, &call.manager(), Operation::Update, sub, &written, &now_rfc3339());
    let updated = call.state.store.update(call.kind, obj, call.is_status(), call.api.query.dry_run).await?;
    Ok(Call::with_warnings(call.object_response(StatusCode::OK, updated), &warnings))
}

/// PATCH: read, patch, write with the read's resourceVersion as precondition, and retry when
/// another writer got in between (unless the patch itself pinned a resourceVersion).
/// Server-side apply creates the object when it does not exist.
async fn patch_object(call: &Call<'_>, body: &[u8]) -> Result<Response<ResponseBody>, ApiError> {
    let patch_type = PatchType::from_content_type(content_type(call))?;
    let manager = call.manager();
    if patch_type == PatchType::Apply && call.api.query.field_manager.is_none() {
        return Err(ApiError::invalid(
            call.def.group,
            call.def.kind,
            call.name(),
            &[FieldCause::required("fieldManager", "is required for apply patch")],
        ));
    }
    let operation = if patch_type == PatchType::Apply { Operation::Apply } else { Operation::Update };
    let sub = call.api.path.subresource.as_deref();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = match call.state.store.get(call.kind, call.ns(), call.name()).await {
            Ok(current) => current,
            Err(e) if e.code() == 404 && patch_type == PatchType::Apply && sub.is_none() => {
                return apply_create(call, body, &manager).await;
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
        managed_fields::record(&mut obj, &manager, operation, sub, &written, &now_rfc3339());
        match call.state.store.update(call.kind, obj, call.is_status(), call.api.query.dry_run).await {
            Ok(updated) => {
                return Ok(Call::with_warnings(call.object_response(StatusCode::OK, updated), &warnings));
            }
            Err(e) if e.reason() == "Conflict" && !pinned && attempt < PATCH_ATTEMPTS => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Server-side apply of an object that does not exist yet: create it from the configuration.
async fn apply_create(
    call: &Call<'_>,
    body: &[u8],
    manager: &str,
) -> Result<Response<ResponseBody>, ApiError> {
    let mut obj = patch::decode_apply(body)?;
    let warnings = call.check(&mut obj)?;
    let written = obj.clone();
    managed_fields::record(&mut obj, manager, Operation::Apply, None, &written, &now_rfc3339());
    let created = call.state.store.create(call.kind, obj, call.api.query.dry_run).await?;
    Ok(Call::with_warnings(call.object_response(StatusCode::CREATED, created), &warnings))
}

/// `DeleteOptions` from the body (kubectl sends `{"propagationPolicy":"Background"}`).
fn delete_options(call: &Call<'_>, body: &[u8]) -> Result<DeleteOptions, ApiError> {
    let opts: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        decode::object(body, call.header(header::CONTENT_TYPE), "DeleteOptions")?
    };
    let dry_run = call.api.query.dry_run
        || opts.get("dryRun").and_then(Value::as_array).is_some_and(|d| d.iter().any(|v| v == "All"));
    let pre = |key: &str| {
        opts.pointer(&format!("/preconditions/{key}")).and_then(Value::as_str).map(str::to_string)
    };
    Ok(DeleteOptions {
        dry_run,
        precondition_uid: pre("uid"),
        precondition_resource_version: pre("resourceVersion"),
    })
}

async fn delete(call: &Call<'_>, body: &[u8]) -> Result<Response<ResponseBody>, ApiError> {
    let options = delete_options(call, body)?;
    let obj = call.state.store.delete(call.kind, call.ns(), call.name(), &options).await?;
    Ok(call.object_response(StatusCode::OK, obj))
}

async fn delete_collection(call: &Call<'_>, body: &[u8]) -> Result<Response<ResponseBody>, ApiError> {
    let options = delete_options(call, body)?;
    let mut list = list_options(call)?;
    list.limit = None;
    let page = call.state.store.list(call.kind, call.ns(), &list).await?;
    let mut deleted = Vec::with_capacity(page.items.len());
    for item in &page.items {
        let name = item.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
        let ns = item.pointer("/metadata/namespace").and_then(Value::as_str);
        match call.state.store.delete(call.kind, ns, name, &options).await {
            Ok(obj) => deleted.push(obj),
            Err(e) if e.code() == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let list = json!({
        "apiVersion": call.def.api_version(),
        "kind": call.def.list_kind,
        "metadata": {"resourceVersion": call.state.store.resource_version().to_string()},
        "items": deleted,
    });
    Ok(json_response(StatusCode::OK, &list))
}
