//! May the user do it: kube's delegating authorizer for an extension server — `system:masters`
//! and the always-allow paths without asking, everything else by a SubjectAccessReview
//! (`authorization.k8s.io/v1`) to the cluster, whose decisions are cached briefly.

use super::attributes::Attributes;
use super::cache::TtlCache;
use super::identity::{Identity, MASTERS};
use super::paths::AlwaysAllowPaths;
use super::review::{self, ReviewError};
use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use kube::Api;
use std::time::Duration;

/// How long an "allowed" is kept (kube's `--authorization-webhook-cache-authorized-ttl` for a
/// delegating authorizer, 10 s).
pub(crate) const ALLOWED_TTL: Duration = Duration::from_secs(10);
/// How long a "not allowed" is kept (`--authorization-webhook-cache-unauthorized-ttl`, 10 s).
pub(crate) const DENIED_TTL: Duration = Duration::from_secs(10);
/// At most this many decisions are kept.
const DECISION_CACHE_CAPACITY: usize = 8192;

/// A decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Go ahead.
    Allow,
    /// Forbidden (denied, or no authorizer had an opinion), with the reason the cluster gave
    /// (possibly empty).
    Forbid {
        /// The SubjectAccessReview's `status.reason`.
        reason: String,
    },
}

/// Asks the cluster, remembering its answers.
#[derive(Debug)]
pub(crate) struct Authorizer {
    api: Api<SubjectAccessReview>,
    always_allow: AlwaysAllowPaths,
    cache: TtlCache<String, Decision>,
}

impl Authorizer {
    /// Reviews through `client`; `always_allow` paths need no review.
    pub(crate) fn new(client: kube::Client, always_allow: AlwaysAllowPaths) -> Self {
        Self { api: Api::all(client), always_allow, cache: TtlCache::new(DECISION_CACHE_CAPACITY) }
    }

    /// Whether `attrs` is a non-resource request on an always-allow path.
    pub(crate) fn always_allows(&self, attrs: &Attributes) -> bool {
        matches!(attrs, Attributes::NonResource { path, .. } if self.always_allow.allows(path))
    }

    /// Whether `user` may do `attrs`.
    ///
    /// # Errors
    /// [`ReviewError`] when the cluster could not be asked (not cached), or answered both
    /// allowed and denied.
    pub(crate) async fn authorize(
        &self,
        user: &Identity,
        attrs: &Attributes,
    ) -> Result<Decision, ReviewError> {
        if user.in_group(MASTERS) || self.always_allows(attrs) {
            return Ok(Decision::Allow);
        }
        let spec = review_spec(user, attrs);
        let key = cache_key(&spec);
        if let Some(decision) = self.cache.get(&key) {
            return Ok(decision);
        }
        let review = SubjectAccessReview { spec, ..SubjectAccessReview::default() };
        let answer = review::create(&self.api, &review, "SubjectAccessReview").await?;
        let status = answer.status.unwrap_or_default();
        let reason = status.reason.unwrap_or_default();
        if let Some(error) = status.evaluation_error.filter(|e| !e.is_empty()) {
            tracing::debug!(%error, "SubjectAccessReview evaluation error");
        }
        let decision = match (status.allowed, status.denied == Some(true)) {
            (true, true) => {
                return Err(ReviewError::Failed {
                    kind: "SubjectAccessReview",
                    message: "the review answered both allowed and denied".into(),
                });
            }
            (true, false) => Decision::Allow,
            (false, _) => Decision::Forbid { reason },
        };
        self.remember(key, decision.clone());
        Ok(decision)
    }

    /// Keeps `decision` for [`ALLOWED_TTL`] or [`DENIED_TTL`].
    fn remember(&self, key: String, decision: Decision) {
        let ttl = if decision == Decision::Allow { ALLOWED_TTL } else { DENIED_TTL };
        self.cache.insert(key, decision, ttl);
    }
}

/// The spec as JSON: the key of the decision cache, as kube's webhook authorizer keys its cache.
fn cache_key(spec: &SubjectAccessReviewSpec) -> String {
    serde_json::to_string(spec).unwrap_or_default()
}

