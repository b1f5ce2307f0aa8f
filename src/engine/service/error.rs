//! [`ServiceError`]: why an engine service call failed — the step that failed and the object it
//! failed on, with the typed cause. Neutral: no HTTP status codes; `rest/errors.rs` maps each
//! variant to the API error it means.

use porch_api::gvk::ResourceInfo;
use porch_layers::request::Unservable;

use crate::cache::CacheError;
use crate::cache::registry::OpenError;
use crate::engine::EngineError;
use crate::git::GitError;
use crate::metadata::MetadataError;

/// The result of an engine service call.
pub(crate) type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// A failed engine service call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ServiceError {
    /// The object does not exist (or its name cannot be one of `resource`).
    #[error("failed to find {} {name:?}", resource.plural)]
    NotFound {
        /// The resource looked up.
        resource: &'static ResourceInfo,
        /// The object name.
        name: String,
    },
    /// The request cannot be carried out on the object as it is now: another request holds its
    /// lock, the workspace is taken, the revision is not a Draft.
    #[error("failed to change {} {name:?}: {reason}", resource.plural)]
    Conflict {
        /// The resource written.
        resource: &'static ResourceInfo,
        /// The object name.
        name: String,
        /// Porch's reason, word for word.
        reason: String,
    },
    /// The write was based on a resourceVersion that is no longer the current one.
    #[error("failed to update {} {name:?}: its resourceVersion is not the current one", resource.plural)]
    Stale {
        /// The resource written.
        resource: &'static ResourceInfo,
        /// The object name.
        name: String,
    },
    /// The namespace takes no new objects: it does not exist, or it is being deleted
    /// (kube-apiserver's NamespaceLifecycle admission).
    #[error("namespace {namespace} takes no new objects")]
    NamespaceClosed {
        /// The namespace.
        namespace: String,
        /// Whether it exists and is being deleted (else it does not exist).
        terminating: bool,
    },
    /// A Repository's stored object does not decode.
    #[error("failed to decode repository {namespace}/{name}: {reason}")]
    UndecodableRepository {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// What the decoder said.
        reason: String,
    },
    /// An engine rule refused the request.
    #[error("failed to {step} {} {name:?}", resource.plural)]
    Engine {
        /// What was attempted, e.g. `render`.
        step: &'static str,
        /// The resource of the request.
        resource: &'static ResourceInfo,
        /// The object name (empty when not yet known).
        name: String,
        /// The rule's verdict.
        #[source]
        source: EngineError,
    },
    /// A repository cache operation failed.
    #[error("failed to {step} {} {name:?}", resource.plural)]
    Cache {
        /// What was attempted, e.g. `propose`.
        step: &'static str,
        /// The resource of the request.
        resource: &'static ResourceInfo,
        /// The object name.
        name: String,
        /// The cache's error (boxed: it is large, and rare).
        #[source]
        source: Box<CacheError>,
    },
    /// A git read outside the cache failed (a revision's files, an upstream mirror).
    #[error("failed to {step}")]
    Git {
        /// What was attempted, e.g. `read the files of r.p.ws`.
        step: String,
        /// The git error.
        #[source]
        source: GitError,
    },
    /// A Repository could not be opened.
    #[error("failed to open the repository")]
    Open(#[source] OpenError),
    /// PackageRev metadata could not be read or written.
    #[error("failed to use the PackageRev metadata")]
    Metadata(#[source] MetadataError),
    /// A Repository could not be read.
    #[error("failed to read repositories")]
    Kube(#[source] kube::Error),
    /// The read asks for a resourceVersion that cannot be served.
    #[error("failed to serve the resourceVersion asked for")]
    ResourceVersion(#[source] Unservable),
}

impl ServiceError {
    /// [`ServiceError::NotFound`].
    pub(crate) fn not_found(resource: &'static ResourceInfo, name: &str) -> Self {
        Self::NotFound { resource, name: name.to_string() }
    }

    /// [`ServiceError::Conflict`].
    pub(crate) fn conflict(resource: &'static ResourceInfo, name: &str, reason: impl Into<String>) -> Self {
        Self::Conflict { resource, name: name.to_string(), reason: reason.into() }
    }

    /// A closure wrapping an engine error at `step` on `name` of `resource`.
    pub(crate) fn on_engine<'a>(
        step: &'static str,
        resource: &'static ResourceInfo,
        name: &'a str,
    ) -> impl Fn(EngineError) -> Self + 'a {
        move |source| Self::Engine { step, resource, name: name.to_string(), source }
    }

    /// A closure wrapping a cache error at `step` on `name` of `resource`.
    pub(crate) fn on_cache<'a>(
        step: &'static str,
        resource: &'static ResourceInfo,
        name: &'a str,
    ) -> impl Fn(CacheError) -> Self + 'a {
        move |source| Self::Cache { step, resource, name: name.to_string(), source: Box::new(source) }
    }

    /// Whether the object (or its Repository) was not found, here or by the API server.
    pub(crate) fn is_not_found(&self) -> bool {
        let kube_not_found = |e: &kube::Error| matches!(e, kube::Error::Api(s) if s.code == 404);
        match self {
            Self::NotFound { .. } => true,
            Self::Kube(e) | Self::Metadata(MetadataError::Api { source: e, .. }) => kube_not_found(e),
            _ => false,
        }
    }
}

impl From<MetadataError> for ServiceError {
    fn from(e: MetadataError) -> Self {
        Self::Metadata(e)
    }
}

impl From<OpenError> for ServiceError {
    /// A Repository being deleted is one that is not found; any other failure to open is the
    /// server's trouble.
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Closed { name, .. } => Self::not_found(&porch_api::gvk::REPOSITORY, &name),
            e => Self::Open(e),
        }
    }
}

impl From<kube::Error> for ServiceError {
    fn from(e: kube::Error) -> Self {
        Self::Kube(e)
    }
}

impl From<Unservable> for ServiceError {
    fn from(e: Unservable) -> Self {
        Self::ResourceVersion(e)
    }
}
