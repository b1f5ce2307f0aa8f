//! The window of recent changes, in resourceVersion order (numbers need not be contiguous).

use std::collections::VecDeque;
use std::sync::Arc;

use super::change::Change;

/// A resourceVersion older than the window: the events after it are gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expired {
    /// The oldest resourceVersion still in the window.
    pub(crate) oldest: u64,
}

/// The last `capacity` changes.
#[derive(Debug)]
pub(crate) struct Window {
    changes: VecDeque<Arc<Change>>,
    capacity: usize,
    /// The newest resourceVersion whose change may be missing (evicted, or from before the start).
    horizon: u64,
}

impl Window {
    /// An empty window of `capacity` after resourceVersion `start`.
    pub(crate) fn new(capacity: usize, start: u64) -> Self {
        Self { changes: VecDeque::new(), capacity: capacity.max(1), horizon: start }
    }

    pub(crate) fn push(&mut self, change: Arc<Change>) {
        self.changes.push_back(change);
        while self.changes.len() > self.capacity {
            if let Some(evicted) = self.changes.pop_front() {
                self.horizon = evicted.rv;
            }
        }
    }

    /// Up to `max` changes after `after` (`current` is the newest resourceVersion published).
    pub(crate) fn after(&self, after: u64, current: u64, max: usize) -> Result<Vec<Arc<Change>>, Expired> {
        if after < current && after < self.horizon {
            return Err(Expired { oldest: self.changes.front().map_or(self.horizon + 1, |c| c.rv) });
        }
        let skip = self.changes.partition_point(|c| c.rv <= after);
        Ok(self.changes.iter().skip(skip).take(max).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::watch::ChangeType;
    use serde_json::json;

    fn change(rv: u64) -> Arc<Change> {
        Arc::new(Change::new(rv, ChangeType::Added, "ns", "a", Arc::new(json!({})), None))
    }

    #[test]
    fn the_window_serves_after_any_version_and_reports_expiry() {
        let mut w = Window::new(3, 10);
        assert_eq!(w.after(10, 10, 9).unwrap().len(), 0);
        assert_eq!(w.after(5, 10, 9).unwrap_err(), Expired { oldest: 11 });
        for rv in [12, 15, 16, 20] {
            w.push(change(rv));
        }
        let rvs = |v: Vec<Arc<Change>>| v.iter().map(|c| c.rv).collect::<Vec<_>>();
        assert_eq!(rvs(w.after(12, 20, 9).unwrap()), [15, 16, 20]);
        assert_eq!(rvs(w.after(13, 20, 1).unwrap()), [15]);
        assert_eq!(w.after(11, 20, 9).unwrap_err(), Expired { oldest: 15 });
        assert_eq!(rvs(w.after(20, 20, 9).unwrap()), Vec::<u64>::new());
    }
}
