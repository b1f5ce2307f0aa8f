//! The `continue` token codec: a key as JSON, in unpadded base64url.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A `continue` token that does not decode to a key of the expected shape.
///
/// `Display` is kube-apiserver's wording with the cause: `continue key is not valid: <why>`.
/// [`InvalidToken::naming_token`] is the other wording in use, which quotes the token instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("continue key is not valid: {cause}")]
pub struct InvalidToken {
    token: String,
    cause: String,
}

impl InvalidToken {
    /// The token as the client sent it.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Why it does not decode (the base64 or JSON error).
    pub fn cause(&self) -> &str {
        &self.cause
    }

    /// `continue key is not valid: "<token>"` (the token quoted and escaped as a Go `%q` would
    /// for printable text).
    pub fn naming_token(&self) -> String {
        format!("continue key is not valid: {:?}", self.token)
    }
}

/// The token of `key`.
///
/// A key whose `Serialize` fails (a map with non-string keys) gives an empty token, which a
/// server reads as no token; the keys lists sort by (tuples of strings and numbers) never fail.
pub fn encode<K: Serialize + ?Sized>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// The key of `token`, taken as given (no trimming).
///
/// # Errors
/// [`InvalidToken`] when `token` is not unpadded base64url or its content is not the JSON of a `K`.
pub fn decode<K: DeserializeOwned>(token: &str) -> Result<K, InvalidToken> {
    let invalid = |cause: String| InvalidToken { token: token.to_string(), cause };
    let json = URL_SAFE_NO_PAD.decode(token).map_err(|e| invalid(e.to_string()))?;
    serde_json::from_slice(&json).map_err(|e| invalid(e.to_string()))
}
