//! DNS-1123 name checks with kube-apiserver's messages.

/// The detail kube-apiserver gives for a malformed DNS-1123 label.
pub(crate) const LABEL_FMT: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric \
    characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', \
    regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// The detail kube-apiserver gives for a malformed DNS-1123 subdomain.
pub(crate) const SUBDOMAIN_FMT: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric \
    characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex \
    used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, ignoring length.
pub(crate) fn is_label_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// The problems of `s` as a DNS-1123 label (at most 63 characters).
pub(crate) fn dns1123_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !is_label_syntax(s) {
        errs.push(LABEL_FMT.to_string());
    }
    errs
}

/// The problems of `s` as a DNS-1123 subdomain (at most 253 characters).
pub(crate) fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    if !s.split('.').all(is_label_syntax) {
        errs.push(SUBDOMAIN_FMT.to_string());
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_subdomains() {
        assert!(dns1123_label("my-name").is_empty());
        assert!(dns1123_label("123-abc").is_empty());
        assert_eq!(dns1123_label("a.b"), [LABEL_FMT]);
        assert_eq!(dns1123_label("-a").len(), 1);
        assert_eq!(dns1123_label(&"a".repeat(64)), ["must be no more than 63 characters"]);
        assert!(dns1123_subdomain("a.b-c.d").is_empty());
        assert_eq!(dns1123_subdomain("A"), [SUBDOMAIN_FMT]);
        assert_eq!(dns1123_subdomain("a..b"), [SUBDOMAIN_FMT]);
        assert_eq!(dns1123_subdomain(""), [SUBDOMAIN_FMT]);
    }
}
