//! [`EventBudget`]: the memory budget that every event window of the server shares (the object
//! store's, and one per porch.kpt.dev resource).
//!
//! A window admits each item here with what it holds: bytes of its own, and JSON values that other
//! items may hold too (an object and the state before it; one object in two windows). A shared
//! value counts once however many items hold it, from the first admission to the last release.
//! When the total goes over the budget, the items admitted first — in whichever window — are
//! evicted until it fits; the newest item always stays, so that an event larger than the whole
//! budget still reaches the watchers that keep up.
//!
//! Evicting only marks the item: its window drops it ([`RvWindow::trim`](super::RvWindow::trim))
//! at its own next push, or when [`EventBudget::settle`] (called by whoever admitted, with no
//! window lock held) asks it to through [`Trim`]. No code path holds two windows' locks at once;
//! the budget's own lock is taken last and held briefly.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use serde_json::Value;

use super::size::json_bytes;

/// The default budget: 256 MiB.
pub(crate) const DEFAULT_EVENT_WINDOW_BYTES: usize = 256 << 20;

/// The memory budget shared by event windows. Cheap to clone (one budget, many handles).
#[derive(Clone)]
pub struct EventBudget {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for EventBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBudget").field("limit", &self.inner.limit).field("used", &self.used()).finish()
    }
}

impl Default for EventBudget {
    fn default() -> Self {
        Self::new(DEFAULT_EVENT_WINDOW_BYTES)
    }
}

/// A window whose evicted items can be dropped on request: its owner takes its own lock and calls
/// [`RvWindow::trim`](super::RvWindow::trim).
pub(crate) trait Trim: Send + Sync {
    /// Drops the items the budget evicted.
    fn trim(&self);
}

/// A window's number in its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WindowId(usize);

struct Inner {
    limit: usize,
    ledger: Mutex<Ledger>,
}

#[derive(Default)]
struct Ledger {
    /// Bytes held by the admitted items now.
    total: usize,
    /// The ticket of the next admission.
    next_ticket: u64,
    /// Admitted items in admission (ticket) order; released ones wait for the front to be dropped.
    queue: VecDeque<Admitted>,
    /// Shared values by address: their size and how many admitted items hold them.
    values: HashMap<usize, Held>,
    windows: Vec<Slot>,
}

struct Admitted {
    window: usize,
    ticket: u64,
    own: usize,
    values: Vec<usize>,
    released: bool,
}

struct Held {
    bytes: usize,
    holders: u32,
}

#[derive(Default)]
struct Slot {
    /// The newest ticket of this window the budget evicted.
    evicted: u64,
    /// The newest evicted ticket the window has dropped.
    trimmed: u64,
    trim: Option<Weak<dyn Trim>>,
}

