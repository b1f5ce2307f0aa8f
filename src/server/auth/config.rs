//! `kube-system/extension-apiserver-authentication`: the CAs and front-proxy header names
//! kube-apiserver publishes for extension servers, read and followed with a watcher.
//!
//! As kube's controllers for it: each part of the ConfigMap is taken when it parses; a part that
//! is missing or malformed (a CA key without certificates, a header key that is not a JSON string
//! array) keeps what was in force before, with a warning. A deleted ConfigMap changes nothing.
//! Until the ConfigMap has been read once nothing is in force, so only bearer tokens
//! authenticate.

use super::certs::CaBundle;
use super::headers::RequestHeaderNames;
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, Weak};
use tokio::sync::watch;

/// The ConfigMap's namespace.
pub(crate) const NAMESPACE: &str = "kube-system";
/// The ConfigMap's name.
pub(crate) const NAME: &str = "extension-apiserver-authentication";

const CLIENT_CA: &str = "client-ca-file";
const REQUEST_HEADER_CA: &str = "requestheader-client-ca-file";
const USERNAME_HEADERS: &str = "requestheader-username-headers";
const UID_HEADERS: &str = "requestheader-uid-headers";
const GROUP_HEADERS: &str = "requestheader-group-headers";
const EXTRA_PREFIXES: &str = "requestheader-extra-headers-prefix";
const ALLOWED_NAMES: &str = "requestheader-allowed-names";

/// What the ConfigMap put in force.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuthConfig {
    /// `client-ca-file`: client certificates it signed authenticate as their CN, in their O groups.
    pub(crate) client_ca: Option<CaBundle>,
    /// `requestheader-client-ca-file`: the front proxy's certificates; without it the
    /// front-proxy headers authenticate nobody.
    pub(crate) request_header_ca: Option<CaBundle>,
    /// The front-proxy header names and allowed CNs.
    pub(crate) request_header: RequestHeaderNames,
}

/// Why part of the ConfigMap was not taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// A CA key that does not hold a usable PEM bundle.
    #[error("{key}: {source}")]
    Ca {
        /// The key.
        key: &'static str,
        /// Why.
        source: super::certs::CertError,
    },
    /// A header key that is not a JSON array of strings.
    #[error("{key} is not a JSON array of strings: {source}")]
    Strings {
        /// The key.
        key: &'static str,
        /// Why.
        source: serde_json::Error,
    },
}

impl AuthConfig {
    /// This configuration updated with a ConfigMap's `data`, and what could not be taken from it
    /// (those parts keep their value here).
    pub(crate) fn updated(&self, data: &BTreeMap<String, String>) -> (AuthConfig, Vec<ConfigError>) {
        let mut next = self.clone();
        let mut errors = Vec::new();
        for (key, slot) in
            [(CLIENT_CA, &mut next.client_ca), (REQUEST_HEADER_CA, &mut next.request_header_ca)]
        {
            // A missing CA keeps the one in force: kube's CA controller fails its sync then.
            let Some(pem) = data.get(key).filter(|pem| !pem.is_empty()) else { continue };
            match CaBundle::from_pem(pem) {
                Ok(bundle) => *slot = Some(bundle),
                Err(source) => errors.push(ConfigError::Ca { key, source }),
            }
        }
        match request_header_names(data) {
            Ok(names) => next.request_header = names,
            Err(e) => errors.push(e),
        }
        (next, errors)
    }
}

/// The header names, all or nothing (as kube's request-header controller); a missing key is empty.
fn request_header_names(data: &BTreeMap<String, String>) -> Result<RequestHeaderNames, ConfigError> {
    let strings = |key: &'static str| -> Result<Vec<String>, ConfigError> {
        match data.get(key).map(String::as_str) {
            None | Some("") => Ok(Vec::new()),
            Some(json) => serde_json::from_str(json).map_err(|source| ConfigError::Strings { key, source }),
        }
    };
    Ok(RequestHeaderNames {
        username: strings(USERNAME_HEADERS)?,
        uid: strings(UID_HEADERS)?,
        group: strings(GROUP_HEADERS)?,
        extra_prefixes: strings(EXTRA_PREFIXES)?,
        allowed_names: strings(ALLOWED_NAMES)?,
    })
}

/// The configuration in force, shared by the watcher and the requests.
#[derive(Debug)]
pub(crate) struct SharedConfig {
    current: RwLock<Arc<AuthConfig>>,
    read: watch::Sender<bool>,
}

impl SharedConfig {
    /// Nothing in force, not read yet.
    pub(crate) fn new() -> Self {
        Self { current: RwLock::new(Arc::default()), read: watch::Sender::new(false) }
    }

    /// The configuration in force now.
    pub(crate) fn current(&self) -> Arc<AuthConfig> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether the ConfigMap has been read (found or not) at least once.
    pub(crate) fn is_read(&self) -> bool {
        *self.read.borrow()
    }

    /// A receiver that sees [`is_read`](Self::is_read) become true.
    pub(crate) fn read_signal(&self) -> watch::Receiver<bool> {
        self.read.subscribe()
    }

