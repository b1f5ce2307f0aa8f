//! Name syntax with kube-apiserver's messages (apimachinery `util/validation`, `api/validation`
//! and `api/validation/path`): qualified names (label keys, annotation keys, finalizers), label
//! values, DNS-1123 labels and subdomains, and the name rules of object kinds.
//!
//! This is the server's one DNS-1123 implementation: object metadata, the stored kinds' names
//! (a custom resource's and a Secret's name is a subdomain, a Namespace's a label, see
//! [`Strategy::name_rule`](crate::Strategy::name_rule)) and Porch's own name rules
//! (`porch_api::names`) all use it.

/// The longest label value, qualified-name part and DNS-1123 label.
const LABEL_MAX: usize = 63;
/// The longest DNS-1123 subdomain.
const SUBDOMAIN_MAX: usize = 253;

const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' \
    or '.', and must start and end with an alphanumeric character";
/// The message of a value that is not a DNS-1123 label, with apimachinery's examples and regex
/// (`RegexError(dns1123LabelErrMsg, dns1123LabelFmt, "my-name", "123-abc")`).
pub const DNS1123_LABEL_ERROR_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric \
    characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', \
    regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
/// The message of a value that is not a DNS-1123 subdomain, with apimachinery's example and
/// regex.
pub const DNS1123_SUBDOMAIN_ERROR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case \
    alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. \
    'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
/// The message of a DNS-1123 label that would be a valid subdomain but for its dots.
pub const NO_DOTS_MSG: &str = "must not contain dots";

/// The rule an object kind's names follow: given a name (or, with `prefix`, a `generateName`
/// prefix), the reasons it is invalid (apiserver's `ValidateNameFunc`).
pub type NameRule = fn(name: &str, prefix: bool) -> Vec<String>;

/// `must be no more than <n> characters`.
pub fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// `<msg> (e.g. 'a',  or 'b', regex used for validation is '<fmt>')`, as apimachinery's
/// `RegexError` words it.
pub fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let mut out = format!("{msg} (e.g. ");
    for (i, example) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{example}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
fn is_qualified_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, ignoring length.
pub fn is_dns1123_label_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn is_dns1123_subdomain_syntax(s: &str) -> bool {
    s.split('.').all(is_dns1123_label_syntax)
}

/// Whether `value` is a DNS-1123 label (syntax and length; `IsDNS1123Label` finds nothing).
pub fn is_dns1123_label(value: &str) -> bool {
    value.len() <= LABEL_MAX && is_dns1123_label_syntax(value)
}

/// Whether `value` is a DNS-1123 subdomain (syntax and length; `IsDNS1123Subdomain` finds
/// nothing).
pub fn is_dns1123_subdomain(value: &str) -> bool {
    value.len() <= SUBDOMAIN_MAX && is_dns1123_subdomain_syntax(value)
}

/// The problems of `value` as a qualified name (`[prefix/]name`): label keys, annotation
/// keys and finalizers (`IsQualifiedName`).
pub fn qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(dns1123_subdomain(prefix).into_iter().map(|m| format!("prefix part {m}")));
            }
            *name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            )];
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > LABEL_MAX {
        errs.push(format!("name part {}", max_len_error(LABEL_MAX)));
    }
    if !is_qualified_part(name) {
        errs.push(format!(
            "name part {}",
            regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
        ));
    }
    errs
}

/// The problems of `value` as a label value (may be empty; `IsValidLabelValue`).
pub fn label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_MAX {
        errs.push(max_len_error(LABEL_MAX));
    }
    if !value.is_empty() && !is_qualified_part(value) {
        errs.push(regex_error(LABEL_VALUE_MSG, LABEL_VALUE_FMT, &["MyValue", "my_value", "12345"]));
    }
    errs
}

/// The problems of `value` as a DNS-1123 label (`IsDNS1123Label`).
pub fn dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_MAX {
        errs.push(max_len_error(LABEL_MAX));
    }
    if !is_dns1123_label_syntax(value) {
        if is_dns1123_subdomain_syntax(value) {
            errs.push(NO_DOTS_MSG.to_string());
        } else {
            errs.push(DNS1123_LABEL_ERROR_MSG.to_string());
        }
    }
    errs
}

/// The problems of `value` as a DNS-1123 subdomain (`IsDNS1123Subdomain`).
pub fn dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > SUBDOMAIN_MAX {
        errs.push(max_len_error(SUBDOMAIN_MAX));
    }
    if !is_dns1123_subdomain_syntax(value) {
        errs.push(DNS1123_SUBDOMAIN_ERROR_MSG.to_string());
    }
    errs
}

/// A `generateName` prefix may end in `-`: apiserver's `maskTrailingDash` makes it checkable.
fn mask_trailing_dash(name: &str) -> String {
    if name.len() > 1 && name.ends_with('-') {
        format!("{}a", &name[..name.len() - 2])
    } else {
        name.to_string()
    }
}

