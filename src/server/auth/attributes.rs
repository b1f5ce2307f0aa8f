//! What a request asks to do, as kube-apiserver's `RequestInfoFactory` reads it from the path,
//! the method and the query: the attributes a SubjectAccessReview is asked about.

use http::{Method, Uri};

/// A request on a resource: `/api/v1/…` or `/apis/<group>/<version>/…`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ResourceAttributes {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`,
    /// `proxy`, or empty for a method kube has no verb for.
    pub(crate) verb: String,
    /// The API group, empty for the core group.
    pub(crate) group: String,
    /// The API version.
    pub(crate) version: String,
    /// The namespace, empty for cluster-scoped and all-namespaces requests.
    pub(crate) namespace: String,
    /// The resource, e.g. `packagerevisions`.
    pub(crate) resource: String,
    /// The subresource, e.g. `approval`.
    pub(crate) subresource: String,
    /// The object's name: from the path, or from a `metadata.name=<name>` field selector of a
    /// list or watch.
    pub(crate) name: String,
}

/// What a request asks to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Attributes {
    /// A resource request.
    Resource(ResourceAttributes),
    /// Any other path (`/apis`, `/openapi/v3`, `/version`, `/metrics`, `/healthz`, discovery of
    /// a group or version): the decoded path and the lowercase method.
    NonResource {
        /// The path, percent-decoded.
        path: String,
        /// The method, lowercase (`get`, `post`, …).
        verb: String,
    },
}

/// A path kube-apiserver cannot read a resource request from.
#[derive(Debug, thiserror::Error)]
#[error("unable to determine kind and namespace from url, {0}")]
pub(crate) struct AttributesError(String);

/// The attributes of a request with `method` on `uri`.
///
/// # Errors
/// [`AttributesError`] for `/apis/<group>/<version>/watch` or `/proxy` with nothing after it,
/// as kube-apiserver (which answers those with a 500).
pub(crate) fn request_attributes(method: &Method, uri: &Uri) -> Result<Attributes, AttributesError> {
    let path = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy().into_owned();
    let parts: Vec<&str> = match path.trim_matches('/') {
        "" => Vec::new(),
        trimmed => trimmed.split('/').collect(),
    };
    let non_resource =
        || Attributes::NonResource { path: path.clone(), verb: method.as_str().to_ascii_lowercase() };
    let (group, rest) = match parts.as_slice() {
        ["api", rest @ ..] if rest.len() >= 2 => ("", rest),
        ["apis", group, rest @ ..] if rest.len() >= 2 => (*group, rest),
        _ => return Ok(non_resource()),
    };
    let (version, mut rest) = (rest[0], &rest[1..]);
    let mut attrs =
        ResourceAttributes { group: group.to_string(), version: version.to_string(), ..Default::default() };

    if matches!(rest[0], "watch" | "proxy") {
        if rest.len() < 2 {
            return Err(AttributesError(uri.to_string()));
        }
        attrs.verb = rest[0].to_string();
        rest = &rest[1..];
    } else {
        attrs.verb = match *method {
            Method::POST => "create",
            Method::GET | Method::HEAD => "get",
            Method::PUT => "update",
            Method::PATCH => "patch",
            Method::DELETE => "delete",
            _ => "",
        }
        .to_string();
    }

    if rest[0] == "namespaces" && rest.len() > 1 {
        attrs.namespace = rest[1].to_string();
        // `/namespaces/<ns>/status` and `/finalize` are the namespace's own subresources.
        if rest.len() > 2 && !matches!(rest[2], "status" | "finalize") {
            rest = &rest[2..];
        }
    }
    attrs.resource = rest[0].to_string();
    if let Some(name) = rest.get(1) {
        attrs.name = name.to_string();
    }
    if attrs.verb != "proxy"
        && let Some(sub) = rest.get(2)
    {
        attrs.subresource = sub.to_string();
    }

    if attrs.name.is_empty() && attrs.verb == "get" {
        let query = uri.query().unwrap_or("");
        attrs.verb = if is_watch(query) { "watch" } else { "list" }.to_string();
        if let Some(name) = selected_name(query) {
            attrs.name = name;
        }
    }
    if attrs.name.is_empty() && attrs.verb == "delete" {
        attrs.verb = "deletecollection".to_string();
    }
    Ok(Attributes::Resource(attrs))
}

