//! Who made a request: kube's union of authenticators for an extension server, in its order —
//! the front proxy (a certificate of the request-header CA with an allowed CN, then the
//! `X-Remote-*` headers), a client certificate of the client CA, a bearer token — and, when the
//! request carried no credentials at all, anonymous.
//!
//! As kube (`unionauth` with fail-on-error before anonymous): a credential that was presented and
//! refused (a certificate that verifies against neither CA, a token the cluster rejects or could
//! not review) makes the request unauthenticated (401) unless a later step authenticates it; only
//! a request with no credentials is anonymous.

use super::certs::{CaBundle, CertError, Subject, check_allowed_name};
use super::config::AuthConfig;
use super::headers::identity_from_headers;
use super::identity::{CREDENTIAL_ID, Identity};
use super::review::ReviewError;
use super::token::{TokenAuthenticator, bearer_token};
use http::HeaderMap;
use tokio_rustls::rustls::pki_types::{CertificateDer, UnixTime};

/// Why a presented credential authenticated nobody.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AuthnError {
    /// A front-proxy certificate check failed.
    #[error("front proxy: {0}")]
    FrontProxy(CertError),
    /// A client-certificate check failed.
    #[error("client certificate: {0}")]
    ClientCert(CertError),
    /// The cluster says the bearer token authenticates nobody.
    #[error("invalid bearer token")]
    InvalidToken,
    /// The token could not be reviewed.
    #[error(transparent)]
    TokenReview(ReviewError),
}

/// What the certificate steps found.
#[derive(Debug)]
pub(crate) enum CertOutcome {
    /// The certificate (and for the front proxy, its headers) named a user.
    User(Identity),
    /// No user: no certificate, or no CA to check it against, or the front proxy sent no
    /// username; `errors` holds each check that refused the certificate.
    NoUser {
        /// The refusals, in step order.
        errors: Vec<AuthnError>,
    },
}

