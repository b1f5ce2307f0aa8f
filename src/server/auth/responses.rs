//! The Status answers of authentication and authorization, worded as kube-apiserver words them.

use super::super::response::{ResponseBody, error_response};
use super::attributes::Attributes;
use http::{HeaderValue, Response};
use porch_layers::ApiError;

/// 401 `Unauthorized`, message `Unauthorized` (kube's `responsewriters.Unauthorized`).
pub(crate) fn unauthorized() -> Response<ResponseBody> {
    error_response(&ApiError::new(401, "Unauthorized", "Unauthorized"))
}

/// 500 `InternalError` for a request authorization could not decide (kube answers
/// `Internal Server Error: "<uri>": <error>`, as plain text; this is the same words in a Status).
pub(crate) fn internal_error(uri: &http::Uri, error: &dyn std::fmt::Display) -> Response<ResponseBody> {
    error_response(&ApiError::new(500, "InternalError", format!("Internal Server Error: \"{uri}\": {error}")))
}

/// The message of kube's `forbiddenMessage` and `NewForbidden` for `user` refused `attrs`, with
/// `: <reason>` when the authorizer gave one.
pub(crate) fn forbidden_message(attrs: &Attributes, user: &str, reason: &str) -> String {
    let (what, prefix) = match attrs {
        Attributes::NonResource { path, verb } => {
            (format!("User \"{user}\" cannot {verb} path \"{path}\""), "forbidden".to_string())
        }
        Attributes::Resource(r) => {
            let resource = if r.subresource.is_empty() {
                r.resource.clone()
            } else {
                format!("{}/{}", r.resource, r.subresource)
            };
            let scope = if r.namespace.is_empty() {
                "at the cluster scope".to_string()
            } else {
                format!("in the namespace \"{}\"", r.namespace)
            };
            let what = format!(
                "User \"{user}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}",
                r.verb, r.group
            );
            let qualified =
                if r.group.is_empty() { r.resource.clone() } else { format!("{}.{}", r.resource, r.group) };
            let prefix = match (qualified.as_str(), r.name.as_str()) {
                ("", _) => "forbidden".to_string(),
                (q, "") => format!("{q} is forbidden"),
                (q, name) => format!("{q} \"{name}\" is forbidden"),
            };
            (what, prefix)
        }
    };
    if reason.is_empty() { format!("{prefix}: {what}") } else { format!("{prefix}: {what}: {reason}") }
}

/// 403 `Forbidden` for `user` refused `attrs`: kube's message, and `details` with the group,
/// the resource as `kind` and the name (each left out when empty).
pub(crate) fn forbidden(attrs: &Attributes, user: &str, reason: &str) -> Response<ResponseBody> {
    let (group, resource, name) = match attrs {
        Attributes::Resource(r) => (r.group.as_str(), r.resource.as_str(), r.name.as_str()),
        Attributes::NonResource { .. } => ("", "", ""),
    };
    let error = ApiError::new(403, "Forbidden", forbidden_message(attrs, user, reason))
        .with_details(group, resource, name);
    let mut res = error_response(&error);
    res.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    res
}

#[cfg(test)]
mod tests {
    use super::super::attributes::request_attributes;
    use super::*;
    use http::Method;
    use http_body_util::BodyExt;

    fn message(method: Method, uri: &str, reason: &str) -> String {
        forbidden_message(&request_attributes(&method, &uri.parse().unwrap()).unwrap(), "jane", reason)
    }

    #[test]
    fn resource_messages_match_kube_apiserver() {
        assert_eq!(
            message(Method::POST, "/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions", ""),
            "packagerevisions.porch.kpt.dev is forbidden: User \"jane\" cannot create resource \
             \"packagerevisions\" in API group \"porch.kpt.dev\" in the namespace \"ns\""
        );
        assert_eq!(
            message(
                Method::PUT,
                "/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions/p1/approval",
                "no"
            ),
            "packagerevisions.porch.kpt.dev \"p1\" is forbidden: User \"jane\" cannot update resource \
             \"packagerevisions/approval\" in API group \"porch.kpt.dev\" in the namespace \"ns\": no"
        );
        assert_eq!(
            message(Method::GET, "/api/v1/namespaces/n1", ""),
            "namespaces \"n1\" is forbidden: User \"jane\" cannot get resource \"namespaces\" in API group \"\" \
             in the namespace \"n1\""
        );
        assert_eq!(
            message(Method::GET, "/apis/porch.kpt.dev/v1alpha1/packagerevisions?watch=1", ""),
            "packagerevisions.porch.kpt.dev is forbidden: User \"jane\" cannot watch resource \
             \"packagerevisions\" in API group \"porch.kpt.dev\" at the cluster scope"
        );
    }

    #[test]
    fn non_resource_messages_match_kube_apiserver() {
        assert_eq!(
            message(Method::GET, "/metrics", ""),
            "forbidden: User \"jane\" cannot get path \"/metrics\""
        );
    }

    #[tokio::test]
    async fn the_forbidden_status_has_kubes_shape() {
        let uri = "/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions/p1".parse().unwrap();
        let attrs = request_attributes(&Method::DELETE, &uri).unwrap();
        let res = forbidden(&attrs, "jane", "");
        assert_eq!(res.status(), 403);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["reason"], "Forbidden");
        assert_eq!(json["code"], 403);
        assert_eq!(
            json["details"],
            serde_json::json!({"name": "p1", "group": "porch.kpt.dev", "kind": "packagerevisions"})
        );
        let attrs = request_attributes(&Method::GET, &"/metrics".parse().unwrap()).unwrap();
        let body = forbidden(&attrs, "jane", "").into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["details"], serde_json::json!({}));
    }

    #[tokio::test]
    async fn unauthorized_is_kubes_401() {
        let res = unauthorized();
        assert_eq!(res.status(), 401);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (json["reason"].as_str(), json["message"].as_str()),
            (Some("Unauthorized"), Some("Unauthorized"))
        );
    }
}
