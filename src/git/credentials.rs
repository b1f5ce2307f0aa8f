//! Credentials for a remote, passed in by the caller as a value, and the libgit2 plumbing that
//! presents them (and the repository's TLS trust, [`Trust`]). Secrets never reach logs, errors
//! or `Debug` output.
//!
//! Credentials go only to the [`Origin`] of the repository URL. libgit2 follows a redirect of the
//! first request of a fetch or push (git's `http.followRedirects=initial`), and the servers it is
//! sent to then may ask for credentials:
//!
//! - basic credentials are answered from the credential callback, which libgit2 calls with the
//!   URL of the server asking; the callback refuses any other origin. libgit2 drops the
//!   authentication state when a redirect changes scheme, host or port, so a server on another
//!   origin gets no `Authorization` header: a public one serves the request without it, one
//!   that asks gets none and the operation fails with an error naming both origins;
//! - a bearer token is a header libgit2 adds to every request, so it cannot be withheld from a
//!   redirect target. With a token the operation follows no redirect to another host
//!   ([`RemoteRedirect::None`]; libgit2 still follows one to another port or scheme on the same
//!   host, as Go's HTTP client — and so Porch — forwards `Authorization` to the same host).

use std::fmt;

use git2::{Cred, CredentialType, ErrorClass, RemoteCallbacks, RemoteRedirect};

use super::error::{LibgitError, Scrubber, redact_userinfo};
use super::origin::Origin;
use super::tls::{CaBundle, Trust};

/// How to authenticate to a remote (from the Repository's `spec.git.secretRef`).
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP basic authentication (`kubernetes.io/basic-auth` secret).
    Basic {
        /// User name.
        username: String,
        /// Password or personal access token.
        password: String,
    },
    /// A bearer token sent as an `Authorization: Bearer` header (Opaque secret `bearerToken`).
    Bearer(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { .. } => f.write_str("Credentials::Basic(***)"),
            Self::Bearer(_) => f.write_str("Credentials::Bearer(***)"),
        }
    }
}

impl Credentials {
    /// The secret strings, for scrubbing text.
    fn secrets(&self) -> Vec<String> {
        match self {
            Self::Basic { username, password } => {
                // A user name is not secret on its own, but it often is a token too (GitHub PATs).
                vec![password.clone(), username.clone()].into_iter().filter(|s| s.len() >= 4).collect()
            }
            Self::Bearer(token) => vec![token.clone()],
        }
    }
}

/// Credentials bound to one remote operation: the callbacks and headers libgit2 needs, the TLS
/// trust, and the scrubber for its errors.
#[derive(Debug, Clone, Default)]
pub(crate) struct Auth {
    credentials: Option<Credentials>,
    scrubber: Scrubber,
    trust: Trust,
    /// Where the credentials may go: the origin of the repository URL (`None`: not HTTP(S), or
    /// unparsable — then they go nowhere).
    origin: Option<Origin>,
}

impl Auth {
    /// Auth for `credentials` on a remote at `url` (whose user-info, if any, is a secret too).
    pub(crate) fn new(credentials: Option<Credentials>, url: &str) -> Self {
        let mut secrets = credentials.as_ref().map(Credentials::secrets).unwrap_or_default();
        if let Some(userinfo) = url_userinfo(url) {
            secrets.push(userinfo.to_string());
            if let Some((_, password)) = userinfo.split_once(':') {
                secrets.push(password.to_string());
            }
        }
        let origin = Origin::of(url);
        Self { credentials, scrubber: Scrubber::new(secrets), trust: Trust::default(), origin }
    }

    /// Also trusts the CA certificates of `bundle` for `https://` remotes.
    pub(crate) fn with_ca_bundle(mut self, bundle: &CaBundle) -> Self {
        self.trust = Trust::new(bundle);
        self
    }

    /// The scrubber for errors of operations using these credentials.
    pub(crate) fn scrubber(&self) -> &Scrubber {
        &self.scrubber
    }

