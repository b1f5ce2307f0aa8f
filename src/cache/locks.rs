//! Per-package async locks: a check against the index and the git write it guards (workspace
//! uniqueness, revision numbering) happen atomically per package.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// One async mutex per package path, created on first use.
#[derive(Debug, Default)]
pub(crate) struct PackageLocks {
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

impl PackageLocks {
    /// Waits for, then holds, the lock of `package` until the guard is dropped.
    pub(crate) async fn lock(&self, package: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            // Forget locks nobody holds or waits for, so the map stays as small as the set of
            // packages being written.
            if locks.len() > 1024 {
                locks.retain(|_, l| Arc::strong_count(l) > 1);
            }
            locks.entry(package.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn same_package_serialises_other_packages_do_not() {
        let locks = PackageLocks::default();
        let a = locks.lock("a").await;
        let _b = locks.lock("b").await;
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(20), locks.lock("a")).await;
        assert!(waiting.is_err());
        drop(a);
        let _a2 = locks.lock("a").await;
    }
}
