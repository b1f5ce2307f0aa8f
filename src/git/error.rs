//! Errors of the git backend.
//!
//! Messages never carry credentials: every libgit2 error is copied into a [`LibgitError`] whose
//! text has been scrubbed of the repository's secrets and of URL user-info before it is stored.

use std::fmt;
use std::path::PathBuf;

/// The result of a git backend operation.
pub type Result<T, E = GitError> = std::result::Result<T, E>;

/// An error of the git backend. Messages are neutral (no HTTP status codes) and credential-free.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// The local mirror could not be created or opened.
    #[error("failed to open the git mirror at {path}")]
    Mirror {
        /// Directory of the mirror.
        path: PathBuf,
        /// What libgit2 reported.
        #[source]
        source: LibgitError,
    },
    /// A damaged mirror could not be removed to make room for a fresh clone.
    #[error("failed to remove the damaged mirror at {path}")]
    RemoveMirror {
        /// Directory of the mirror.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The directory of the mirror could not be created.
    #[error("failed to create the mirror directory {path}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Fetching from the remote failed (unreachable, authentication, protocol).
    #[error("failed to fetch from {url}")]
    Fetch {
        /// The remote URL, without user-info.
        url: String,
        /// What libgit2 reported.
        #[source]
        source: LibgitError,
    },
    /// Pushing to the remote failed before the remote reported per-ref results.
    #[error("failed to push to {url}")]
    Push {
        /// The remote URL, without user-info.
        url: String,
        /// What libgit2 reported.
        #[source]
        source: LibgitError,
    },
    /// The remote refused to update a ref (e.g. non-fast-forward, hook declined).
    #[error("failed to update {refname} on the remote: {reason}")]
    Rejected {
        /// The remote ref, e.g. `refs/heads/main`.
        refname: String,
        /// The reason the remote gave.
        reason: String,
    },
    /// A ref on the remote did not have the value the write was based on: someone else changed it.
    #[error("failed to update {refname}: it changed on the remote (expected {expected}, found {found})")]
    Conflict {
        /// The remote ref, e.g. `refs/heads/main`.
        refname: String,
        /// The value the write expected (`absent` or an object id).
        expected: String,
        /// The value found on the remote (`absent` or an object id).
        found: String,
    },
    /// The configured branch does not exist on the remote and `createBranch` is off.
    #[error("branch \"{branch}\" doesn't exist")]
    BranchMissing {
        /// The branch name.
        branch: String,
    },
    /// Something the operation needs does not exist in the mirror.
    #[error("failed to find {what}")]
    NotFound {
        /// What was looked for, e.g. `ref drafts/pkg/ws`.
        what: String,
    },
    /// The request cannot be carried out as given (bad path, wrong state).
    #[error("failed to {action}: {reason}")]
    Invalid {
        /// What was attempted.
        action: String,
        /// Why it cannot be done.
        reason: String,
    },
    /// A local libgit2 operation on the mirror failed.
    #[error("failed to {action}")]
    Local {
        /// What was attempted, e.g. `write the package tree`.
        action: String,
        /// What libgit2 reported.
        #[source]
        source: LibgitError,
    },
    /// A write kept conflicting with concurrent changes on the remote.
    #[error("failed to push after {attempts} attempts")]
    RetriesExhausted {
        /// How many pushes were tried.
        attempts: u32,
        /// The last conflict.
        #[source]
        source: Box<GitError>,
    },
    /// The blocking worker running the git operation panicked or was cancelled.
    #[error("failed to run the git operation to completion")]
    Worker(#[source] tokio::task::JoinError),
}

impl GitError {
    /// `NotFound` for a ref the write needs but the mirror lacks.
    pub(crate) fn missing_ref(name: &str) -> Self {
        Self::NotFound { what: format!("ref {name}") }
    }

    /// Whether the error means "someone else changed the remote first": an expected-old-value
    /// mismatch or a ref the remote rejected. Such writes may be retried after a fetch.
    pub fn is_conflict(&self) -> bool {
        match self {
            Self::Conflict { .. } | Self::Rejected { .. } => true,
            Self::Push { source, .. } => source.code == git2::ErrorCode::NotFastForward,
            Self::RetriesExhausted { source, .. } => source.is_conflict(),
            _ => false,
        }
    }

    /// Whether the error is libgit2's object database failing (an object missing or
    /// unreadable): the mirror may be damaged. (For a fetch from a remote on the local file
    /// system it may be the remote instead; a check of the mirror tells.)
    pub(crate) fn is_suspicious(&self) -> bool {
        match self {
            Self::Local { source, .. }
            | Self::Mirror { source, .. }
            | Self::Fetch { source, .. }
            | Self::Push { source, .. } => {
                matches!(source.class, git2::ErrorClass::Odb | git2::ErrorClass::Zlib)
            }
            Self::RetriesExhausted { source, .. } => source.is_suspicious(),
            _ => false,
        }
    }

    /// Shorthand for [`GitError::Local`] from a libgit2 error.
    pub(crate) fn local(action: impl Into<String>, source: git2::Error, scrub: &Scrubber) -> Self {
        Self::Local { action: action.into(), source: scrub.error(&source) }
    }

    /// Shorthand for [`GitError::Invalid`].
    pub(crate) fn invalid(action: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid { action: action.into(), reason: reason.into() }
    }
}

/// A libgit2 error with its message scrubbed of credentials.
#[derive(Debug, Clone)]
pub struct LibgitError {
    /// The scrubbed message.
    pub message: String,
    /// libgit2's error code.
    pub code: git2::ErrorCode,
    /// libgit2's error class.
    pub class: git2::ErrorClass,
}

impl fmt::Display for LibgitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LibgitError {}

/// Removes secrets from text before it goes into an error or a log line.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    secrets: Vec<String>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scrubber").field("secrets", &self.secrets.len()).finish()
    }
}