    /// A scrubbed copy of a remote operation's error, explained if it is a refused certificate
    /// or a redirect not followed because of a bearer token.
    pub(crate) fn error(&self, error: &git2::Error) -> LibgitError {
        let error = self.trust.explain(self.scrubber.error(error));
        let refused_redirect = error.class == ErrorClass::Net && error.message.starts_with("cannot redirect");
        match (&self.credentials, &self.origin) {
            (Some(Credentials::Bearer(_)), Some(origin)) if refused_redirect => LibgitError {
                message: format!(
                    "{}: the remote redirected to another host, and the repository's credentials are \
                     only sent to {origin}; set spec.git.repo to the new location if it is trusted",
                    error.message
                ),
                ..error
            },
            _ => error,
        }
    }

    /// Which redirects a fetch or push follows: none to another host when a bearer token is
    /// sent (see the module docs), else those of the first request.
    pub(crate) fn redirects(&self) -> RemoteRedirect {
        match self.credentials {
            Some(Credentials::Bearer(_)) => RemoteRedirect::None,
            _ => RemoteRedirect::Initial,
        }
    }

    /// Extra HTTP headers: `Authorization: Bearer …` for bearer tokens.
    pub(crate) fn headers(&self) -> Vec<String> {
        match &self.credentials {
            Some(Credentials::Bearer(token)) => {
                // A header value may not contain line breaks; libgit2 rejects such headers anyway.
                let token: String = token.chars().filter(|c| !matches!(c, '\r' | '\n' | '\0')).collect();
                vec![format!("Authorization: Bearer {token}")]
            }
            _ => Vec::new(),
        }
    }

    /// Remote callbacks checking server certificates ([`Trust::install`]) and answering
    /// credential requests with basic credentials, at most once per operation (libgit2 asks
    /// again after a rejection; a second answer would loop), and only from a server on the
    /// repository's origin.
    pub(crate) fn callbacks<'a>(&self) -> RemoteCallbacks<'a> {
        let mut callbacks = RemoteCallbacks::new();
        self.trust.install(&mut callbacks);
        if let Some(Credentials::Basic { username, password }) = self.credentials.clone() {
            let mut asked = false;
            let origin = self.origin.clone();
            callbacks.credentials(move |url, _user, allowed| {
                match &origin {
                    Some(origin) if origin.contains(url) => {}
                    Some(origin) => {
                        return Err(git2::Error::from_str(&format!(
                            "the remote redirected to {}, and the repository's credentials are only sent \
                             to {origin}; set spec.git.repo to the new location if it is trusted",
                            redact_userinfo(url)
                        )));
                    }
                    None => return Err(git2::Error::from_str("authentication failed")),
                }
                if asked || !allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
                    return Err(git2::Error::from_str("authentication failed"));
                }
                asked = true;
                Cred::userpass_plaintext(&username, &password)
            });
        }
        callbacks
    }
}

/// The `user[:password]` part of a URL, if any.
fn url_userinfo(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    authority.rfind('@').map(|at| &authority[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let basic = Credentials::Basic { username: "alice".into(), password: "hunter22".into() };
        let bearer = Credentials::Bearer("tok-123".into());
        let text = format!("{basic:?} {bearer:?} {:?}", Auth::new(Some(basic.clone()), "http://h/r"));
        assert!(!text.contains("hunter22") && !text.contains("tok-123") && !text.contains("alice"));
    }

    #[test]
    fn bearer_becomes_a_header() {
        let auth = Auth::new(Some(Credentials::Bearer("abc\r\ndef".into())), "http://h/r");
        assert_eq!(auth.headers(), vec!["Authorization: Bearer abcdef".to_string()]);
        assert!(Auth::new(None, "http://h/r").headers().is_empty());
    }

    #[test]
    fn url_userinfo_is_a_secret() {
        let auth = Auth::new(None, "http://bob:pw1234@host/r.git");
        assert_eq!(auth.scrubber().text("x pw1234 y"), "x *** y");
        assert_eq!(url_userinfo("http://host/r"), None);
    }
}
