//! The store's neutral error type (no HTTP codes; the front translates).

use std::sync::Arc;

use porch_layers::FieldCause;

use super::StoredKind;

/// The result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A failed store operation.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No object of that kind and name exists.
    #[error("{} \"{name}\" not found", qualified(kind.plural(), *kind))]
    NotFound {
        /// The kind looked up.
        kind: StoredKind,
        /// The object name.
        name: String,
    },
    /// An object of that kind and name already exists.
    #[error("{} \"{name}\" already exists", qualified(kind.plural(), *kind))]
    AlreadyExists {
        /// The kind created.
        kind: StoredKind,
        /// The object name.
        name: String,
    },
    /// A stale `resourceVersion` or a failed uid/resourceVersion precondition.
    #[error(
        "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your \
         changes to the latest version and try again",
        qualified(kind.plural(), *kind)
    )]
    Conflict {
        /// The kind written.
        kind: StoredKind,
        /// The object name.
        name: String,
    },
    /// The object failed validation; one cause per offending field.
    #[error("{} \"{name}\" is invalid: {}", qualified(kind.kind(), *kind), join_causes(causes))]
    Invalid {
        /// The kind written.
        kind: StoredKind,
        /// The object name (may be empty when none was given).
        name: String,
        /// The field causes, in the order found.
        causes: Vec<FieldCause>,
    },
    /// The request itself is malformed (bad selector, continue token, resourceVersion, missing namespace...).
    #[error("{0}")]
    BadRequest(String),
    /// The object's namespace does not exist.
    #[error("namespaces \"{0}\" not found")]
    NamespaceNotFound(String),
    /// The object's namespace is being deleted.
    #[error("unable to create new content in namespace {0} because it is being terminated")]
    NamespaceTerminating(String),
    /// The namespace is one kube-apiserver never deletes (`default`, `kube-system`,
    /// `kube-public`: its NamespaceLifecycle admission).
    #[error("namespaces \"{0}\" is forbidden: this namespace may not be deleted")]
    ImmortalNamespace(String),
    /// The store cannot serve the resourceVersion a read asks for (too new, or an exact older
    /// one).
    #[error(transparent)]
    ResourceVersion(#[from] porch_layers::request::Unservable),
    /// The database or the file system failed.
    #[error("storage failure")]
    Storage(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Wraps a database or I/O error.
    pub(crate) fn storage(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError::Storage(Arc::new(e))
    }

    /// The message followed by its causes (`storage failure: Database already open`), for logs.
    pub fn with_causes(&self) -> String {
        crate::error_chain::with_causes(self)
    }

    /// `Invalid` for one kind and name.
    pub(crate) fn invalid(kind: StoredKind, name: &str, causes: Vec<FieldCause>) -> StoreError {
        StoreError::Invalid { kind, name: name.to_string(), causes }
    }
}

/// `resource.group`, or just `resource` in the core group (apimachinery `GroupResource.String()`).
fn qualified(what: &str, kind: StoredKind) -> String {
    if kind.group().is_empty() { what.to_string() } else { format!("{what}.{}", kind.group()) }
}

fn join_causes(causes: &[FieldCause]) -> String {
    let parts: Vec<String> = causes.iter().map(ToString::to_string).collect();
    if parts.len() == 1 { parts[0].clone() } else { format!("[{}]", parts.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_kube_apiserver() {
        let e = StoreError::NotFound { kind: StoredKind::Repository, name: "r".into() };
        assert_eq!(e.to_string(), "repositories.config.porch.kpt.dev \"r\" not found");
        let e = StoreError::AlreadyExists { kind: StoredKind::Secret, name: "s".into() };
        assert_eq!(e.to_string(), "secrets \"s\" already exists");
        let e = StoreError::invalid(
            StoredKind::Repository,
            "r",
            vec![FieldCause::required("spec.git.repo", ""), FieldCause::invalid("spec.type", "x")],
        );
        assert_eq!(
            e.to_string(),
            "Repository.config.porch.kpt.dev \"r\" is invalid: [spec.git.repo: Required value, \
             spec.type: Invalid value: x]"
        );
    }
}
