//! Per-package async locks: a check against the index and the git write it guards (workspace
//! uniqueness, revision numbering) happen atomically per package. [`NewPackageLocks`] does the
//! same for the creation of new packages, whose checks (the package does not exist, does not
//! nest with another) span more than one package path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, Notify, OwnedMutexGuard};

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

/// The package paths being created as new packages. Two creations whose paths are equal or
/// nest (one is a directory of the other: `a` and `a/b`) run one after the other, so the second
/// sees the first in the index; creations of unrelated paths (`a/b` and `a/c`) do not wait.
#[derive(Debug, Default, Clone)]
pub(crate) struct NewPackageLocks {
    shared: Arc<NewPackages>,
}

#[derive(Debug, Default)]
struct NewPackages {
    /// The held paths (few at a time, so a list).
    held: Mutex<Vec<String>>,
    /// Woken whenever a path is released.
    released: Notify,
}

/// Holds one new package path until dropped.
#[derive(Debug)]
pub(crate) struct NewPackageGuard {
    shared: Arc<NewPackages>,
    path: String,
}

/// Whether creating `a` and `b` touches the same package path or nests one in the other.
fn overlap(a: &str, b: &str) -> bool {
    let inside =
        |inner: &str, outer: &str| inner.strip_prefix(outer).is_some_and(|rest| rest.starts_with('/'));
    a == b || inside(a, b) || inside(b, a)
}

impl NewPackageLocks {
    /// Waits until no held path overlaps `path`, then holds `path` until the guard is dropped.
    /// Dropping the future while it waits holds nothing.
    pub(crate) async fn lock(&self, path: &str) -> NewPackageGuard {
        loop {
            // Registered before the check, so a release between the check and the wait wakes us.
            let released = self.shared.released.notified();
            let mut released = std::pin::pin!(released);
            released.as_mut().enable();
            {
                let mut held = self.shared.held.lock().unwrap_or_else(|e| e.into_inner());
                if !held.iter().any(|other| overlap(other, path)) {
                    held.push(path.to_string());
                    return NewPackageGuard { shared: self.shared.clone(), path: path.to_string() };
                }
            }
            released.await;
        }
    }
}

impl Drop for NewPackageGuard {
    fn drop(&mut self) {
        {
            let mut held = self.shared.held.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(at) = held.iter().position(|p| *p == self.path) {
                held.swap_remove(at);
            }
        }
        self.shared.released.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn waits<T>(fut: impl std::future::Future<Output = T>) -> bool {
        tokio::time::timeout(Duration::from_millis(20), fut).await.is_err()
    }

    #[tokio::test]
    async fn new_packages_wait_for_equal_and_nested_paths_only() {
        let locks = NewPackageLocks::default();
        let a_b = locks.lock("a/b").await;
        assert!(waits(locks.lock("a/b")).await);
        assert!(waits(locks.lock("a")).await);
        assert!(waits(locks.lock("a/b/c")).await);
        let _a_c = locks.lock("a/c").await;
        let _a_bc = locks.lock("a/bc").await;
        let _ab = locks.lock("ab").await;
        // A waiter gets the path as soon as the holder lets go.
        let waiter = tokio::spawn({
            let locks = locks.clone();
            async move { drop(locks.lock("a/b/c").await) }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(a_b);
        tokio::time::timeout(Duration::from_secs(5), waiter).await.unwrap().unwrap();
        let _again = locks.lock("a/b").await;
    }

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