/// [`NameRule`] of kinds named by DNS-1123 subdomains (most namespaced kinds;
/// `NameIsDNSSubdomain`).
pub fn dns1123_subdomain_name(name: &str, prefix: bool) -> Vec<String> {
    if prefix { dns1123_subdomain(&mask_trailing_dash(name)) } else { dns1123_subdomain(name) }
}

/// [`NameRule`] of kinds named by DNS-1123 labels (Namespaces; `NameIsDNSLabel`).
pub fn dns1123_label_name(name: &str, prefix: bool) -> Vec<String> {
    if prefix { dns1123_label(&mask_trailing_dash(name)) } else { dns1123_label(name) }
}

/// [`NameRule`] the generic apiserver applies to every kind: a name must be usable as a URL
/// path segment (`ValidatePathSegmentName`).
pub fn path_segment_name(name: &str, prefix: bool) -> Vec<String> {
    if !prefix && (name == "." || name == "..") {
        return vec![format!("may not be '{name}'")];
    }
    ["/", "%"].iter().filter(|c| name.contains(**c)).map(|c| format!("may not contain '{c}'")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_check_prefix_and_name_parts() {
        for ok in ["app", "kpt.dev/latest-revision", "a_b.c-D", "example.com/MyName"] {
            assert!(qualified_name(ok).is_empty(), "{ok}");
        }
        assert_eq!(
            qualified_name("bad key!"),
            [
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an \
              alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is \
              '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
            ]
        );
        assert_eq!(qualified_name(&"a".repeat(64)), ["name part must be no more than 63 characters"]);
        assert_eq!(qualified_name("/a"), ["prefix part must be non-empty"]);
        assert!(qualified_name("Bad.Prefix/a")[0].starts_with("prefix part a lowercase RFC 1123 subdomain"));
        assert_eq!(qualified_name("p/").len(), 2, "empty name: non-empty and syntax");
        assert!(qualified_name("a/b/c")[0].starts_with("a qualified name must consist of"));
        assert!(
            qualified_name("a/b/c")[0]
                .ends_with("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")
        );
    }

    #[test]
    fn label_values_may_be_empty_but_not_long_or_malformed() {
        assert!(label_value("").is_empty());
        assert!(label_value("v1.2_x").is_empty());
        assert_eq!(label_value(&"a".repeat(64)), ["must be no more than 63 characters"]);
        assert!(label_value("a b")[0].starts_with("a valid label must be an empty string"));
        assert_eq!(label_value(&format!("-{}", "a".repeat(63))).len(), 2);
    }

    #[test]
    fn dns_labels_and_subdomains() {
        assert!(dns1123_label("my-name").is_empty());
        assert_eq!(dns1123_label("a.b"), ["must not contain dots"]);
        assert_eq!(
            dns1123_label("-a"),
            [
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must \
              start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for \
              validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            ]
        );
        assert!(dns1123_subdomain("a.b-c.d").is_empty());
        assert_eq!(
            dns1123_subdomain("A"),
            [
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and \
              must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is \
              '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ]
        );
        assert_eq!(dns1123_subdomain(&"a".repeat(254)), ["must be no more than 253 characters"]);
        assert_eq!(dns1123_subdomain("a..b"), [DNS1123_SUBDOMAIN_ERROR_MSG]);
        for v in ["", "-a", "a-", "A", "a_b", "ü", "a..b"] {
            assert_eq!(dns1123_label(v), [DNS1123_LABEL_ERROR_MSG], "{v}");
        }
        assert_eq!(dns1123_label(&"-".repeat(64)).len(), 2);
    }

    #[test]
    fn the_dns_messages_are_apimachinery_regex_errors() {
        let label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and \
                     must start and end with an alphanumeric character";
        let fmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
        assert_eq!(regex_error(label, fmt, &["my-name", "123-abc"]), DNS1123_LABEL_ERROR_MSG);
        let subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' \
                         or '.', and must start and end with an alphanumeric character";
        let fmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
        assert_eq!(regex_error(subdomain, fmt, &["example.com"]), DNS1123_SUBDOMAIN_ERROR_MSG);
    }

    #[test]
    fn validity_agrees_with_the_problem_lists() {
        for v in ["a", "a.b", "a..b", "-", "", &"a".repeat(63), &"a".repeat(64), &"a.".repeat(127)] {
            assert_eq!(is_dns1123_label(v), dns1123_label(v).is_empty(), "{v}");
            assert_eq!(is_dns1123_subdomain(v), dns1123_subdomain(v).is_empty(), "{v}");
        }
    }

    #[test]
    fn name_rules_accept_generate_name_prefixes() {
        assert!(dns1123_subdomain_name("repo-", true).is_empty());
        assert_eq!(dns1123_subdomain_name("repo-", false).len(), 1);
        assert!(dns1123_label_name("ns-", true).is_empty());
        assert_eq!(path_segment_name("..", false), ["may not be '..'"]);
        assert_eq!(path_segment_name("a/b%", false), ["may not contain '/'", "may not contain '%'"]);
        assert!(path_segment_name("..", true).is_empty());
        assert!(path_segment_name("r1.app.ws1", false).is_empty());
    }
}
