//! The tower layer: every request is authenticated, then authorized, before the API sees it.
//!
//! 1. Attributes (as kube-apiserver's `RequestInfo`); a path it cannot read → 500.
//! 2. Authentication ([`super::authenticate`]): a refused credential → 401; no credentials →
//!    anonymous, served only on the always-allow paths (kube would ask a SubjectAccessReview for
//!    `system:anonymous`; we answer 401 without asking), else 401.
//! 3. The front-proxy headers (those the ConfigMap names and kube's defaults) are removed from
//!    the request, whoever sent them.
//! 4. Authorization ([`super::authorize`]): forbidden → 403 with kube-apiserver's message; the
//!    cluster could not be asked → 500.
//! 5. The user goes into the request's extensions — [`porch_layers::UserInfo`] for the handler
//!    and the fuller [`Identity`] — and the request goes on.

use super::attributes::request_attributes;
use super::authenticate::{Authenticated, AuthnError, authenticate};
use super::authorize::Decision;
use super::headers::{RequestHeaderNames, remove_identity_headers};
use super::identity::Identity;
use super::responses::{forbidden, internal_error, unauthorized};
use super::{Auth, PeerCertificates};
use crate::server::response::ResponseBody;
use futures::future::BoxFuture;
use http::{Request, Response};
use std::convert::Infallible;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// Puts [`AuthService`] in front of a service.
#[derive(Clone, Debug)]
pub(crate) struct AuthLayer {
    auth: Auth,
}

impl AuthLayer {
    /// A layer deciding with `auth`.
    pub(crate) fn new(auth: Auth) -> Self {
        Self { auth }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService { auth: self.auth.clone(), inner }
    }
}

/// Authenticates and authorizes each request, then hands it to the inner service (see the
/// module documentation).
#[derive(Clone, Debug)]
pub(crate) struct AuthService<S> {
    auth: Auth,
    inner: S,
}

impl<S, B> Service<Request<B>> for AuthService<S>
where
    S: Service<Request<B>, Response = Response<ResponseBody>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<ResponseBody>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        // The service polled ready goes with this request; its clone waits for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        Box::pin(async move {
            match auth.admit(&mut req).await {
                Ok(()) => inner.call(req).await,
                Err(refusal) => Ok(refusal),
            }
        })
    }
}

impl Auth {
    /// Authenticates and authorizes `req`, leaving its user in its extensions; the response to
    /// send instead when it may not go on.
    async fn admit<B>(&self, req: &mut Request<B>) -> Result<(), Response<ResponseBody>> {
        let attrs = request_attributes(req.method(), req.uri())
            .map_err(|e| internal_error(req.uri(), &format!("failed to create RequestInfo: {e}")))?;
        let config = self.inner.config.current();
        let chain = req.extensions().get::<PeerCertificates>().map(|certs| certs.0.clone());
        let outcome = authenticate(&config, chain.as_deref(), req.headers_mut(), &self.inner.tokens).await;
        remove_identity_headers(req.headers_mut(), &config.request_header);
        remove_identity_headers(req.headers_mut(), &RequestHeaderNames::kube_defaults());

        let identity = match outcome {
            Ok(Authenticated::User(identity)) => identity,
            Ok(Authenticated::Anonymous) if self.inner.authorizer.always_allows(&attrs) => {
                Identity::anonymous()
            }
            Ok(Authenticated::Anonymous) => {
                tracing::debug!(path = req.uri().path(), "request without credentials refused");
                return Err(unauthorized());
            }
            Err(errors) => {
                for e in &errors {
                    if matches!(e, AuthnError::TokenReview(_)) {
                        tracing::warn!(error = %e, "unable to authenticate the request");
                    } else {
                        tracing::debug!(error = %e, "unable to authenticate the request");
                    }
                }
                return Err(unauthorized());
            }
        };

        match self.inner.authorizer.authorize(&identity, &attrs).await {
            Ok(Decision::Allow) => {}
            Ok(Decision::Forbid { reason }) => {
                tracing::debug!(user = %identity.username, path = req.uri().path(), %reason, "forbidden");
                return Err(forbidden(&attrs, &identity.username, &reason));
            }
            Err(e) => {
                tracing::warn!(error = %e, "unable to authorize the request");
                return Err(internal_error(req.uri(), &e));
            }
        }
        req.extensions_mut().insert(identity.user_info());
        req.extensions_mut().insert(identity);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::certs::CaBundle;
    use super::super::certs::testing::TestCa;
    use super::super::config::AuthConfig;
    use super::super::testing::unreachable_client;
    use super::*;
    use crate::server::response::json_response;
    use http::{HeaderValue, StatusCode};
    use http_body_util::BodyExt;
    use porch_layers::UserInfo;
    use std::sync::Arc;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tower::ServiceExt;

    struct Setup {
        client_ca: TestCa,
        front_proxy: TestCa,
        auth: Auth,
    }

    fn setup() -> Setup {
        let (client_ca, front_proxy) = (TestCa::new("client-ca"), TestCa::new("front-proxy-ca"));
        let config = AuthConfig {
            client_ca: Some(CaBundle::from_pem(&client_ca.pem()).unwrap()),
            request_header_ca: Some(CaBundle::from_pem(&front_proxy.pem()).unwrap()),
            request_header: RequestHeaderNames {
                allowed_names: vec!["front-proxy-client".into()],
                ..RequestHeaderNames::kube_defaults()
            },
        };
        let paths = super::super::AlwaysAllowPaths::parse(&["/healthz", "/readyz", "/livez"]).unwrap();
        Setup { client_ca, front_proxy, auth: Auth::with_config(unreachable_client(), paths, &config) }
    }

    /// Answers 200 with the user the layer left in the extensions and the identity headers
    /// the request still carries.
    async fn echo(req: Request<()>) -> Result<Response<ResponseBody>, Infallible> {
        let user = req.extensions().get::<UserInfo>().cloned().unwrap_or_default();
        let has_identity = req.extensions().get::<Identity>().is_some();
        let remote: Vec<&str> =
            req.headers().keys().map(|k| k.as_str()).filter(|k| k.starts_with("x-remote-")).collect();
        let body = serde_json::json!({
            "user": user.username, "groups": user.groups, "identity": has_identity, "remote": remote,
        });
        Ok(json_response(StatusCode::OK, &body))
    }

    async fn call(
        auth: &Auth,
        path: &str,
        chain: Option<CertificateDer<'static>>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, serde_json::Value) {
        let mut req = Request::get(path).body(()).unwrap();
        for (k, v) in headers {
            req.headers_mut().append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        if let Some(cert) = chain {
            req.extensions_mut().insert(PeerCertificates(Arc::from(vec![cert])));
        }
        let svc = AuthLayer::new(auth.clone()).layer(tower::service_fn(echo));
        let res = svc.oneshot(req).await.unwrap();
        let status = res.status();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&body).unwrap())
    }

