//! The promise every fuzz input is held to: bad input gets a 4xx `Status`, never a 5xx.

/// Texts of the 503s that report a git remote the server cannot use (the remote of a Repository
/// or of a clone's upstream is gone, unreachable or not a git repository): those answers are
/// about the world outside the request, and clients are meant to retry them.
const REMOTE_UNAVAILABLE: &[&str] = &[
    "failed to open repository",
    "failed to fetch from",
    "only git repositories are supported",
    "has no spec.git.repo",
    "failed to read the credentials of repository",
];

/// Whether a response with `status` and (for errors) Status `message` keeps the promise.
///
/// Below 500 always does. Of the 5xx, only two are answers kube-apiserver gives to a well-formed
/// request about a state outside it: 504 "Too large resource version" (a list from a
/// resourceVersion the server has not reached) and a 503 naming a git remote it cannot use.
/// Everything else — a 500, a panic turned into a 500, a 503 from the server's own data — fails.
pub fn acceptable(status: u16, message: &str) -> bool {
    match status {
        ..500 => true,
        504 => message.contains("Too large resource version"),
        503 => REMOTE_UNAVAILABLE.iter().any(|m| message.contains(m)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn client_errors_pass_and_internal_errors_fail() {
        assert!(acceptable(422, "anything"));
        assert!(acceptable(200, ""));
        assert!(!acceptable(500, "Internal error occurred: boom"));
        assert!(!acceptable(503, "error decoding the Repository list"));
        assert!(acceptable(503, "failed to open repository default/r: failed to fetch from git://x"));
        assert!(acceptable(504, "Too large resource version: 99, current: 5"));
        assert!(!acceptable(504, "timeout"));
    }
}