/// Steps 1 and 2: the front proxy, then the client CA, for a request that presented `chain`
/// (leaf first) with `headers`, checked at `now`. The user has no `system:authenticated` yet.
pub(crate) fn authenticate_certificate(
    config: &AuthConfig,
    chain: Option<&[CertificateDer<'static>]>,
    headers: &HeaderMap,
    now: UnixTime,
) -> CertOutcome {
    let mut errors = Vec::new();
    let Some(chain) = chain.filter(|c| !c.is_empty()) else { return CertOutcome::NoUser { errors } };
    if let Some(ca) = &config.request_header_ca {
        let names = &config.request_header;
        match ca.verify(chain, now).and_then(|s| check_allowed_name(&names.allowed_names, &s.common_name)) {
            Ok(()) => {
                if let Some(id) = identity_from_headers(headers, names) {
                    return CertOutcome::User(id);
                }
            }
            Err(e) => errors.push(AuthnError::FrontProxy(e)),
        }
    }
    if let Some(ca) = &config.client_ca {
        match client_certificate_user(ca, chain, now) {
            Ok(Some(id)) => return CertOutcome::User(id),
            Ok(None) => {}
            Err(e) => errors.push(AuthnError::ClientCert(e)),
        }
    }
    CertOutcome::NoUser { errors }
}

/// The user of a client certificate: its CN, in its O groups, with the credential id kube
/// records (`X509SHA256=<hex of the leaf's SHA-256>`); `None` for a certificate without a CN.
fn client_certificate_user(
    ca: &CaBundle,
    chain: &[CertificateDer<'static>],
    now: UnixTime,
) -> Result<Option<Identity>, CertError> {
    let Subject { common_name, organizations } = ca.verify(chain, now)?;
    if common_name.is_empty() {
        return Ok(None);
    }
    let fingerprint: String = openssl::sha::sha256(&chain[0]).iter().map(|b| format!("{b:02x}")).collect();
    let mut id = Identity { groups: organizations, ..Identity::named(common_name) };
    id.extra.insert(CREDENTIAL_ID.to_string(), vec![format!("X509SHA256={fingerprint}")]);
    Ok(Some(id))
}

/// The outcome of authentication.
#[derive(Debug)]
pub(crate) enum Authenticated {
    /// A user, with `system:authenticated` added as kube adds it.
    User(Identity),
    /// No credentials were presented.
    Anonymous,
}

/// All the steps. `Ok(Anonymous)` only when nothing was presented; `Err` holds every refusal.
/// A bearer token that authenticated is removed from `headers` (as kube does).
pub(crate) async fn authenticate(
    config: &AuthConfig,
    chain: Option<&[CertificateDer<'static>]>,
    headers: &mut HeaderMap,
    tokens: &TokenAuthenticator,
) -> Result<Authenticated, Vec<AuthnError>> {
    let mut errors = match authenticate_certificate(config, chain, headers, UnixTime::now()) {
        CertOutcome::User(id) => return Ok(Authenticated::User(id.with_authenticated_group())),
        CertOutcome::NoUser { errors } => errors,
    };
    if let Some(token) = bearer_token(headers) {
        match tokens.authenticate(token).await {
            Ok(Some(id)) => {
                headers.remove(http::header::AUTHORIZATION);
                return Ok(Authenticated::User(id.with_authenticated_group()));
            }
            Ok(None) => errors.push(AuthnError::InvalidToken),
            Err(e) => errors.push(AuthnError::TokenReview(e)),
        }
    }
    if errors.is_empty() { Ok(Authenticated::Anonymous) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::super::certs::testing::TestCa;
    use super::super::headers::RequestHeaderNames;
    use super::*;
    use http::{HeaderName, HeaderValue};

    struct Cluster {
        client: TestCa,
        front: TestCa,
        config: AuthConfig,
    }

    fn cluster(allowed_names: &[&str]) -> Cluster {
        let (client, front) = (TestCa::new("client-ca"), TestCa::new("front-proxy-ca"));
        let config = AuthConfig {
            client_ca: Some(CaBundle::from_pem(&client.pem()).unwrap()),
            request_header_ca: Some(CaBundle::from_pem(&front.pem()).unwrap()),
            request_header: RequestHeaderNames {
                username: vec!["X-Remote-User".into()],
                uid: vec![],
                group: vec!["X-Remote-Group".into()],
                extra_prefixes: vec!["X-Remote-Extra-".into()],
                allowed_names: allowed_names.iter().map(|s| s.to_string()).collect(),
            },
        };
        Cluster { client, front, config }
    }

    fn forwarded(user: &str, groups: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-remote-user", HeaderValue::from_str(user).unwrap());
        for g in groups {
            h.append("x-remote-group", HeaderValue::from_str(g).unwrap());
        }
        h.insert(HeaderName::from_static("x-remote-extra-scopes"), HeaderValue::from_static("s1"));
        h
    }

    fn run(c: &Cluster, chain: Option<&[CertificateDer<'static>]>, headers: &HeaderMap) -> CertOutcome {
        authenticate_certificate(&c.config, chain, headers, UnixTime::now())
    }

    #[test]
    fn the_front_proxy_with_an_allowed_cn_makes_the_headers_authoritative() {
        let c = cluster(&["front-proxy-client"]);
        let chain = [c.front.client("front-proxy-client", &[])];
        let CertOutcome::User(id) = run(&c, Some(&chain), &forwarded("alice", &["dev", "ops"])) else {
            panic!("not authenticated")
        };
        assert_eq!((id.username.as_str(), id.groups.clone()), ("alice", vec!["dev".into(), "ops".into()]));
        assert_eq!(id.extra["scopes"], ["s1"]);
        let id = id.with_authenticated_group();
        assert_eq!(id.groups, ["dev", "ops", "system:authenticated"]);
    }

    #[test]
    fn any_cn_is_allowed_when_no_names_are_listed() {
        let c = cluster(&[]);
        let chain = [c.front.client("whatever", &[])];
        assert!(
            matches!(run(&c, Some(&chain), &forwarded("bob", &[])), CertOutcome::User(id) if id.username == "bob")
        );
    }

    #[test]
    fn a_front_proxy_certificate_with_another_cn_is_refused() {
        let c = cluster(&["front-proxy-client"]);
        let chain = [c.front.client("impostor", &[])];
        let CertOutcome::NoUser { errors } = run(&c, Some(&chain), &forwarded("admin", &["system:masters"]))
        else {
            panic!("a disallowed CN authenticated")
        };
        assert!(matches!(errors[0], AuthnError::FrontProxy(CertError::NameNotAllowed(_))));
        // It is not a client-CA certificate either.
        assert!(matches!(errors[1], AuthnError::ClientCert(CertError::Verify(_))));
    }

    #[test]
    fn forged_headers_without_the_front_proxy_certificate_are_ignored() {
        let c = cluster(&["front-proxy-client"]);
        let headers = forwarded("admin", &["system:masters"]);
        assert!(matches!(run(&c, None, &headers), CertOutcome::NoUser { errors } if errors.is_empty()));
        // With a client-CA certificate, the user is the certificate's, never the header's.
        let chain = [c.client.client("carol", &["team"])];
        let CertOutcome::User(id) = run(&c, Some(&chain), &headers) else { panic!("not authenticated") };
        assert_eq!((id.username.as_str(), id.groups.clone()), ("carol", vec!["team".to_string()]));
        assert!(id.extra[CREDENTIAL_ID][0].starts_with("X509SHA256="));
        assert_eq!(id.extra[CREDENTIAL_ID][0].len(), "X509SHA256=".len() + 64);
        // A certificate of an unknown CA claiming the front proxy's CN gets nowhere.
        let chain = [TestCa::new("rogue").client("front-proxy-client", &[])];
        assert!(
            matches!(run(&c, Some(&chain), &headers), CertOutcome::NoUser { errors } if errors.len() == 2)
        );
    }

    #[test]
    fn a_front_proxy_request_without_a_username_falls_through() {
        let c = cluster(&["front-proxy-client"]);
        let chain = [c.front.client("front-proxy-client", &[])];
        let CertOutcome::NoUser { errors } = run(&c, Some(&chain), &HeaderMap::new()) else {
            panic!("authenticated without a username")
        };
        // The front proxy's certificate is not a client-CA certificate.
        assert!(matches!(errors.as_slice(), [AuthnError::ClientCert(_)]));
    }

    #[test]
    fn client_ca_users_get_cn_and_organizations() {
        let c = cluster(&[]);
        let chain = [c.client.client("dave", &["system:masters", "ops"])];
        let CertOutcome::User(id) = run(&c, Some(&chain), &HeaderMap::new()) else {
            panic!("not authenticated")
        };
        assert_eq!(id.username, "dave");
        assert_eq!(id.groups, ["system:masters", "ops"]);
    }

    #[test]
    fn an_expired_client_certificate_is_refused() {
        let c = cluster(&[]);
        let chain = [c.client.client_with("erin", &[], |p| {
            p.not_before = rcgen::date_time_ymd(2020, 1, 1);
            p.not_after = rcgen::date_time_ymd(2021, 1, 1);
        })];
        let CertOutcome::NoUser { errors } = run(&c, Some(&chain), &HeaderMap::new()) else {
            panic!("an expired certificate authenticated")
        };
        assert!(matches!(
            errors.as_slice(),
            [
                AuthnError::FrontProxy(_),
                AuthnError::ClientCert(CertError::Verify(webpki::Error::CertExpired { .. }))
            ]
        ));
    }

    #[test]
    fn without_cas_certificates_authenticate_nobody() {
        let c = cluster(&[]);
        let chain = [c.client.client("frank", &[])];
        let outcome = authenticate_certificate(
            &AuthConfig::default(),
            Some(&chain),
            &HeaderMap::new(),
            UnixTime::now(),
        );
        assert!(matches!(outcome, CertOutcome::NoUser { errors } if errors.is_empty()));
    }
}
