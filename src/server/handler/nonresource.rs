//! Non-resource paths: discovery, OpenAPI, `/version`, health probes and `/metrics`.

use super::super::discovery;
use super::super::response::{JSON, ResponseBody, bytes_response, json_response, json_response_typed};
use super::super::state::AppState;
use http::{Method, Response, StatusCode, header, request::Parts};
use serde_json::json;

fn header_str(parts: &Parts, name: header::HeaderName) -> &str {
    parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn discovery_response(
    parts: &Parts,
    aggregated: serde_json::Value,
    legacy: serde_json::Value,
) -> Response<ResponseBody> {
    if discovery::wants_aggregated(header_str(parts, header::ACCEPT)) {
        json_response_typed(StatusCode::OK, discovery::AGGREGATED_CONTENT_TYPE, &aggregated)
    } else {
        json_response(StatusCode::OK, &legacy)
    }
}

fn text(body: &'static str) -> Response<ResponseBody> {
    bytes_response(StatusCode::OK, "text/plain; charset=utf-8", body)
}

/// Answers a non-resource request, or `None` when `parts` is a resource request (or unknown).
pub(super) fn handle(state: &AppState, parts: &Parts) -> Option<Response<ResponseBody>> {
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return None;
    }
    let path = parts.uri.path().trim_end_matches('/');
    let standalone = state.standalone;
    let res = match path {
        "" => json_response(
            StatusCode::OK,
            &json!({"paths": ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/metrics", "/openapi/v2",
                              "/openapi/v3", "/readyz", "/version"]}),
        ),
        "/api" => {
            discovery_response(parts, discovery::aggregated(true, standalone), discovery::api_versions())
        }
        "/apis" => discovery_response(
            parts,
            discovery::aggregated(false, standalone),
            discovery::api_group_list(standalone),
        ),
        "/version" => json_response(StatusCode::OK, &crate::version::info()),
        "/healthz" | "/livez" => text("ok"),
        // Aggregated mode: ready once the front proxy's CA is known (before, every request
        // kube-apiserver forwards would get 401).
        "/readyz" if state.auth.as_ref().is_some_and(|auth| !auth.is_ready()) => bytes_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain; charset=utf-8",
            "not ready: kube-system/extension-apiserver-authentication has not been read",
        ),
        "/readyz" => text("ok"),
        "/metrics" => {
            let body = state.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
            bytes_response(StatusCode::OK, "text/plain; version=0.0.4", body)
        }
        "/openapi/v2" => {
            let (content_type, doc) = state.openapi.v2(header_str(parts, header::ACCEPT));
            bytes_response(StatusCode::OK, content_type, doc)
        }
        "/openapi/v3" => json_response(StatusCode::OK, &state.openapi.v3_index()),
        p if p.starts_with("/openapi/v3/") => match state.openapi.v3_document(&p["/openapi/v3/".len()..]) {
            Some(doc) => bytes_response(StatusCode::OK, JSON, doc),
            None => return Some(super::error_response(&porch_layers::ApiError::path_not_found())),
        },
        "/api/v1" => match discovery::resource_list("", "v1", standalone) {
            Some(list) => json_response(StatusCode::OK, &list),
            None => super::error_response(&porch_layers::ApiError::path_not_found()),
        },
        p => {
            let segments: Vec<&str> = p.trim_start_matches('/').split('/').collect();
            match segments.as_slice() {
                ["apis", group] => match discovery::group(group, standalone) {
                    Some(g) => json_response(StatusCode::OK, &g),
                    None => super::error_response(&porch_layers::ApiError::path_not_found()),
                },
                ["apis", group, version] => match discovery::resource_list(group, version, standalone) {
                    Some(list) => json_response(StatusCode::OK, &list),
                    None => super::error_response(&porch_layers::ApiError::path_not_found()),
                },
                _ => return None,
            }
        }
    };
    Some(res)
}