impl Scrubber {
    /// A scrubber for the given secrets (empty strings are ignored).
    pub(crate) fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut secrets: Vec<String> =
            secrets.into_iter().map(Into::into).filter(|s| !s.is_empty()).collect();
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self { secrets }
    }

    /// `text` with every secret replaced by `***` and URL user-info removed.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = redact_userinfo(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }

    /// A scrubbed copy of a libgit2 error.
    pub(crate) fn error(&self, error: &git2::Error) -> LibgitError {
        LibgitError { message: self.text(error.message()), code: error.code(), class: error.class() }
    }
}

/// Removes `user:password@` from every `scheme://user:password@host` in `text`.
pub(crate) fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let end =
            tail.find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'').unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => out.push_str(&authority[at + 1..]),
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_removed_from_urls() {
        assert_eq!(redact_userinfo("http://u:p@host:8080/x.git"), "http://host:8080/x.git");
        assert_eq!(redact_userinfo("see https://tok@h/a and git://h/b"), "see https://h/a and git://h/b");
        assert_eq!(redact_userinfo("no url here"), "no url here");
    }

    #[test]
    fn secrets_are_replaced() {
        let s = Scrubber::new(["s3cret", ""]);
        assert_eq!(s.text("auth s3cret failed"), "auth *** failed");
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn conflicts_are_recognised() {
        let e =
            GitError::Conflict { refname: "refs/heads/main".into(), expected: "a".into(), found: "b".into() };
        assert!(e.is_conflict());
        let wrapped = GitError::RetriesExhausted { attempts: 3, source: Box::new(e) };
        assert!(wrapped.is_conflict());
        assert!(!GitError::BranchMissing { branch: "main".into() }.is_conflict());
        assert_eq!(
            GitError::BranchMissing { branch: "main".into() }.to_string(),
            "branch \"main\" doesn't exist"
        );
    }
}
