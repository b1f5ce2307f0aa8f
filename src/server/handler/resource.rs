//! Resource requests: find the resource, check scope, subresource and verb, then hand over to its
//! storage stack.

use super::super::body;
use super::super::request::{ApiRequest, Verb};
use super::super::resources::{self, Backend};
use super::super::response::ResponseBody;
use super::super::state::AppState;
use super::verbs;
use bytes::Bytes;
use http::{Response, request::Parts};
use http_body::Body;
use porch_layers::ApiError;

/// Serves one resource request.
pub(super) async fn handle<B>(
    state: &AppState,
    api: ApiRequest,
    parts: &Parts,
    body: B,
) -> Result<Response<ResponseBody>, ApiError>
where
    B: Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let path = &api.path;
    let def = resources::find(&path.group, &path.version, &path.resource)
        .filter(|d| state.standalone || d.backend == Backend::Engine)
        .ok_or_else(ApiError::path_not_found)?;
    if !def.namespaced && path.namespace.is_some() {
        return Err(ApiError::path_not_found());
    }
    let verbs = match path.subresource.as_deref() {
        Some(sub) => def.subresource(sub).ok_or_else(ApiError::path_not_found)?.verbs,
        None => def.verbs,
    };
    if !verbs.contains(&api.verb.as_str()) {
        return Err(ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        ));
    }
    if def.namespaced && path.namespace.is_none() && !matches!(api.verb, Verb::List | Verb::Watch) {
        return Err(ApiError::path_not_found());
    }
    // Bodies are read (and bounded) only for the verbs that take one.
    let bytes = match api.verb {
        Verb::Create | Verb::Update | Verb::Patch | Verb::Delete | Verb::DeleteCollection => {
            let declared = parts.headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok());
            if declared.and_then(|v| v.parse::<usize>().ok()).is_some_and(|n| n > state.max_body) {
                return Err(body::too_large(state.max_body));
            }
            body::collect(body, state.max_body, state.body_read_timeout).await?
        }
        _ => Bytes::new(),
    };
    verbs::handle(state, def, api, parts, bytes).await
}
