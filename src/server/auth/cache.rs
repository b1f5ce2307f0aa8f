//! A small bounded map whose entries expire: the token and decision caches.
//!
//! Time is tokio's clock, so tests can pause and advance it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Values kept for a while each, at most `capacity` of them.
///
/// When an insert finds the map full, expired entries are dropped first; if it is still full,
/// the entry that expires soonest makes room. A cache is an optimisation: losing an entry only
/// costs a call to the cluster.
#[derive(Debug)]
pub(crate) struct TtlCache<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V: Clone> TtlCache<K, V> {
    /// An empty cache of at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Self { entries: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }

    /// The value under `key` if it has not expired yet.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((value, expires)) if *expires > Instant::now() => Some(value.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `value` under `key` for `ttl`, replacing what was there.
    pub(crate) fn insert(&self, key: K, value: V, ttl: Duration) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, (_, expires)| *expires > now);
            if entries.len() >= self.capacity {
                let soonest = entries.iter().min_by_key(|(_, (_, expires))| *expires).map(|(k, _)| k.clone());
                if let Some(soonest) = soonest {
                    entries.remove(&soonest);
                }
            }
        }
        entries.insert(key, (value, now + ttl));
    }

    /// How many entries are held, expired ones included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_their_ttl() {
        let cache = TtlCache::new(8);
        cache.insert("a", 1, Duration::from_secs(10));
        cache.insert("b", 2, Duration::from_secs(20));
        tokio::time::advance(Duration::from_millis(9_999)).await;
        assert_eq!(cache.get(&"a"), Some(1));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(cache.get(&"a"), None);
        assert_eq!(cache.get(&"b"), Some(2));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(cache.get(&"b"), None);
        assert_eq!(cache.len(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_cache_drops_expired_entries_then_the_soonest_to_expire() {
        let cache = TtlCache::new(2);
        cache.insert(1, "short", Duration::from_secs(1));
        cache.insert(2, "long", Duration::from_secs(30));
        tokio::time::advance(Duration::from_secs(2)).await;
        cache.insert(3, "new", Duration::from_secs(10));
        assert_eq!((cache.get(&2), cache.get(&3)), (Some("long"), Some("new")));
        cache.insert(4, "newer", Duration::from_secs(10));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&2), Some("long"));
        assert_eq!(cache.get(&4), Some("newer"));
        assert_eq!(cache.get(&3), None);
    }
}
