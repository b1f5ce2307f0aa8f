//! The query parameters the API understands (`metav1.ListOptions`, `CreateOptions`, ...).

use porch_layers::ApiError;

/// Server-side field validation (`fieldValidation`): what to do with unknown or duplicate fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum FieldValidation {
    /// Drop unknown fields silently.
    Ignore,
    /// Drop unknown fields and answer with a `Warning` header (the default, as kube-apiserver).
    #[default]
    Warn,
    /// Reject the request with a 4xx naming the unknown fields (kubectl's default).
    Strict,
}

/// Parsed query parameters. Empty pairs (`?&limit=500`) are skipped; unknown ones are ignored.
#[derive(Clone, Debug, Default)]
pub(crate) struct Query {
    pub(crate) label_selector: Option<String>,
    pub(crate) field_selector: Option<String>,
    pub(crate) watch: bool,
    pub(crate) resource_version: Option<String>,
    pub(crate) resource_version_match: Option<String>,
    pub(crate) limit: Option<usize>,
    pub(crate) continue_token: Option<String>,
    pub(crate) timeout_seconds: Option<u64>,
    pub(crate) allow_watch_bookmarks: bool,
    pub(crate) send_initial_events: Option<bool>,
    pub(crate) dry_run: bool,
    pub(crate) field_manager: Option<String>,
    pub(crate) field_validation: FieldValidation,
    pub(crate) force: bool,
    /// `includeObject` of a Table request: `None`, `Metadata` (default) or `Object`.
    pub(crate) include_object: Option<String>,
}

/// Go's `strconv.ParseBool`.
fn parse_bool(key: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" | "" => Ok(false),
        other => {
            Err(ApiError::bad_request(format!("invalid boolean value {other:?} for query parameter {key}")))
        }
    }
}

fn parse_number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::bad_request(format!("invalid value {value:?} for query parameter {key}")))
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

impl Query {
    /// Parses a raw query string.
    pub(crate) fn parse(raw: &str) -> Result<Self, ApiError> {
        let mut q = Self::default();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            let value = value.into_owned();
            match key.as_ref() {
                "labelSelector" => q.label_selector = non_empty(value),
                "fieldSelector" => q.field_selector = non_empty(value),
                "watch" => q.watch = parse_bool("watch", &value)?,
                "resourceVersion" => q.resource_version = non_empty(value),
                "resourceVersionMatch" => q.resource_version_match = non_empty(value),
                "limit" => q.limit = Some(parse_number::<usize>("limit", &value)?).filter(|l| *l > 0),
                "continue" => q.continue_token = non_empty(value),
                "timeoutSeconds" => q.timeout_seconds = Some(parse_number("timeoutSeconds", &value)?),
                "allowWatchBookmarks" => q.allow_watch_bookmarks = parse_bool("allowWatchBookmarks", &value)?,
                "sendInitialEvents" => q.send_initial_events = Some(parse_bool("sendInitialEvents", &value)?),
                "dryRun" => match value.as_str() {
                    "All" => q.dry_run = true,
                    "" => {}
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "unsupported dryRun value {other:?}, supported values: \"All\""
                        )));
                    }
                },
                "fieldManager" => q.field_manager = non_empty(value),
                "fieldValidation" => {
                    q.field_validation = match value.as_str() {
                        "Ignore" => FieldValidation::Ignore,
                        "Warn" | "" => FieldValidation::Warn,
                        "Strict" => FieldValidation::Strict,
                        other => {
                            return Err(ApiError::bad_request(format!(
                                "fieldValidation must be one of Ignore, Warn, Strict, got {other:?}"
                            )));
                        }
                    }
                }
                "force" => q.force = parse_bool("force", &value)?,
                "includeObject" => q.include_object = non_empty(value),
                _ => {}
            }
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_and_write_option_is_read() {
        let q = Query::parse(
            "labelSelector=a%3Db&fieldSelector=metadata.name%3Dx&watch=true&resourceVersion=7&\
             resourceVersionMatch=NotOlderThan&limit=5&continue=tok&timeoutSeconds=290&\
             allowWatchBookmarks=true&sendInitialEvents=true&dryRun=All&fieldManager=kubectl&\
             fieldValidation=Strict&force=true",
        )
        .unwrap();
        assert_eq!(q.label_selector.as_deref(), Some("a=b"));
        assert_eq!(q.field_selector.as_deref(), Some("metadata.name=x"));
        assert!(q.watch && q.allow_watch_bookmarks && q.dry_run && q.force);
        assert_eq!(q.resource_version.as_deref(), Some("7"));
        assert_eq!(q.resource_version_match.as_deref(), Some("NotOlderThan"));
        assert_eq!((q.limit, q.timeout_seconds), (Some(5), Some(290)));
        assert_eq!(q.continue_token.as_deref(), Some("tok"));
        assert_eq!(q.send_initial_events, Some(true));
        assert_eq!(q.field_manager.as_deref(), Some("kubectl"));
        assert_eq!(q.field_validation, FieldValidation::Strict);
    }

    #[test]
    fn empty_pairs_are_skipped() {
        let q = Query::parse("&&limit=500&").unwrap();
        assert_eq!(q.limit, Some(500));
    }

    #[test]
    fn zero_limit_means_no_limit() {
        assert_eq!(Query::parse("limit=0").unwrap().limit, None);
    }

    #[test]
    fn unknown_field_validation_is_rejected() {
        assert_eq!(Query::parse("fieldValidation=Loose").unwrap_err().code(), 400);
        assert_eq!(Query::parse("dryRun=Some").unwrap_err().code(), 400);
    }
}
