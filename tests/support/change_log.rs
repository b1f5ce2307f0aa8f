//! A change log for tests of the cache alone: each change gets the next number, as an API server
//! gives each PackageRev write the next resourceVersion (the server's own change log writes the
//! PackageRevs; `tests/engine*`, the conformance suite and e2e run it).
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::BoxFuture;
use porch_server::cache::{ChangeLog, RevisionChange};

/// Hands out consecutive resourceVersions, one per recorded change. Clones share the counter.
#[derive(Debug, Clone, Default)]
pub struct Sequence(Arc<AtomicU64>);

impl Sequence {
    /// The last resourceVersion handed out.
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// As the cache takes it.
    pub fn log(&self) -> Arc<dyn ChangeLog> {
        Arc::new(self.clone())
    }
}

impl ChangeLog for Sequence {
    fn record(
        &self,
        changes: Vec<RevisionChange>,
    ) -> BoxFuture<'static, porch_server::cache::Result<Vec<u64>>> {
        let n = changes.len() as u64;
        let first = self.0.fetch_add(n, Ordering::SeqCst) + 1;
        Box::pin(async move { Ok((first..first + n).collect()) })
    }
}