    const PRS: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions";
    const FORGED: &[(&str, &str)] = &[("X-Remote-User", "admin"), ("X-Remote-Group", "system:masters")];

    #[tokio::test]
    async fn forged_headers_without_the_front_proxy_certificate_get_401() {
        let s = setup();
        let (status, body) = call(&s.auth, PRS, None, FORGED).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["message"], "Unauthorized");
    }

    #[tokio::test]
    async fn anonymous_requests_reach_only_the_always_allow_paths() {
        let s = setup();
        let (status, body) = call(&s.auth, "/healthz", None, FORGED).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["user"], "system:anonymous");
        assert_eq!(body["groups"], serde_json::json!(["system:unauthenticated"]));
        assert_eq!(body["remote"], serde_json::json!([]), "forged headers are removed");
        for path in ["/metrics", "/apis", "/openapi/v3", "/healthz/extra"] {
            assert_eq!(call(&s.auth, path, None, &[]).await.0, StatusCode::UNAUTHORIZED, "{path}");
        }
    }

    #[tokio::test]
    async fn the_front_proxy_names_the_user() {
        let s = setup();
        let cert = s.front_proxy.client("front-proxy-client", &[]);
        let headers =
            [("X-Remote-User", "root"), ("X-Remote-Group", "system:masters"), ("X-Remote-Extra-Scopes", "x")];
        let (status, body) = call(&s.auth, PRS, Some(cert), &headers).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["user"], "root");
        assert_eq!(body["groups"], serde_json::json!(["system:masters", "system:authenticated"]));
        assert_eq!(body["identity"], true);
        assert_eq!(body["remote"], serde_json::json!([]));
    }

    #[tokio::test]
    async fn a_refused_certificate_gets_401_even_on_an_always_allow_path() {
        let s = setup();
        let cert = s.front_proxy.client("not-the-proxy", &[]);
        assert_eq!(call(&s.auth, "/healthz", Some(cert), FORGED).await.0, StatusCode::UNAUTHORIZED);
        let cert = TestCa::new("rogue").client("front-proxy-client", &[]);
        assert_eq!(call(&s.auth, PRS, Some(cert), FORGED).await.0, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn a_client_certificate_user_in_system_masters_needs_no_review() {
        let s = setup();
        let cert = s.client_ca.client("admin", &["system:masters"]);
        let (status, body) = call(&s.auth, "/metrics", Some(cert), &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["user"], "admin");
    }

    #[tokio::test(start_paused = true)]
    async fn a_review_that_cannot_be_made_gets_500_and_a_token_that_cannot_be_checked_401() {
        let s = setup();
        let cert = s.client_ca.client("jane", &["dev"]);
        let (status, body) = call(&s.auth, PRS, Some(cert), &[]).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!(
                "Internal Server Error: \"{PRS}\": failed to create a SubjectAccessReview"
            )),
            "{message}"
        );
        let (status, _) = call(&s.auth, PRS, None, &[("Authorization", "Bearer t0ken")]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn the_service_boxes_into_a_clone_sync_service() {
        let s = setup();
        let svc = AuthLayer::new(s.auth.clone()).layer(tower::service_fn(echo));
        let boxed = tower::util::BoxCloneSyncService::new(svc);
        let res = boxed.clone().oneshot(Request::get("/livez").body(()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}
