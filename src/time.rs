//! Timestamps as Kubernetes writes them.

/// Now, as RFC 3339 with second precision in UTC (`2026-11-25T10:00:00Z`), the form of
/// `metav1.Time`.
pub(crate) fn now_rfc3339() -> String {
    k8s_openapi::jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
