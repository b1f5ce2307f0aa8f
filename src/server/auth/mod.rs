//! Who is calling, and may they (aggregated mode): authentication and authorization as an
//! extension API server does them, delegated to the cluster's kube-apiserver.
//!
//! - [`config`] follows `kube-system/extension-apiserver-authentication` (the CAs and the
//!   front-proxy header names);
//! - [`authenticate`] finds the user: the front proxy's headers behind its certificate
//!   ([`certs`], [`headers`]), a client certificate, a bearer token ([`token`], a TokenReview);
//! - [`attributes`] reads what the request asks to do, as kube-apiserver's `RequestInfo`;
//! - [`authorize`] decides with a SubjectAccessReview ([`review`] makes both kinds of call);
//! - [`layer`] puts it in front of the API, answering 401 and 403 as kube-apiserver
//!   ([`responses`]).

mod attributes;
mod authenticate;
mod authorize;
mod cache;
mod certs;
mod config;
mod headers;
mod identity;
mod layer;
mod paths;
mod responses;
mod review;
mod token;

pub(crate) use authorize::Authorizer;
use config::SharedConfig;
pub(crate) use layer::AuthLayer;
pub(crate) use paths::AlwaysAllowPaths;
use std::sync::Arc;
use std::time::Duration;
use token::TokenAuthenticator;
use tokio_rustls::rustls::pki_types::CertificateDer;

/// The certificate chain a client presented in the TLS handshake (leaf first), put in each
/// request's extensions by the TLS server. Its signature over the handshake is verified there;
/// its chain is not: that is checked here, against the CAs in force when the request arrives.
#[derive(Clone, Debug)]
pub(crate) struct PeerCertificates(pub(crate) Arc<[CertificateDer<'static>]>);

/// How long [`Auth::ready`] waits for the first read of the ConfigMap.
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Authentication and authorization following `kube-system/extension-apiserver-authentication`,
/// with TokenReviews and SubjectAccessReviews asked of the cluster. Cheap to clone; the
/// ConfigMap is followed until the last clone is dropped.
#[derive(Clone, Debug)]
pub(crate) struct Auth {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Arc<SharedConfig>,
    tokens: TokenAuthenticator,
    authorizer: Authorizer,
    _follower: Option<AbortOnDrop>,
}

/// Stops the ConfigMap watcher with the [`Auth`] that started it.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Auth {
    /// Starts following the ConfigMap through `client` (its changes apply from the next request)
    /// and uses `client` for TokenReviews and SubjectAccessReviews.
    ///
    /// `always_allow` is `--authorization-always-allow-paths` (kube's default: `/healthz`,
    /// `/readyz`, `/livez`): non-resource paths that anyone may request, even anonymously.
    ///
    /// Must be called within a tokio runtime (it spawns the watcher).
    pub(crate) fn start(client: kube::Client, always_allow: AlwaysAllowPaths) -> Auth {
        let config = Arc::new(SharedConfig::new());
        let follower = tokio::spawn(config::follow(client.clone(), Arc::downgrade(&config)));
        Self::assemble(client, always_allow, config, Some(AbortOnDrop(follower.abort_handle())))
    }

    fn assemble(
        client: kube::Client,
        always_allow: AlwaysAllowPaths,
        config: Arc<SharedConfig>,
        follower: Option<AbortOnDrop>,
    ) -> Auth {
        Auth {
            inner: Arc::new(Inner {
                config,
                tokens: TokenAuthenticator::new(client.clone()),
                authorizer: Authorizer::new(client, always_allow),
                _follower: follower,
            }),
        }
    }

    /// Whether the ConfigMap has been read at least once (found or absent), waiting up to
    /// [`READY_TIMEOUT`] for it.
    ///
    /// Until it has been read, no CA is in force: client certificates and the front proxy
    /// authenticate nobody, so requests forwarded by kube-apiserver get 401; bearer tokens
    /// work, and anonymous requests to the always-allow paths are served. The watcher keeps
    /// retrying (a 403 is logged with the RoleBinding that fixes it); this turns true when it
    /// succeeds.
    pub(crate) async fn ready(&self) -> bool {
        let mut read = self.inner.config.read_signal();
        matches!(tokio::time::timeout(READY_TIMEOUT, read.wait_for(|r| *r)).await, Ok(Ok(_)))
    }

    /// Whether the ConfigMap has been read at least once, without waiting.
    pub(crate) fn is_ready(&self) -> bool {
        self.inner.config.is_read()
    }
}

#[cfg(test)]
impl Auth {
    /// An `Auth` with `config` in force and no watcher; its reviews go to `client`.
    fn with_config(
        client: kube::Client,
        always_allow: AlwaysAllowPaths,
        config: &config::AuthConfig,
    ) -> Auth {
        let shared = Arc::new(SharedConfig::new());
        shared.set_for_tests(config.clone());
        Self::assemble(client, always_allow, shared, None)
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! What the tests of this folder share.

    /// A client for a cluster that is not there (nothing listens on port 9): any review through
    /// it fails, so a test passes only if the code under test does not need one.
    pub(crate) fn unreachable_client() -> kube::Client {
        let config = kube::Config::new("http://127.0.0.1:9".parse().expect("url"));
        kube::Client::try_from(config).expect("client")
    }
}
