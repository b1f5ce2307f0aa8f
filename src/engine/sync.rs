//! The server's side of the Repository controller: [`RepositoryBackend`] over the registry of
//! open repository caches.

use std::sync::Arc;

use futures::future::BoxFuture;
use porch_api::{Repository, package_revision_uid};
use porch_controllers::{RepositoryBackend, RevisionRef, SyncError, SyncSummary};

use crate::cache::registry::Registry;

/// The registry as the controller sees it.
#[derive(Debug, Clone)]
pub(crate) struct RegistryBackend {
    registry: Registry,
}

impl RegistryBackend {
    /// The backend over `registry`.
    pub(crate) fn new(registry: Registry) -> Arc<Self> {
        Arc::new(Self { registry })
    }
}

impl RepositoryBackend for RegistryBackend {
    fn is_open(&self, namespace: &str, name: &str) -> bool {
        self.registry.get_open(namespace, name).is_some()
    }

    fn sync(&self, repo: &Repository) -> BoxFuture<'static, Result<SyncSummary, SyncError>> {
        let (registry, repo) = (self.registry.clone(), repo.clone());
        Box::pin(async move {
            let cache = registry.sync(&repo).await?;
            Ok(SyncSummary {
                package_count: i32::try_from(cache.len()).unwrap_or(i32::MAX),
                git_commit_hash: cache.branch_head().map(|h| h.to_string()).unwrap_or_default(),
                // Reported once, by the first sync that succeeds after the mirror was replaced.
                notice: cache.git().take_repair().unwrap_or_default(),
            })
        })
    }

    fn close(&self, namespace: &str, name: &str) -> BoxFuture<'static, ()> {
        let (registry, namespace, name) = (self.registry.clone(), namespace.to_string(), name.to_string());
        Box::pin(async move { registry.close(&namespace, &name).await })
    }

    fn open_repositories(&self) -> Vec<(String, String)> {
        self.registry.open_keys()
    }

    fn revisions(&self, namespace: &str, name: &str) -> Vec<RevisionRef> {
        let Some(cache) = self.registry.get_open(namespace, name) else { return Vec::new() };
        cache
            .list()
            .iter()
            .map(|r| RevisionRef {
                name: r.name.clone(),
                uid: package_revision_uid(namespace, &r.name).to_string(),
            })
            .collect()
    }
}
