//! The server-wide resourceVersion counter as the cache sees it.

use futures::future::BoxFuture;

use super::error::CacheError;
use crate::cache::Result;
use crate::crdstore::Store;

/// Hands out consecutive, durable resourceVersions from the server-wide counter (the same one
/// the CR store uses), so cache events and CR events share one RV sequence.
pub trait ResourceVersions: Send + Sync + 'static {
    /// Reserves `n ≥ 1` consecutive resourceVersions and returns the first.
    fn reserve(&self, n: u64) -> BoxFuture<'static, Result<u64>>;

    /// The last resourceVersion handed out (what a list reports as its `resourceVersion`).
    fn current(&self) -> u64;
}

impl ResourceVersions for Store {
    fn reserve(&self, n: u64) -> BoxFuture<'static, Result<u64>> {
        let store = self.clone();
        Box::pin(async move {
            store
                .reserve_resource_versions(n)
                .await
                .map_err(|e| CacheError::ResourceVersions { source: Box::new(e) })
        })
    }

    fn current(&self) -> u64 {
        self.resource_version()
    }
}