/// The review kube's webhook authorizer sends for `user` doing `attrs`.
pub(crate) fn review_spec(user: &Identity, attrs: &Attributes) -> SubjectAccessReviewSpec {
    let (resource_attributes, non_resource_attributes) = match attrs {
        Attributes::Resource(r) => (
            Some(ResourceAttributes {
                namespace: Some(r.namespace.clone()),
                verb: Some(r.verb.clone()),
                group: Some(r.group.clone()),
                version: Some(r.version.clone()),
                resource: Some(r.resource.clone()),
                subresource: Some(r.subresource.clone()),
                name: Some(r.name.clone()),
                ..ResourceAttributes::default()
            }),
            None,
        ),
        Attributes::NonResource { path, verb } => {
            (None, Some(NonResourceAttributes { path: Some(path.clone()), verb: Some(verb.clone()) }))
        }
    };
    SubjectAccessReviewSpec {
        user: Some(user.username.clone()),
        uid: Some(user.uid.clone()),
        groups: Some(user.groups.clone()),
        extra: (!user.extra.is_empty()).then(|| user.extra.clone()),
        resource_attributes,
        non_resource_attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::super::attributes::request_attributes;
    use super::super::testing::unreachable_client;
    use super::*;
    use http::Method;

    #[test]
    fn the_review_names_the_user_and_the_resource() {
        let mut user = Identity {
            uid: "u-1".into(),
            groups: vec!["dev".into(), "system:authenticated".into()],
            ..Identity::named("alice")
        };
        user.extra.insert("scopes".into(), vec!["a".into()]);
        let uri = "/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions/p1/approval".parse().unwrap();
        let spec = review_spec(&user, &request_attributes(&Method::PUT, &uri).unwrap());
        assert_eq!(
            serde_json::to_value(&spec).unwrap(),
            serde_json::json!({
                "user": "alice",
                "uid": "u-1",
                "groups": ["dev", "system:authenticated"],
                "extra": {"scopes": ["a"]},
                "resourceAttributes": {
                    "namespace": "ns", "verb": "update", "group": "porch.kpt.dev", "version": "v1alpha1",
                    "resource": "packagerevisions", "subresource": "approval", "name": "p1"
                }
            })
        );
    }

    #[test]
    fn non_resource_reviews_carry_the_path_and_method() {
        let spec = review_spec(
            &Identity::named("bob"),
            &request_attributes(&Method::GET, &"/metrics".parse().unwrap()).unwrap(),
        );
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(json["nonResourceAttributes"], serde_json::json!({"path": "/metrics", "verb": "get"}));
        assert!(json.get("resourceAttributes").is_none());
    }

    fn attrs(method: Method, uri: &str) -> Attributes {
        request_attributes(&method, &uri.parse().unwrap()).unwrap()
    }

    #[tokio::test]
    async fn system_masters_and_always_allow_paths_need_no_review() {
        let authz = Authorizer::new(unreachable_client(), AlwaysAllowPaths::parse(&["/healthz"]).unwrap());
        let root = Identity { groups: vec![MASTERS.into()], ..Identity::named("root") };
        let create = attrs(Method::POST, "/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions");
        assert_eq!(authz.authorize(&root, &create).await.unwrap(), Decision::Allow);
        let anyone = Identity::anonymous();
        assert_eq!(authz.authorize(&anyone, &attrs(Method::GET, "/healthz")).await.unwrap(), Decision::Allow);
        // A resource path is never an always-allow path.
        let authz = Authorizer::new(unreachable_client(), AlwaysAllowPaths::parse(&["/*"]).unwrap());
        assert!(authz.always_allows(&attrs(Method::GET, "/metrics")));
        assert!(!authz.always_allows(&create));
    }

    #[tokio::test(start_paused = true)]
    async fn decisions_are_kept_for_their_ttl_then_asked_again() {
        let authz = Authorizer::new(unreachable_client(), AlwaysAllowPaths::default());
        let jane = Identity::named("jane");
        let (get, list) =
            (attrs(Method::GET, "/api/v1/namespaces/ns"), attrs(Method::GET, "/api/v1/namespaces"));
        authz.remember(cache_key(&review_spec(&jane, &get)), Decision::Allow);
        let forbid = Decision::Forbid { reason: "no RBAC".into() };
        authz.remember(cache_key(&review_spec(&jane, &list)), forbid.clone());
        tokio::time::advance(ALLOWED_TTL.min(DENIED_TTL) - Duration::from_millis(1)).await;
        assert_eq!(authz.authorize(&jane, &get).await.unwrap(), Decision::Allow);
        assert_eq!(authz.authorize(&jane, &list).await.unwrap(), forbid);
        // Another user's request is not answered from jane's decisions.
        assert!(authz.authorize(&Identity::named("joe"), &get).await.is_err());
        tokio::time::advance(Duration::from_millis(1)).await;
        // Expired: the (absent) cluster is asked, and asking fails.
        assert!(authz.authorize(&jane, &get).await.is_err());
        assert!(authz.authorize(&jane, &list).await.is_err());
    }
}
