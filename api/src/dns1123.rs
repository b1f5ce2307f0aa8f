//! DNS-1123 name validation with the exact messages of Kubernetes
//! (`k8s.io/apimachinery/pkg/util/validation`).
//!
//! Each `*_errors` function returns the list of problems, empty when the value is valid, so
//! callers can join them the way the Go code does (Porch joins with `","`, field errors with `"; "`).

/// Maximum length of a DNS-1123 label (and of most Kubernetes object name parts).
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;

/// Maximum length of a DNS-1123 subdomain (the limit for most Kubernetes object names).
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;

/// The regular expression a DNS-1123 label must match, as quoted in the error message.
pub const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

/// The regular expression a DNS-1123 subdomain must match, as quoted in the error message.
pub const DNS1123_SUBDOMAIN_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

/// Message for a value that is not a DNS-1123 label, including examples and the regex.
pub const DNS1123_LABEL_ERROR_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// Message for a value that is not a DNS-1123 subdomain, including the example and the regex.
pub const DNS1123_SUBDOMAIN_ERROR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/// Message for a label that is a valid subdomain except for its dots.
pub const NO_DOTS_MSG: &str = "must not contain dots";

/// The Kubernetes "too long" message: `must be no more than <max> characters`.
pub fn max_len_error(max: usize) -> String {
    format!("must be no more than {max} characters")
}

/// Problems with `value` as a DNS-1123 label (`IsDNS1123Label`); empty when valid.
///
/// ```
/// use porch_api::dns1123::dns1123_label_errors;
/// assert!(dns1123_label_errors("my-name").is_empty());
/// assert_eq!(dns1123_label_errors("a.b"), vec!["must not contain dots".to_string()]);
/// ```
pub fn dns1123_label_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    if !matches_label(value) {
        if matches_subdomain(value) {
            errs.push(NO_DOTS_MSG.to_string());
        } else {
            errs.push(DNS1123_LABEL_ERROR_MSG.to_string());
        }
    }
    errs
}

/// Problems with `value` as a DNS-1123 subdomain (`IsDNS1123Subdomain`); empty when valid.
pub fn dns1123_subdomain_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !matches_subdomain(value) {
        errs.push(DNS1123_SUBDOMAIN_ERROR_MSG.to_string());
    }
    errs
}

/// Whether `value` is a valid DNS-1123 label (pattern and length).
pub fn is_dns1123_label(value: &str) -> bool {
    value.len() <= DNS1123_LABEL_MAX_LENGTH && matches_label(value)
}

/// Whether `value` is a valid DNS-1123 subdomain (pattern and length).
pub fn is_dns1123_subdomain(value: &str) -> bool {
    value.len() <= DNS1123_SUBDOMAIN_MAX_LENGTH && matches_subdomain(value)
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$` without a length limit.
fn matches_label(value: &str) -> bool {
    let bytes = value.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
        }
        _ => false,
    }
}

/// `^label(\.label)*$` without a length limit.
fn matches_subdomain(value: &str) -> bool {
    value.split('.').all(matches_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_labels_have_no_errors() {
        for v in ["a", "0", "my-name", "123-abc", "a-b-c", &"a".repeat(63)] {
            assert!(dns1123_label_errors(v).is_empty(), "{v}");
            assert!(is_dns1123_label(v));
        }
    }

    #[test]
    fn invalid_labels_report_the_kubernetes_regex_message() {
        for v in ["", "-a", "a-", "A", "a_b", "ü", "a..b"] {
            assert_eq!(dns1123_label_errors(v), vec![DNS1123_LABEL_ERROR_MSG.to_string()], "{v}");
        }
    }

    #[test]
    fn a_label_with_dots_reports_must_not_contain_dots() {
        assert_eq!(dns1123_label_errors("a.b"), vec![NO_DOTS_MSG.to_string()]);
    }

    #[test]
    fn a_too_long_label_reports_the_length() {
        assert_eq!(
            dns1123_label_errors(&"a".repeat(64)),
            vec!["must be no more than 63 characters".to_string()]
        );
        assert_eq!(dns1123_label_errors(&"-".repeat(64)).len(), 2);
    }

    #[test]
    fn subdomains_allow_dots_between_labels() {
        assert!(dns1123_subdomain_errors("test-blueprints.basens.v1").is_empty());
        assert!(is_dns1123_subdomain("a.b.c"));
        assert_eq!(dns1123_subdomain_errors("a..b"), vec![DNS1123_SUBDOMAIN_ERROR_MSG.to_string()]);
        assert_eq!(dns1123_subdomain_errors(&"a".repeat(254))[0], max_len_error(253));
    }
}
