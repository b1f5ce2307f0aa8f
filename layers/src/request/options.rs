//! Options of the collection and delete verbs, parsed by the server and passed to storage.

use crate::selector::{FieldSelector, LabelSelector};

/// Selectors, paging and resource version of `list`, `watch` and `deletecollection`.
///
/// Storage matches field selectors through
/// [`Strategy::matches_fields`](crate::Strategy::matches_fields), so unknown fields get the
/// strategy's 400.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ListOptions {
    /// `labelSelector`, parsed.
    pub label_selector: Option<LabelSelector>,
    /// `fieldSelector`, parsed.
    pub field_selector: Option<FieldSelector>,
    /// `limit`: the page size, `None` for everything.
    pub limit: Option<u64>,
    /// `continue`: the token of the previous page.
    pub continue_token: Option<String>,
    /// `resourceVersion`.
    pub resource_version: Option<String>,
    /// `resourceVersionMatch`.
    pub resource_version_match: Option<String>,
    /// The state a `list` is served from: `resourceVersion` and `resourceVersionMatch` as the
    /// server checked them. A `get` carries its `resourceVersion` here too.
    pub read_at: super::ReadAt,
    /// `sendInitialEvents` (watch).
    pub send_initial_events: bool,
    /// `allowWatchBookmarks` (watch).
    pub allow_watch_bookmarks: bool,
    /// `timeoutSeconds` (watch).
    pub timeout_seconds: Option<u64>,
}

/// `DeleteOptions` of `delete` and `deletecollection` (dry-run is in the context).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeleteOptions {
    /// `preconditions.uid`.
    pub precondition_uid: Option<String>,
    /// `preconditions.resourceVersion`.
    pub precondition_resource_version: Option<String>,
    /// `propagationPolicy`: `Orphan`, `Background` or `Foreground`.
    pub propagation_policy: Option<String>,
    /// `gracePeriodSeconds`.
    pub grace_period_seconds: Option<i64>,
}

/// kube-apiserver's rule for watch-list requests: `sendInitialEvents=true` needs
/// `resourceVersionMatch=NotOlderThan`.
///
/// # Errors
/// 422 `Invalid` on `resourceVersionMatch` otherwise.
pub fn check_send_initial_events(
    send_initial_events: bool,
    resource_version_match: Option<&str>,
) -> Result<(), crate::ApiError> {
    if send_initial_events && resource_version_match != Some("NotOlderThan") {
        return Err(crate::ApiError::invalid(
            "meta.k8s.io",
            "ListOptions",
            "",
            &[crate::FieldCause::new(
                "resourceVersionMatch",
                crate::CauseReason::FieldValueForbidden,
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            )],
        ));
    }
    Ok(())
}
