//! Bearer tokens, checked with a TokenReview (`authentication.k8s.io/v1`) by the cluster, as
//! kube's delegating token authenticator does; answers are cached briefly. A token is never
//! logged and never kept: the cache holds a salted SHA-256 of it.

use super::cache::TtlCache;
use super::identity::Identity;
use super::review::{self, ReviewError};
use http::HeaderMap;
use http::header::AUTHORIZATION;
use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use kube::Api;
use std::time::Duration;

/// How long an answer is kept, authenticated or not (kube's `--authentication-token-webhook-cache-ttl`
/// default, 10 s). Failures to ask are not kept.
pub(crate) const TOKEN_CACHE_TTL: Duration = Duration::from_secs(10);

/// At most this many tokens' answers are kept.
const TOKEN_CACHE_CAPACITY: usize = 4096;

/// The `Authorization: Bearer <token>` of a request, as kube's bearer-token authenticator reads
/// it: the scheme case-insensitively, the token up to the next space; `None` when absent or empty.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let mut parts = value.splitn(3, ' ');
    let scheme = parts.next()?;
    let token = parts.next()?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Checks tokens with the cluster.
#[derive(Debug)]
pub(crate) struct TokenAuthenticator {
    api: Api<TokenReview>,
    cache: TtlCache<[u8; 32], Option<Identity>>,
    salt: [u8; 16],
}

impl TokenAuthenticator {
    /// Reviews through `client`.
    pub(crate) fn new(client: kube::Client) -> Self {
        Self {
            api: Api::all(client),
            cache: TtlCache::new(TOKEN_CACHE_CAPACITY),
            salt: uuid::Uuid::new_v4().into_bytes(),
        }
    }

    /// The user `token` belongs to, `None` when the cluster says it authenticates nobody.
    ///
    /// # Errors
    /// [`ReviewError`] when the cluster could not be asked (not cached).
    pub(crate) async fn authenticate(&self, token: &str) -> Result<Option<Identity>, ReviewError> {
        let key = self.key(token);
        if let Some(answer) = self.cache.get(&key) {
            return Ok(answer);
        }
        let review = TokenReview {
            spec: TokenReviewSpec { token: Some(token.to_string()), audiences: None },
            ..TokenReview::default()
        };
        let answer = review::create(&self.api, &review, "TokenReview").await?;
        let status = answer.status.unwrap_or_default();
        let identity = if status.authenticated == Some(true) {
            let user = status.user.unwrap_or_default();
            Some(Identity {
                username: user.username.unwrap_or_default(),
                uid: user.uid.unwrap_or_default(),
                groups: user.groups.unwrap_or_default(),
                extra: user.extra.unwrap_or_default(),
            })
        } else {
            if let Some(error) = status.error.filter(|e| !e.is_empty()) {
                tracing::debug!(%error, "the cluster did not authenticate a bearer token");
            }
            None
        };
        self.cache.insert(key, identity.clone(), TOKEN_CACHE_TTL);
        Ok(identity)
    }

    fn key(&self, token: &str) -> [u8; 32] {
        let mut hasher = openssl::sha::Sha256::new();
        hasher.update(&self.salt);
        hasher.update(token.as_bytes());
        hasher.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::unreachable_client;
    use super::*;
    use http::HeaderValue;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn bearer_tokens_are_read_as_kube_reads_them() {
        assert_eq!(bearer_token(&with_authorization("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&with_authorization("bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&with_authorization("  BEARER abc def ")), Some("abc"));
        assert_eq!(bearer_token(&with_authorization("Bearer  abc")), None);
        assert_eq!(bearer_token(&with_authorization("Bearer")), None);
        assert_eq!(bearer_token(&with_authorization("Basic dXNlcjpwYXNz")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[tokio::test(start_paused = true)]
    async fn answers_are_kept_for_ten_seconds_under_a_salted_hash() {
        let tokens = TokenAuthenticator::new(unreachable_client());
        let alice = Identity { groups: vec!["dev".into()], ..Identity::named("alice") };
        tokens.cache.insert(tokens.key("good"), Some(alice.clone()), TOKEN_CACHE_TTL);
        tokens.cache.insert(tokens.key("bad"), None, TOKEN_CACHE_TTL);
        tokio::time::advance(TOKEN_CACHE_TTL - Duration::from_millis(1)).await;
        assert_eq!(tokens.authenticate("good").await.unwrap(), Some(alice));
        assert_eq!(tokens.authenticate("bad").await.unwrap(), None);
        tokio::time::advance(Duration::from_millis(1)).await;
        // Expired: the (absent) cluster is asked, and asking fails (and is not kept).
        assert!(tokens.authenticate("good").await.is_err());
        assert!(tokens.authenticate("good").await.is_err());
        // Another process keys the same token differently.
        assert_ne!(tokens.key("good"), TokenAuthenticator::new(unreachable_client()).key("good"));
    }
}
