//! Label key and value syntax checks of selectors, with kube-apiserver's messages: the
//! qualified-name and label-value rules of [`object_meta::names`](crate::object_meta::names), every
//! problem joined with `"; "` as `labels.validateLabelKey` does.

use crate::object_meta::names;

fn joined(errs: Vec<String>) -> Result<(), String> {
    if errs.is_empty() { Ok(()) } else { Err(errs.join("; ")) }
}

/// Checks a label key (`[prefix/]name`); returns the reason when invalid.
pub(super) fn label_key(key: &str) -> Result<(), String> {
    joined(names::qualified_name(key))
}

/// Checks a label value (may be empty); returns the reason when invalid.
pub(super) fn label_value(value: &str) -> Result<(), String> {
    joined(names::label_value(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_and_without_prefix_are_checked() {
        assert!(label_key("app").is_ok());
        assert!(label_key("kpt.dev/latest-revision").is_ok());
        assert!(label_key("a_b.c-d").is_ok());
        assert!(label_key("-a").unwrap_err().contains("name part must consist"));
        assert!(label_key("Bad.Prefix/a").unwrap_err().contains("prefix part"));
        assert!(label_key("/a").unwrap_err().contains("prefix part must be non-empty"));
        assert!(label_key("p/").unwrap_err().contains("non-empty"));
        assert!(label_key(&"a".repeat(64)).unwrap_err().contains("63"));
    }

    #[test]
    fn values_may_be_empty_but_not_malformed() {
        assert!(label_value("").is_ok());
        assert!(label_value("v1.2_x").is_ok());
        assert!(label_value("a b").unwrap_err().contains("a valid label"));
        assert!(label_value(&"a".repeat(64)).unwrap_err().contains("63"));
    }
}
