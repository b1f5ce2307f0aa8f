//! The front-proxy headers (`X-Remote-User`, `X-Remote-Group`, `X-Remote-Extra-*`), read as
//! kube's `headerrequest` authenticator reads them. They are trusted only after the request's
//! client certificate was verified against the request-header CA ([`super::authenticate`]).

use super::identity::Identity;
use http::HeaderMap;
use http::header::HeaderName;

/// The header names of the ConfigMap's `requestheader-*` keys, and the CNs allowed to send them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RequestHeaderNames {
    /// `requestheader-username-headers`: the first non-empty one names the user.
    pub(crate) username: Vec<String>,
    /// `requestheader-uid-headers`: the first non-empty one is the user's uid.
    pub(crate) uid: Vec<String>,
    /// `requestheader-group-headers`: every value of each is a group.
    pub(crate) group: Vec<String>,
    /// `requestheader-extra-headers-prefix`: `<prefix><key>` headers carry extra values.
    pub(crate) extra_prefixes: Vec<String>,
    /// `requestheader-allowed-names`: the CNs a front-proxy certificate may have; empty allows any.
    pub(crate) allowed_names: Vec<String>,
}

impl RequestHeaderNames {
    /// The names kube-apiserver uses by default (`X-Remote-User`, `X-Remote-Uid`,
    /// `X-Remote-Group`, `X-Remote-Extra-`), no CN restriction.
    pub(crate) fn kube_defaults() -> Self {
        Self {
            username: vec!["X-Remote-User".into()],
            uid: vec!["X-Remote-Uid".into()],
            group: vec!["X-Remote-Group".into()],
            extra_prefixes: vec!["X-Remote-Extra-".into()],
            allowed_names: Vec::new(),
        }
    }
}

/// The user the front proxy named in `headers`, or `None` when no username header has a value
/// (kube then tries the next authenticator).
///
/// Username and uid: the first named header with a non-empty value (its first value). Groups:
/// every non-empty value of every group header, each value one group (never split on commas).
/// Extra: for each header starting with a prefix (case-insensitively), the rest of its name
/// lowercased and percent-decoded is the key (kept as sent when its escapes are malformed), and
/// all its values are the values. Values that are not UTF-8 are read lossily.
pub(crate) fn identity_from_headers(headers: &HeaderMap, names: &RequestHeaderNames) -> Option<Identity> {
    let username = first_value(headers, &names.username)?;
    let uid = first_value(headers, &names.uid).unwrap_or_default();
    let groups = names
        .group
        .iter()
        .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
        .flat_map(|name| headers.get_all(name).iter().map(text).collect::<Vec<_>>())
        .filter(|group| !group.is_empty())
        .collect();
    let mut id = Identity { username, uid, groups, ..Identity::default() };
    for prefix in &names.extra_prefixes {
        let prefix = prefix.to_ascii_lowercase();
        for name in headers.keys() {
            // `HeaderName`s are lowercase already.
            let Some(rest) = name.as_str().strip_prefix(prefix.as_str()) else { continue };
            let values = id.extra.entry(unescape_extra_key(rest)).or_default();
            values.extend(headers.get_all(name).iter().map(text));
        }
    }
    Some(id)
}

/// Removes every header [`identity_from_headers`] reads, so that nothing after authentication
/// can mistake a client's header for the proxy's.
pub(crate) fn remove_identity_headers(headers: &mut HeaderMap, names: &RequestHeaderNames) {
    for name in names.username.iter().chain(&names.uid).chain(&names.group) {
        if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
            headers.remove(name);
        }
    }
    for prefix in &names.extra_prefixes {
        let prefix = prefix.to_ascii_lowercase();
        let doomed: Vec<HeaderName> =
            headers.keys().filter(|name| name.as_str().starts_with(prefix.as_str())).cloned().collect();
        for name in doomed {
            headers.remove(name);
        }
    }
}

/// The first non-empty value among the headers `names` (each header's first value only, as
/// Go's `Header.Get`).
fn first_value(headers: &HeaderMap, names: &[String]) -> Option<String> {
    names
        .iter()
        .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
        .filter_map(|name| headers.get(name).map(text))
        .find(|value| !value.is_empty())
}

fn text(value: &http::HeaderValue) -> String {
    String::from_utf8_lossy(value.as_bytes()).into_owned()
}

/// An extra key as sent (already lowercase) with its `%XX` escapes decoded, or unchanged when
/// an escape is malformed (as Go's `url.PathUnescape` failing).
fn unescape_extra_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return key.to_string();
    }
    percent_encoding::percent_decode_str(key).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn names() -> RequestHeaderNames {
        RequestHeaderNames::kube_defaults()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn user_uid_groups_and_extras_are_read() {
        let h = headers(&[
            ("x-remote-user", "alice"),
            ("x-remote-uid", "u-1"),
            ("x-remote-group", "dev"),
            ("x-remote-group", "a,b"),
            ("x-remote-group", ""),
            ("X-Remote-Extra-Scopes", "read"),
            ("x-remote-extra-scopes", "write"),
            ("x-remote-extra-example.org%2fkey", "v"),
            ("x-remote-extra-bad%zz", "w"),
            ("x-remote-extra-empty", ""),
        ]);
        let id = identity_from_headers(&h, &names()).unwrap();
        assert_eq!(id.username, "alice");
        assert_eq!(id.uid, "u-1");
        assert_eq!(id.groups, ["dev", "a,b"]);
        assert_eq!(id.extra["scopes"], ["read", "write"]);
        assert_eq!(id.extra["example.org/key"], ["v"]);
        assert_eq!(id.extra["bad%zz"], ["w"]);
        assert_eq!(id.extra["empty"], [""]);
    }

    #[test]
    fn the_first_non_empty_username_header_wins() {
        let mut n = names();
        n.username = vec!["X-First".into(), "X-Second".into(), "X-Third".into()];
        let h = headers(&[("x-first", ""), ("x-second", "bob"), ("x-second", "carol"), ("x-third", "dave")]);
        assert_eq!(identity_from_headers(&h, &n).unwrap().username, "bob");
    }

    #[test]
    fn without_a_username_there_is_no_user() {
        let h = headers(&[("x-remote-group", "system:masters"), ("x-remote-user", "")]);
        assert_eq!(identity_from_headers(&h, &names()), None);
        assert_eq!(identity_from_headers(&h, &RequestHeaderNames::default()), None);
    }

    #[test]
    fn identity_headers_are_removed() {
        let mut h = headers(&[
            ("x-remote-user", "alice"),
            ("x-remote-group", "g"),
            ("x-remote-extra-a", "1"),
            ("x-remote-extra-b", "2"),
            ("accept", "application/json"),
        ]);
        remove_identity_headers(&mut h, &names());
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("accept"));
    }

    #[test]
    fn extra_keys_decode_percent_escapes() {
        assert_eq!(unescape_extra_key("a%2fb%41"), "a/bA");
        assert_eq!(unescape_extra_key("plain"), "plain");
        assert_eq!(unescape_extra_key("trailing%4"), "trailing%4");
    }
}