/// The first value of `key` in `query`.
fn first_param(query: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// Whether `?watch=` asks for a watch: any value but `0` and `false` (case-insensitively),
/// as apimachinery converts a query parameter to a bool.
fn is_watch(query: &str) -> bool {
    first_param(query, "watch").is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// The name a `fieldSelector` requires exactly (`metadata.name=<name>` or `==`), when the
/// selector parses and the name could be a path segment.
fn selected_name(query: &str) -> Option<String> {
    let selector = first_param(query, "fieldSelector")?;
    let mut name = None;
    for term in split_unescaped(&selector, ',') {
        if term.is_empty() {
            continue;
        }
        let (field, op, value) = split_term(term)?;
        let value = unescape(value)?;
        if field == "metadata.name" && op != "!=" {
            name = Some(value);
        }
    }
    name.filter(|n| n != "." && n != ".." && !n.contains(['/', '%']))
}

/// `s` split at each `sep` not escaped by a backslash.
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            out.push(&s[start..i]);
            start = i + 1;
        }
    }
    out.push(&s[start..]);
    out
}

/// A selector term as field, operator (`!=`, `==` or `=`, the first found from the left) and
/// value; `None` without an operator.
fn split_term(term: &str) -> Option<(&str, &'static str, &str)> {
    (0..term.len()).filter(|i| term.is_char_boundary(*i)).find_map(|i| {
        ["!=", "==", "="]
            .into_iter()
            .find(|op| term[i..].starts_with(op))
            .map(|op| (&term[..i], op, &term[i + op.len()..]))
    })
}

