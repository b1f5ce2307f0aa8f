//! Repository credentials from the Secret named by `spec.git.secretRef`, read through the kube
//! client: the embedded store serves Secrets in standalone mode, kube-apiserver in a cluster.
//!
//! Two Secret shapes are understood, as in Porch: type `kubernetes.io/basic-auth` with `username`
//! and `password`, and any Secret with a `bearerToken` key. Errors name the Secret and the missing
//! key, never a value.
//!
//! The Secret is read as a [`Stored`] one: a Secret that does not decode (a field of the wrong
//! type, written before the server checked types) is an error naming the field, and kube-client
//! never sees a failed decode (on which it would log the whole response, data included).

use crate::git::Credentials;
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client};
use porch_controllers::{Stored, Undecodable};

/// The Secret type of basic-auth credentials.
pub const BASIC_AUTH_TYPE: &str = "kubernetes.io/basic-auth";
/// The key of a bearer token.
pub const BEARER_TOKEN_KEY: &str = "bearerToken";

/// Why a Secret could not be turned into credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The Secret does not exist.
    #[error("failed to find secret {namespace}/{name}")]
    NotFound {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The Secret exists but holds no usable credentials.
    #[error("secret {namespace}/{name} is not usable as git credentials: {why}")]
    Unusable {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// What is missing.
        why: String,
    },
    /// The Secret does not decode.
    #[error("secret {namespace}/{name} does not decode: {error}")]
    Undecodable {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// The field that does not decode (no value).
        error: Undecodable,
    },
    /// Reading the Secret failed.
    #[error("failed to read secret {namespace}/{name}")]
    Read {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
}

fn text(secret: &Secret, key: &str) -> Option<String> {
    let bytes = secret.data.as_ref()?.get(key)?;
    String::from_utf8(bytes.0.clone()).ok().filter(|s| !s.is_empty())
}

/// The credentials a Secret holds.
///
/// # Errors
/// [`CredentialsError::Unusable`] naming what is missing (`username`, `password`, or either shape).
pub fn from_secret(namespace: &str, name: &str, secret: &Secret) -> Result<Credentials, CredentialsError> {
    let unusable = |why: &str| CredentialsError::Unusable {
        namespace: namespace.to_string(),
        name: name.to_string(),
        why: why.to_string(),
    };
    if secret.type_.as_deref() == Some(BASIC_AUTH_TYPE) {
        let username =
            text(secret, "username").ok_or_else(|| unusable("key \"username\" is missing or empty"))?;
        let password =
            text(secret, "password").ok_or_else(|| unusable("key \"password\" is missing or empty"))?;
        return Ok(Credentials::Basic { username, password });
    }
    match text(secret, BEARER_TOKEN_KEY) {
        Some(token) => Ok(Credentials::Bearer(token)),
        None => Err(unusable(&format!(
            "want type {BASIC_AUTH_TYPE} with username and password, or a {BEARER_TOKEN_KEY} key"
        ))),
    }
}

/// Reads Secret `namespace/name` through `client` and returns its credentials.
///
/// # Errors
/// [`CredentialsError::NotFound`], [`CredentialsError::Unusable`],
/// [`CredentialsError::Undecodable`], [`CredentialsError::Read`].
pub async fn read(client: &Client, namespace: &str, name: &str) -> Result<Credentials, CredentialsError> {
    match read_secret(client, namespace, name).await {
        Ok(Some(secret)) => from_secret(namespace, name, &secret),
        Ok(None) => {
            Err(CredentialsError::NotFound { namespace: namespace.to_string(), name: name.to_string() })
        }
        Err(e) => Err(e),
    }
}

/// Reads Secret `namespace/name` through `client`, as stored: `None` when there is none.
///
/// # Errors
/// [`CredentialsError::Undecodable`] naming the field, [`CredentialsError::Read`].
pub async fn read_secret(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<Option<Secret>, CredentialsError> {
    let api: Api<Stored<Secret>> = Api::namespaced(client.clone(), namespace);
    let stored = api.get_opt(name).await.map_err(|source| CredentialsError::Read {
        namespace: namespace.to_string(),
        name: name.to_string(),
        source,
    })?;
    stored.map(|s| s.into_object()).transpose().map_err(|error| CredentialsError::Undecodable {
        namespace: namespace.to_string(),
        name: name.to_string(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    fn secret(type_: &str, data: &[(&str, &str)]) -> Secret {
        Secret {
            type_: Some(type_.to_string()),
            data: Some(
                data.iter().map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec()))).collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn basic_auth_secrets_give_basic_credentials() {
        let c = from_secret("ns", "s", &secret(BASIC_AUTH_TYPE, &[("username", "u"), ("password", "p")]))
            .unwrap();
        assert_eq!(c, Credentials::Basic { username: "u".into(), password: "p".into() });
    }

    #[test]
    fn bearer_tokens_come_from_any_secret_type() {
        let c = from_secret("ns", "s", &secret("Opaque", &[("bearerToken", "t0k")])).unwrap();
        assert_eq!(c, Credentials::Bearer("t0k".into()));
    }

    #[test]
    fn errors_name_what_is_missing_but_no_value() {
        let e = from_secret("ns", "s", &secret(BASIC_AUTH_TYPE, &[("username", "hunter2")])).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("ns/s") && msg.contains("\"password\""), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        let e = from_secret("ns", "s", &secret("Opaque", &[("token", "x")])).unwrap_err();
        assert!(e.to_string().contains("bearerToken"));
    }
}
