//! Non-blocking per-object locks (porch-api.md §8.4): a second request on the same object while
//! the first is still running fails at once with 409 instead of queueing behind it. The guard is
//! held across the whole git operation, so two identical concurrent requests never both run.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The set of keys currently held.
#[derive(Debug, Default, Clone)]
pub(crate) struct TryLocks {
    held: Arc<Mutex<HashSet<String>>>,
}

/// Holds one key until dropped.
#[derive(Debug)]
pub(crate) struct TryLockGuard {
    held: Arc<Mutex<HashSet<String>>>,
    key: String,
}

impl TryLocks {
    /// Takes `key`, or `None` when another request holds it.
    pub(crate) fn try_lock(&self, key: impl Into<String>) -> Option<TryLockGuard> {
        let key = key.into();
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.insert(key.clone()).then(|| TryLockGuard { held: self.held.clone(), key })
    }
}

impl Drop for TryLockGuard {
    fn drop(&mut self) {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_key_refuses_a_second_holder_until_released() {
        let locks = TryLocks::default();
        let first = locks.try_lock("ns/a").unwrap();
        assert!(locks.try_lock("ns/a").is_none());
        let _other = locks.try_lock("ns/b").unwrap();
        drop(first);
        assert!(locks.try_lock("ns/a").is_some());
    }
}
