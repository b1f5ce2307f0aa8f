//! The origin of an `http://` or `https://` remote: scheme, host and port. A Repository's
//! credentials go only to the origin of its `spec.git.repo` — the rule curl applies to
//! `Authorization` on redirects, and what git's per-URL credential lookup amounts to after a
//! redirect: a server that sends the client elsewhere does not get to hand the secret on.

use std::fmt;

/// Scheme, host and port of an HTTP(S) URL, compared case-insensitively with the default port
/// filled in (`http://Git.Example` is `http://git.example:80`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of `url`, if it is an `http://` or `https://` URL with a host.
    pub(crate) fn of(url: &str) -> Option<Self> {
        let uri: http::Uri = url.parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let host = uri.host().filter(|h| !h.is_empty())?.to_ascii_lowercase();
        Some(Self { port: uri.port_u16().unwrap_or(default_port), scheme, host })
    }

    /// Whether `url` is on this origin (`false` when it has none).
    pub(crate) fn contains(&self, url: &str) -> bool {
        Self::of(url).as_ref() == Some(self)
    }
}

impl fmt::Display for Origin {
    /// `scheme://host`, with `:port` unless it is the scheme's default.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default = matches!((self.scheme.as_str(), self.port), ("http", 80) | ("https", 443));
        if default {
            write!(f, "{}://{}", self.scheme, self.host)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_host_and_port_make_the_origin() {
        let origin = Origin::of("http://127.0.0.1:8080/r.git").unwrap();
        assert_eq!(origin.to_string(), "http://127.0.0.1:8080");
        assert!(origin.contains("http://127.0.0.1:8080/other/path.git"));
        assert!(origin.contains("HTTP://user:pw@127.0.0.1:8080/r.git"));
        assert!(!origin.contains("http://127.0.0.1:8081/r.git"), "another port");
        assert!(!origin.contains("https://127.0.0.1:8080/r.git"), "another scheme");
        assert!(!origin.contains("http://localhost:8080/r.git"), "another host");
        assert!(!origin.contains("not a url"));
    }

    #[test]
    fn default_ports_and_case_are_normalised() {
        let origin = Origin::of("https://Git.Example.com/r.git").unwrap();
        assert_eq!(origin.to_string(), "https://git.example.com");
        assert!(origin.contains("https://git.example.com:443/x"));
        assert!(!origin.contains("http://git.example.com/x"));
        let v6 = Origin::of("http://[::1]:3000/r.git").unwrap();
        assert!(v6.contains("http://[::1]:3000/s.git") && !v6.contains("http://[::2]:3000/s.git"));
    }

    #[test]
    fn other_schemes_have_no_origin() {
        assert_eq!(Origin::of("git://127.0.0.1/r.git"), None);
        assert_eq!(Origin::of("file:///tmp/r.git"), None);
        assert_eq!(Origin::of("/tmp/r.git"), None);
    }
}