impl EventBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        let ledger = Ledger { next_ticket: 1, ..Ledger::default() };
        Self { inner: Arc::new(Inner { limit, ledger: Mutex::new(ledger) }) }
    }

    /// The budget in bytes.
    pub fn limit(&self) -> usize {
        self.inner.limit
    }

    /// The bytes the admitted items hold now.
    pub fn used(&self) -> usize {
        self.ledger().total
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.inner.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new window.
    pub(crate) fn register(&self) -> WindowId {
        let mut ledger = self.ledger();
        ledger.windows.push(Slot::default());
        WindowId(ledger.windows.len() - 1)
    }

    /// How to reach window `id` when another window's admission evicts its items.
    pub(crate) fn attach(&self, id: WindowId, trim: Weak<dyn Trim>) {
        self.ledger().windows[id.0].trim = Some(trim);
    }

    /// Admits an item of window `id` holding `own` bytes and the shared `values`; returns its
    /// ticket and its size (its own bytes plus its values' whole size). May evict older items of
    /// any window.
    pub(crate) fn admit<'a>(
        &self,
        id: WindowId,
        own: usize,
        values: impl IntoIterator<Item = &'a Arc<Value>>,
    ) -> (u64, usize) {
        let mut ledger = self.ledger();
        let ticket = ledger.next_ticket;
        ledger.next_ticket += 1;
        let mut size = own;
        let mut addresses = Vec::new();
        for value in values {
            let address = Arc::as_ptr(value) as usize;
            if addresses.contains(&address) {
                continue;
            }
            addresses.push(address);
            let held = ledger.values.entry(address).or_insert_with(|| Held { bytes: 0, holders: 0 });
            if held.holders == 0 {
                held.bytes = json_bytes(value);
            }
            held.holders += 1;
            let (bytes, first) = (held.bytes, held.holders == 1);
            size += bytes;
            if first {
                ledger.total += bytes;
            }
        }
        ledger.total += own;
        ledger.queue.push_back(Admitted { window: id.0, ticket, own, values: addresses, released: false });
        ledger.evict(self.inner.limit);
        super::metrics::window_bytes(ledger.total);
        (ticket, size)
    }

    /// Adds `bytes` to the item `ticket` (something it built after its admission), if the budget
    /// still holds it; may evict older items of any window. Call [`EventBudget::settle`] after.
    pub(crate) fn grow(&self, ticket: u64, bytes: usize) {
        let mut ledger = self.ledger();
        let Some(i) = ledger.position(ticket) else { return };
        let item = &mut ledger.queue[i];
        if item.released {
            return;
        }
        item.own += bytes;
        ledger.total += bytes;
        ledger.evict(self.inner.limit);
        super::metrics::window_bytes(ledger.total);
    }

    /// Releases the item `ticket`, which its window dropped on its own (its count limit).
    pub(crate) fn release(&self, ticket: u64) {
        let mut ledger = self.ledger();
        if let Some(i) = ledger.position(ticket) {
            ledger.release_at(i);
        }
        ledger.pop_released();
        super::metrics::window_bytes(ledger.total);
    }

    /// The newest ticket of window `id` that was evicted; the window drops every item up to it.
    pub(crate) fn evicted(&self, id: WindowId) -> u64 {
        let mut ledger = self.ledger();
        let slot = &mut ledger.windows[id.0];
        slot.trimmed = slot.evicted;
        slot.evicted
    }

    /// Has every window with evicted items drop them. Call it with no window lock held.
    pub(crate) fn settle(&self) {
        let pending: Vec<Arc<dyn Trim>> = {
            let ledger = self.ledger();
            ledger
                .windows
                .iter()
                .filter(|slot| slot.evicted > slot.trimmed)
                .filter_map(|slot| slot.trim.as_ref().and_then(Weak::upgrade))
                .collect()
        };
        for window in pending {
            window.trim();
        }
    }

    /// Window `id` is gone: releases all its items.
    pub(crate) fn forget(&self, id: WindowId) {
        let mut ledger = self.ledger();
        for i in 0..ledger.queue.len() {
            if ledger.queue[i].window == id.0 {
                ledger.release_at(i);
            }
        }
        ledger.pop_released();
        ledger.windows[id.0] = Slot::default();
        super::metrics::window_bytes(ledger.total);
    }
}

impl Ledger {
    /// Where item `ticket` is in the queue.
    fn position(&self, ticket: u64) -> Option<usize> {
        let i = self.queue.partition_point(|item| item.ticket < ticket);
        (self.queue.get(i)?.ticket == ticket).then_some(i)
    }

    /// Takes the item at `i` out of the total (it stays queued, released, until the front).
    fn release_at(&mut self, i: usize) {
        let item = &mut self.queue[i];
        if item.released {
            return;
        }
        item.released = true;
        let (own, values) = (item.own, std::mem::take(&mut item.values));
        self.total -= own;
        for address in values {
            if let Some(held) = self.values.get_mut(&address) {
                held.holders -= 1;
                if held.holders == 0 {
                    self.total -= held.bytes;
                    self.values.remove(&address);
                }
            }
        }
    }

    fn pop_released(&mut self) {
        while self.queue.front().is_some_and(|item| item.released) {
            self.queue.pop_front();
        }
    }

    /// Evicts the oldest items until the total fits `limit`, keeping the newest.
    fn evict(&mut self, limit: usize) {
        while self.total > limit {
            self.pop_released();
            if self.queue.len() <= 1 {
                break;
            }
            let (window, ticket) = match self.queue.front() {
                Some(item) => (item.window, item.ticket),
                None => break,
            };
            self.release_at(0);
            self.queue.pop_front();
            let slot = &mut self.windows[window];
            slot.evicted = slot.evicted.max(ticket);
        }
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
