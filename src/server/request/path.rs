//! Resource paths: `/api/v1/...` and `/apis/<group>/<version>/...`, percent-decoded segment by
//! segment (`repositories/r%31` names `r1`), as Go's `net/http` hands kube-apiserver a decoded
//! path. A segment that decodes to something holding a `/` or to invalid UTF-8 names nothing.

use percent_encoding::percent_decode_str;
use std::borrow::Cow;

/// Where a resource request points: group, version, namespace, resource, name, subresource.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ResourcePath {
    /// API group; empty for the core group.
    pub(crate) group: String,
    pub(crate) version: String,
    pub(crate) namespace: Option<String>,
    /// The resource (plural), e.g. `repositories`.
    pub(crate) resource: String,
    pub(crate) name: Option<String>,
    pub(crate) subresource: Option<String>,
}

/// Subresources of a namespace that are not resources in it (k8s `namespaceSubresources`).
const NAMESPACE_SUBRESOURCES: [&str; 2] = ["status", "finalize"];

impl ResourcePath {
    /// Parses a raw (still percent-encoded) resource path; `None` for discovery and other
    /// non-resource paths, and for a segment that does not decode to a single UTF-8 segment.
    pub(crate) fn parse(path: &str) -> Option<Self> {
        let decoded: Vec<Cow<'_, str>> =
            path.trim_matches('/').split('/').map(decode_segment).collect::<Option<_>>()?;
        let segments: Vec<&str> = decoded.iter().map(AsRef::as_ref).collect();
        let (group, version, rest) = match segments.as_slice() {
            ["api", version, rest @ ..] => ("", *version, rest),
            ["apis", group, version, rest @ ..] => (*group, *version, rest),
            _ => return None,
        };
        let mut rest = rest;
        if rest.is_empty() || rest.iter().any(|s| s.is_empty()) {
            return None;
        }
        let mut namespace = None;
        if rest[0] == "namespaces" && rest.len() > 1 {
            namespace = Some(rest[1].to_string());
            if rest.len() > 2 && !NAMESPACE_SUBRESOURCES.contains(&rest[2]) {
                rest = &rest[2..];
            }
        }
        if rest[0] == "namespaces" {
            // The namespace object itself: `/api/v1/namespaces/<name>[/status]`.
            namespace = None;
        }
        let (resource, name, subresource) = match rest {
            [r] => (*r, None, None),
            [r, n] => (*r, Some(*n), None),
            [r, n, s] => (*r, Some(*n), Some(*s)),
            _ => return None,
        };
        Some(Self {
            group: group.to_string(),
            version: version.to_string(),
            namespace,
            resource: resource.to_string(),
            name: name.map(str::to_string),
            subresource: subresource.map(str::to_string),
        })
    }
}

/// One percent-decoded path segment; `None` when it is not UTF-8 or holds a `/` once decoded.
fn decode_segment(segment: &str) -> Option<Cow<'_, str>> {
    percent_decode_str(segment).decode_utf8().ok().filter(|s| !s.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(path: &str) -> ResourcePath {
        ResourcePath::parse(path).unwrap()
    }

    #[test]
    fn namespaced_item_with_subresource() {
        let r = p("/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions/a.b.c/approval");
        assert_eq!(r.group, "porch.kpt.dev");
        assert_eq!(r.namespace.as_deref(), Some("ns"));
        assert_eq!(r.resource, "packagerevisions");
        assert_eq!(r.name.as_deref(), Some("a.b.c"));
        assert_eq!(r.subresource.as_deref(), Some("approval"));
    }

    #[test]
    fn namespace_objects_are_cluster_scoped() {
        let r = p("/api/v1/namespaces/foo");
        assert_eq!((r.resource.as_str(), r.name.as_deref(), r.namespace), ("namespaces", Some("foo"), None));
        let s = p("/api/v1/namespaces/foo/status");
        assert_eq!((s.name.as_deref(), s.subresource.as_deref()), (Some("foo"), Some("status")));
        let list = p("/api/v1/namespaces");
        assert_eq!((list.resource.as_str(), list.name), ("namespaces", None));
    }

    #[test]
    fn all_namespace_lists_have_no_namespace() {
        let r = p("/apis/config.porch.kpt.dev/v1alpha1/repositories");
        assert_eq!((r.namespace, r.resource.as_str()), (None, "repositories"));
    }

    #[test]
    fn segments_are_percent_decoded() {
        let r = p("/apis/config.porch.kpt.dev/v1alpha1/namespaces/d%65fault/repositories/r%31");
        assert_eq!((r.namespace.as_deref(), r.name.as_deref()), (Some("default"), Some("r1")));
        let sub = p("/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions/a.b.c/appr%6Fval");
        assert_eq!(sub.subresource.as_deref(), Some("approval"));
        assert_eq!(p("/api/v1/namespaces/%E2%9C%93").name.as_deref(), Some("\u{2713}"));
    }

    #[test]
    fn a_decoded_slash_or_invalid_utf8_names_nothing() {
        for path in [
            "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories/a%2Fb",
            "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories/%2e%2e%2fsecrets",
            "/apis/porch.kpt.dev/v1alpha1/namespaces/..%2F..%2F/packagerevisions",
            "/api/v1/namespaces/default/secrets/%FF",
        ] {
            assert!(ResourcePath::parse(path).is_none(), "{path}");
        }
    }

    #[test]
    fn discovery_paths_are_not_resources() {
        for path in
            ["/api", "/apis", "/api/v1", "/apis/porch.kpt.dev", "/apis/porch.kpt.dev/v1alpha1", "/version"]
        {
            assert!(ResourcePath::parse(path).is_none(), "{path}");
        }
    }
}