/// A selector value with `\\`, `\,` and `\=` unescaped; `None` for any other escape, a
/// trailing backslash, or an unescaped `,` or `=`.
fn unescape(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                e @ ('\\' | ',' | '=') => out.push(e),
                _ => return None,
            },
            ',' | '=' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(method: Method, uri: &str) -> Attributes {
        request_attributes(&method, &uri.parse().unwrap()).unwrap()
    }

    fn resource(method: Method, uri: &str) -> ResourceAttributes {
        match attrs(method, uri) {
            Attributes::Resource(r) => r,
            other => panic!("{uri} is not a resource request: {other:?}"),
        }
    }

    /// (verb, group, version, namespace, resource, subresource, name)
    fn fields(r: &ResourceAttributes) -> [&str; 7] {
        [&r.verb, &r.group, &r.version, &r.namespace, &r.resource, &r.subresource, &r.name]
    }

    const PR: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions";

    #[test]
    fn verbs_follow_the_method_and_the_name() {
        let cases = [
            (Method::GET, format!("{PR}/p1"), "get", "p1"),
            (Method::HEAD, format!("{PR}/p1"), "get", "p1"),
            (Method::GET, PR.to_string(), "list", ""),
            (Method::GET, format!("{PR}?watch=true"), "watch", ""),
            (Method::GET, format!("{PR}?watch=1&resourceVersion=5"), "watch", ""),
            (Method::GET, format!("{PR}?watch="), "watch", ""),
            (Method::GET, format!("{PR}?watch=False"), "list", ""),
            (Method::GET, format!("{PR}?watch=0"), "list", ""),
            (Method::POST, PR.to_string(), "create", ""),
            (Method::PUT, format!("{PR}/p1"), "update", "p1"),
            (Method::PATCH, format!("{PR}/p1"), "patch", "p1"),
            (Method::DELETE, format!("{PR}/p1"), "delete", "p1"),
            (Method::DELETE, PR.to_string(), "deletecollection", ""),
            (Method::OPTIONS, PR.to_string(), "", ""),
        ];
        for (method, uri, verb, name) in cases {
            let r = resource(method, &uri);
            assert_eq!((r.verb.as_str(), r.name.as_str()), (verb, name), "{uri}");
            assert_eq!(fields(&r)[1..5], ["porch.kpt.dev", "v1alpha1", "ns", "packagerevisions"]);
        }
    }

    #[test]
    fn subresources_and_cluster_scope() {
        let r = resource(Method::PUT, &format!("{PR}/p1/approval"));
        assert_eq!(
            fields(&r),
            ["update", "porch.kpt.dev", "v1alpha1", "ns", "packagerevisions", "approval", "p1"]
        );
        let r = resource(Method::GET, "/apis/porch.kpt.dev/v1alpha1/packagerevisions");
        assert_eq!(fields(&r), ["list", "porch.kpt.dev", "v1alpha1", "", "packagerevisions", "", ""]);
        let r = resource(Method::GET, "/apis/porch.kpt.dev/v1alpha1/packagerevisions/a/b/c/d");
        assert_eq!(fields(&r), ["get", "porch.kpt.dev", "v1alpha1", "", "packagerevisions", "b", "a"]);
    }

    #[test]
    fn the_core_group_and_namespaces_themselves() {
        let r = resource(Method::GET, "/api/v1/namespaces/ns/secrets/s");
        assert_eq!(fields(&r), ["get", "", "v1", "ns", "secrets", "", "s"]);
        let r = resource(Method::GET, "/api/v1/namespaces/ns");
        assert_eq!(fields(&r), ["get", "", "v1", "ns", "namespaces", "", "ns"]);
        let r = resource(Method::PUT, "/api/v1/namespaces/ns/finalize");
        assert_eq!(fields(&r), ["update", "", "v1", "ns", "namespaces", "finalize", "ns"]);
        let r = resource(Method::GET, "/api/v1/namespaces");
        assert_eq!(fields(&r), ["list", "", "v1", "", "namespaces", "", ""]);
    }

    #[test]
    fn watch_and_proxy_path_prefixes() {
        let r = resource(Method::GET, "/apis/porch.kpt.dev/v1alpha1/watch/namespaces/ns/packagerevisions");
        assert_eq!(fields(&r), ["watch", "porch.kpt.dev", "v1alpha1", "ns", "packagerevisions", "", ""]);
        let r = resource(Method::GET, "/apis/porch.kpt.dev/v1alpha1/watch/namespaces/ns/packagerevisions/p1");
        assert_eq!(fields(&r), ["watch", "porch.kpt.dev", "v1alpha1", "ns", "packagerevisions", "", "p1"]);
        let r = resource(Method::GET, "/api/v1/proxy/namespaces/ns/pods/p/x/y");
        assert_eq!(fields(&r), ["proxy", "", "v1", "ns", "pods", "", "p"]);
        let err = request_attributes(&Method::GET, &"/apis/g/v1/watch".parse().unwrap()).unwrap_err();
        assert_eq!(err.to_string(), "unable to determine kind and namespace from url, /apis/g/v1/watch");
    }

    #[test]
    fn a_name_field_selector_names_the_object_of_a_list_or_watch() {
        let r = resource(Method::GET, &format!("{PR}?fieldSelector=metadata.name%3Dp1&watch=true"));
        assert_eq!((r.verb.as_str(), r.name.as_str()), ("watch", "p1"));
        let r = resource(Method::GET, &format!("{PR}?fieldSelector=spec.x%3Da,metadata.name%3D%3Dp2"));
        assert_eq!((r.verb.as_str(), r.name.as_str()), ("list", "p2"));
        for selector in [
            "metadata.name!%3Dp1",
            "metadata.name%3Da%2Fb",
            "metadata.name%3D..",
            "metadata.name",
            "x%3D%5Cq",
        ] {
            let r = resource(Method::GET, &format!("{PR}?fieldSelector={selector}"));
            assert_eq!((r.verb.as_str(), r.name.as_str()), ("list", ""), "{selector}");
        }
        // DELETE with a selector stays a collection delete.
        let r = resource(Method::DELETE, &format!("{PR}?fieldSelector=metadata.name%3Dp1"));
        assert_eq!((r.verb.as_str(), r.name.as_str()), ("deletecollection", ""));
    }

    #[test]
    fn other_paths_are_non_resource_requests() {
        for path in [
            "/",
            "/apis",
            "/api",
            "/api/v1",
            "/apis/porch.kpt.dev",
            "/apis/porch.kpt.dev/v1alpha1",
            "/openapi/v3",
            "/version",
            "/metrics",
            "/healthz",
            "/readyz/ping",
        ] {
            assert_eq!(
                attrs(Method::GET, path),
                Attributes::NonResource { path: path.to_string(), verb: "get".into() },
                "{path}"
            );
        }
        assert_eq!(
            attrs(Method::POST, "/metrics%2Fx?y=1"),
            Attributes::NonResource { path: "/metrics/x".into(), verb: "post".into() }
        );
    }
}
