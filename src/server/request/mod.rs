//! One parsed API request: verb, resource path and query, as k8s.io/apiserver's `RequestInfo`.
//!
//! Parsing happens once, at the edge, so handlers never look at the raw URI again: path segments
//! are percent-decoded, and the `resourceVersion` of a get or list is checked here ([`ReadAt`]).

mod path;
mod query;

pub(crate) use path::ResourcePath;
pub(crate) use query::{FieldValidation, Query};

use http::Method;
use porch_layers::ApiError;
pub(crate) use porch_layers::request::{ReadAt, Verb};

/// A request for a resource: `/api/v1/...` or `/apis/<group>/<version>/...` plus its query.
#[derive(Clone, Debug)]
pub(crate) struct ApiRequest {
    pub(crate) verb: Verb,
    pub(crate) path: ResourcePath,
    pub(crate) query: Query,
    /// The state a get or list is served from (`ReadAt::Any` for the other verbs).
    pub(crate) read_at: ReadAt,
}

impl ApiRequest {
    /// Parses a resource request. `Ok(None)` means the path is not a resource path (discovery,
    /// health, OpenAPI, ...); an `Err` is a malformed query, an unsupported method, or a
    /// `resourceVersion` kube-apiserver refuses (400, or 422 for a forbidden
    /// `resourceVersionMatch` combination).
    pub(crate) fn parse(
        method: &Method,
        path: &str,
        raw_query: Option<&str>,
    ) -> Result<Option<Self>, ApiError> {
        let Some(path) = ResourcePath::parse(path) else { return Ok(None) };
        let mut query = Query::parse(raw_query.unwrap_or(""))?;
        let verb = match (method, path.name.is_some()) {
            (&Method::GET | &Method::HEAD, true) if query.watch => Verb::Watch,
            (&Method::GET | &Method::HEAD, true) => Verb::Get,
            (&Method::GET | &Method::HEAD, false) if query.watch => Verb::Watch,
            (&Method::GET | &Method::HEAD, false) => Verb::List,
            (&Method::POST, _) => Verb::Create,
            (&Method::PUT, _) => Verb::Update,
            (&Method::PATCH, _) => Verb::Patch,
            (&Method::DELETE, true) => Verb::Delete,
            (&Method::DELETE, false) => Verb::DeleteCollection,
            (m, _) => return Err(ApiError::method_not_allowed(format!("method {m} is not supported"))),
        };
        let read_at = match verb {
            Verb::List => ReadAt::for_list(
                query.resource_version.as_deref(),
                query.resource_version_match.as_deref(),
                query.continue_token.as_deref(),
                query.send_initial_events,
            )?,
            Verb::Get => ReadAt::for_get(query.resource_version.as_deref())?,
            _ => ReadAt::Any,
        };
        if verb == Verb::List && query.resource_version.as_deref() == Some("0") {
            // Served whole, as kube-apiserver's watch cache serves `resourceVersion=0` (it
            // ignores `limit`): no continue token that a client would send back with its
            // `resourceVersionMatch`, which is forbidden.
            query.limit = None;
        }
        Ok(Some(Self { verb, path, query, read_at }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(method: Method, uri: &str) -> ApiRequest {
        let (p, q) = uri.split_once('?').map_or((uri, None), |(p, q)| (p, Some(q)));
        ApiRequest::parse(&method, p, q).unwrap().unwrap()
    }

    #[test]
    fn list_with_a_stray_ampersand_parses() {
        let r =
            parse(Method::GET, "/apis/config.porch.kpt.dev/v1alpha1/namespaces/ns/repositories?&limit=500");
        assert_eq!(r.verb, Verb::List);
        assert_eq!(r.query.limit, Some(500));
        assert_eq!(r.path.namespace.as_deref(), Some("ns"));
        assert_eq!(r.path.resource, "repositories");
    }

    #[test]
    fn watch_of_a_named_object_is_a_watch() {
        let r =
            parse(Method::GET, "/api/v1/namespaces/default/secrets?watch=1&fieldSelector=metadata.name%3Dx");
        assert_eq!(r.verb, Verb::Watch);
        assert_eq!(r.query.field_selector.as_deref(), Some("metadata.name=x"));
    }

    #[test]
    fn writes_map_to_verbs() {
        assert_eq!(parse(Method::POST, "/api/v1/namespaces").verb, Verb::Create);
        assert_eq!(parse(Method::PUT, "/api/v1/namespaces/x").verb, Verb::Update);
        assert_eq!(parse(Method::PATCH, "/api/v1/namespaces/x").verb, Verb::Patch);
        assert_eq!(parse(Method::DELETE, "/api/v1/namespaces/x").verb, Verb::Delete);
        assert_eq!(parse(Method::DELETE, "/api/v1/namespaces/x/secrets").verb, Verb::DeleteCollection);
    }

    #[test]
    fn non_resource_paths_are_not_api_requests() {
        assert!(ApiRequest::parse(&Method::GET, "/apis", None).unwrap().is_none());
        assert!(ApiRequest::parse(&Method::GET, "/openapi/v3", None).unwrap().is_none());
    }

    #[test]
    fn gets_and_lists_carry_their_checked_resource_version() {
        let list = parse(Method::GET, "/api/v1/secrets?resourceVersion=7&resourceVersionMatch=Exact");
        assert_eq!(list.read_at, ReadAt::Exact(7));
        assert_eq!(
            parse(Method::GET, "/api/v1/namespaces/d/secrets/s?resourceVersion=7").read_at,
            ReadAt::NotOlderThan(7)
        );
        let watch = parse(Method::GET, "/api/v1/secrets?watch=1&resourceVersion=7");
        assert_eq!(watch.read_at, ReadAt::Any);
        let abc =
            ApiRequest::parse(&Method::GET, "/api/v1/secrets", Some("resourceVersion=abc")).unwrap_err();
        assert_eq!(abc.code(), 400);
        let bogus = ApiRequest::parse(
            &Method::GET,
            "/api/v1/secrets",
            Some("resourceVersion=5&resourceVersionMatch=Bogus"),
        );
        assert_eq!(bogus.unwrap_err().code(), 422);
    }

    #[test]
    fn lists_at_resource_version_zero_ignore_limit_as_the_watch_cache_does() {
        let any =
            parse(Method::GET, "/api/v1/secrets?resourceVersion=0&resourceVersionMatch=NotOlderThan&limit=2");
        assert_eq!((any.read_at, any.query.limit), (ReadAt::Any, None));
        assert_eq!(parse(Method::GET, "/api/v1/secrets?limit=2").query.limit, Some(2));
        assert_eq!(parse(Method::GET, "/api/v1/secrets?resourceVersion=3&limit=2").query.limit, Some(2));
    }

    #[test]
    fn bad_query_values_are_400() {
        let e = ApiRequest::parse(&Method::GET, "/api/v1/secrets", Some("limit=abc")).unwrap_err();
        assert_eq!(e.code(), 400);
    }
}
