//! Errors of the repository cache. Neutral (no HTTP status codes), but each has a [`ErrorKind`]
//! so the REST layer can map it (conflict → 409, already exists → 409, not found → 404, …).

use crate::git::GitError;

/// The result of a repository cache operation.
pub type Result<T, E = CacheError> = std::result::Result<T, E>;

/// What kind of failure an error is, for callers that translate errors into API statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Someone else changed the repository first (a concurrent write, a moved ref).
    Conflict,
    /// The object to create already exists (workspace uniqueness).
    AlreadyExists,
    /// The package revision (or a ref it needs) does not exist.
    NotFound,
    /// The request cannot be carried out on the revision as it is (wrong lifecycle, bad name).
    Invalid,
    /// The repository cache was closed (its Repository is being deleted).
    Closed,
    /// Anything else: the remote, the mirror or the resourceVersion counter failed.
    Internal,
}

/// An error of the repository cache.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// Another revision of the package already uses the workspace name (porch-api.md §3.2; the
    /// text is Porch's, word for word).
    #[error(
        "package revision workspaceNames must be unique; package revision with name {package} in repo \
         {repository} with workspaceName {workspace} already exists"
    )]
    WorkspaceExists {
        /// Package path.
        package: String,
        /// Repository name.
        repository: String,
        /// The workspace name in use.
        workspace: String,
    },
    /// No revision with that key or name is in the index.
    #[error("failed to find package revision {what}")]
    NotFound {
        /// The name or `<package>/<workspace>` looked for.
        what: String,
    },
    /// The operation does not apply to the revision in its current state.
    #[error("failed to {action}: {reason}")]
    Invalid {
        /// What was attempted, e.g. `approve package revision r.pkg.ws`.
        action: String,
        /// Why it cannot be done.
        reason: String,
    },
    /// The git backend failed.
    #[error("failed to {action}")]
    Git {
        /// What was attempted, e.g. `fetch repository ns/name`.
        action: String,
        /// The git error.
        #[source]
        source: GitError,
    },
    /// The changes could not be recorded (their PackageRevs not written).
    #[error("failed to record the changes of repository {repository}")]
    Record {
        /// `<namespace>/<name>` of the Repository.
        repository: String,
        /// The change log's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The cache was closed.
    #[error("failed to use repository {repository}: its cache is closed")]
    Closed {
        /// `<namespace>/<name>` of the Repository.
        repository: String,
    },
    /// The mirror directory could not be removed on close.
    #[error("failed to remove the mirror directory {path}")]
    RemoveMirror {
        /// The directory.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl CacheError {
    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::WorkspaceExists { .. } => ErrorKind::AlreadyExists,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Invalid { .. } => ErrorKind::Invalid,
            Self::Closed { .. } => ErrorKind::Closed,
            Self::Git { source, .. } if source.is_conflict() => ErrorKind::Conflict,
            Self::Git { source: GitError::NotFound { .. }, .. } => ErrorKind::NotFound,
            Self::Git { source: GitError::Invalid { .. }, .. } => ErrorKind::Invalid,
            Self::Git { .. } | Self::Record { .. } | Self::RemoveMirror { .. } => ErrorKind::Internal,
        }
    }

    /// Shorthand for [`CacheError::Git`].
    pub(crate) fn git(action: impl Into<String>) -> impl FnOnce(GitError) -> Self {
        let action = action.into();
        move |source| Self::Git { action, source }
    }

    /// Shorthand for [`CacheError::Invalid`].
    pub(crate) fn invalid(action: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid { action: action.into(), reason: reason.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_messages() {
        let e = CacheError::WorkspaceExists {
            package: "basens".into(),
            repository: "blueprints".into(),
            workspace: "ws1".into(),
        };
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        assert_eq!(
            e.to_string(),
            "package revision workspaceNames must be unique; package revision with name basens in repo \
             blueprints with workspaceName ws1 already exists"
        );
        let conflict = GitError::Conflict { refname: "r".into(), expected: "a".into(), found: "b".into() };
        assert_eq!(CacheError::git("approve")(conflict).kind(), ErrorKind::Conflict);
        let missing = GitError::NotFound { what: "ref x".into() };
        assert_eq!(CacheError::git("delete")(missing).kind(), ErrorKind::NotFound);
        assert_eq!(
            CacheError::NotFound { what: "x".into() }.to_string(),
            "failed to find package revision x"
        );
    }
}