    /// Takes what parses of `data` (see [`AuthConfig::updated`]) and logs the rest.
    pub(crate) fn apply(&self, data: &BTreeMap<String, String>) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let (next, errors) = current.updated(data);
        for e in errors {
            tracing::warn!(error = %e, "configmap {NAMESPACE}/{NAME}: keeping the value in force");
        }
        tracing::info!(
            client_ca = next.client_ca.is_some(),
            request_header_ca = next.request_header_ca.is_some(),
            "configmap {NAMESPACE}/{NAME} read"
        );
        *current = Arc::new(next);
    }

    fn mark_read(&self) {
        self.read.send_replace(true);
    }

    /// Puts `config` in force, as read.
    #[cfg(test)]
    pub(crate) fn set_for_tests(&self, config: AuthConfig) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
        self.mark_read();
    }
}

/// Follows the ConfigMap into `shared` until `shared` is dropped.
pub(crate) async fn follow(client: kube::Client, shared: Weak<SharedConfig>) {
    let api: Api<ConfigMap> = Api::namespaced(client, NAMESPACE);
    let config = watcher::Config::default().fields(&format!("metadata.name={NAME}"));
    let events = watcher::watcher(api, config).default_backoff();
    let mut events = std::pin::pin!(events);
    let mut found = false;
    let mut last_error: Option<String> = None;
    while let Some(event) = events.next().await {
        let Some(shared) = shared.upgrade() else { return };
        match event {
            Ok(watcher::Event::Init) => found = false,
            Ok(watcher::Event::InitApply(cm) | watcher::Event::Apply(cm)) => {
                found = true;
                shared.apply(&cm.data.unwrap_or_default());
            }
            Ok(watcher::Event::InitDone) => {
                last_error = None;
                if !found {
                    tracing::warn!(
                        "configmap {NAMESPACE}/{NAME} not found: client certificates and the front proxy \
                         authenticate nobody until it exists"
                    );
                }
                shared.mark_read();
            }
            Ok(watcher::Event::Delete(_)) => {
                tracing::warn!("configmap {NAMESPACE}/{NAME} deleted: keeping the configuration in force");
            }
            Err(e) => {
                let text = e.to_string();
                let hint = if forbidden(&e) {
                    " (usually fixed by binding the role kube-system/extension-apiserver-authentication-reader \
                     to this server's ServiceAccount)"
                } else {
                    ""
                };
                if last_error.as_deref() == Some(text.as_str()) {
                    tracing::debug!(error = %text, "reading configmap {NAMESPACE}/{NAME} failed again; retrying");
                } else {
                    tracing::warn!(error = %text, "reading configmap {NAMESPACE}/{NAME} failed{hint}; retrying with backoff");
                    last_error = Some(text);
                }
            }
        }
    }
}

fn forbidden(e: &watcher::Error) -> bool {
    match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => s.code == 403,
        watcher::Error::WatchError(s) => s.code == 403,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::certs::testing::TestCa;
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_full_configmap_is_taken() {
        let (client, front) = (TestCa::new("client"), TestCa::new("front-proxy"));
        let cm = data(&[
            (CLIENT_CA, &client.pem()),
            (REQUEST_HEADER_CA, &front.pem()),
            (USERNAME_HEADERS, r#"["X-Remote-User"]"#),
            (GROUP_HEADERS, r#"["X-Remote-Group"]"#),
            (EXTRA_PREFIXES, r#"["X-Remote-Extra-"]"#),
            (ALLOWED_NAMES, r#"["front-proxy-client"]"#),
        ]);
        let (config, errors) = AuthConfig::default().updated(&cm);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(config.client_ca.is_some() && config.request_header_ca.is_some());
        assert_eq!(config.request_header.username, ["X-Remote-User"]);
        assert!(config.request_header.uid.is_empty());
        assert_eq!(config.request_header.group, ["X-Remote-Group"]);
        assert_eq!(config.request_header.extra_prefixes, ["X-Remote-Extra-"]);
        assert_eq!(config.request_header.allowed_names, ["front-proxy-client"]);
    }

    #[test]
    fn malformed_parts_keep_the_value_in_force() {
        let ca = TestCa::new("client");
        let good = data(&[(CLIENT_CA, &ca.pem()), (USERNAME_HEADERS, r#"["X-Remote-User"]"#)]);
        let (config, _) = AuthConfig::default().updated(&good);
        let bad = data(&[(CLIENT_CA, "not pem"), (USERNAME_HEADERS, "X-Remote-User")]);
        let (next, errors) = config.updated(&bad);
        assert_eq!(errors.len(), 2);
        assert!(next.client_ca.is_some());
        assert_eq!(next.request_header.username, ["X-Remote-User"]);
        // A header key that disappears is empty; a CA that disappears stays.
        let (next, errors) = next.updated(&BTreeMap::new());
        assert!(errors.is_empty());
        assert!(next.client_ca.is_some());
        assert!(next.request_header.username.is_empty());
    }
}
