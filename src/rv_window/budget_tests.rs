use std::sync::{Arc, Mutex, Weak};

use serde_json::{Value, json};

use super::*;
use crate::rv_window::{Charged, Expired, RvWindow, Versioned};

const MIB: usize = 1 << 20;

/// A window item holding a JSON value, and optionally the one before it.
#[derive(Debug)]
struct Item {
    rv: u64,
    object: Arc<Value>,
    prev: Option<Arc<Value>>,
}

impl Versioned for Item {
    fn rv(&self) -> u64 {
        self.rv
    }
}

impl Charged for Item {
    fn own_bytes(&self) -> usize {
        0
    }
    fn shared_values(&self) -> Vec<&Arc<Value>> {
        std::iter::once(&self.object).chain(&self.prev).collect()
    }
}

/// A window behind its own lock, as the store and the managers keep theirs.
struct Owner {
    window: Mutex<RvWindow<Item>>,
}

impl Trim for Owner {
    fn trim(&self) {
        self.window.lock().unwrap().trim();
    }
}

impl Owner {
    fn new(capacity: usize, budget: &EventBudget) -> Arc<Owner> {
        let window = RvWindow::new("budget-test", capacity, 0, budget);
        Arc::new_cyclic(|me: &Weak<Owner>| {
            window.attach(me.clone());
            Owner { window: Mutex::new(window) }
        })
    }

    /// Pushes, then settles with no lock held, as the store's writer and the managers do.
    fn push(&self, item: Item) {
        let budget = {
            let mut window = self.window.lock().unwrap();
            window.push(item);
            window.budget.clone()
        };
        budget.settle();
    }

    /// What one read after `after` takes.
    fn read(&self, after: u64, current: u64) -> Result<Vec<u64>, Expired> {
        let window = self.window.lock().unwrap();
        window.after(after, current).map(|items| items.map(|i| i.rv).collect())
    }

    /// Everything after `after`, read as a watcher does, chunk by chunk.
    fn rvs(&self, after: u64, current: u64) -> Result<Vec<u64>, Expired> {
        let mut all = Vec::new();
        let mut position = after;
        loop {
            let chunk = self.read(position, current)?;
            match chunk.last() {
                Some(&last) => position = last,
                None => return Ok(all),
            }
            all.extend(chunk);
        }
    }
}

fn blob(tag: u64, bytes: usize) -> Arc<Value> {
    Arc::new(json!({"tag": tag, "blob": "x".repeat(bytes)}))
}

fn item(rv: u64, bytes: usize) -> Item {
    Item { rv, object: blob(rv, bytes), prev: None }
}

#[test]
fn the_oldest_items_of_any_window_go_when_the_budget_is_spent() {
    let budget = EventBudget::new(3 * MIB + MIB / 2);
    let (a, b) = (Owner::new(100, &budget), Owner::new(100, &budget));
    a.push(item(1, MIB));
    b.push(item(2, MIB));
    a.push(item(3, MIB));
    assert_eq!(a.rvs(0, 3).unwrap(), [1, 3]);
    assert_eq!(b.rvs(0, 3).unwrap(), [2]);
    // The fourth MiB evicts the oldest item, which is a's, from b's push.
    b.push(item(4, MIB));
    assert!(budget.used() <= budget.limit(), "{} > {}", budget.used(), budget.limit());
    assert_eq!(a.rvs(0, 4), Err(Expired { oldest: 3 }), "a dropped rv 1 when b pushed");
    assert_eq!(a.rvs(1, 4).unwrap(), [3]);
    // And the next one b's oldest.
    a.push(item(5, MIB));
    assert_eq!(b.rvs(0, 5), Err(Expired { oldest: 4 }));
    assert_eq!(b.rvs(2, 5).unwrap(), [4]);
}

#[test]
fn a_value_held_by_many_items_counts_once() {
    let budget = EventBudget::new(100 * MIB);
    let (a, b) = (Owner::new(100, &budget), Owner::new(100, &budget));
    // A chain of changes of one object (each holds the state before it), in two windows that
    // share the objects, as the PackageRevision and PackageRevisionResources windows do.
    let mut prev = None;
    for rv in 1..=10 {
        let object = blob(rv, MIB);
        a.push(Item { rv, object: object.clone(), prev: prev.clone() });
        b.push(Item { rv, object: object.clone(), prev: prev.clone() });
        prev = Some(object);
    }
    let one = super::json_bytes(prev.as_ref().unwrap());
    assert_eq!(budget.used(), 10 * one, "ten objects, not forty");
}

#[test]
fn the_newest_item_stays_even_when_larger_than_the_budget() {
    let budget = EventBudget::new(MIB);
    let w = Owner::new(100, &budget);
    w.push(item(1, 2 * MIB));
    assert_eq!(w.rvs(0, 1).unwrap(), [1]);
    w.push(item(2, 2 * MIB));
    assert_eq!(w.rvs(1, 2).unwrap(), [2]);
    assert_eq!(w.rvs(0, 2), Err(Expired { oldest: 2 }));
    assert!(budget.used() < 3 * MIB, "{}", budget.used());
}

#[test]
fn items_dropped_by_count_or_with_their_window_are_released() {
    let budget = EventBudget::new(100 * MIB);
    let w = Owner::new(2, &budget);
    for rv in 1..=5 {
        w.push(item(rv, MIB));
    }
    assert_eq!(w.rvs(3, 5).unwrap(), [4, 5]);
    let used = budget.used();
    assert!((2 * MIB..3 * MIB).contains(&used), "{used}");
    drop(w);
    assert_eq!(budget.used(), 0);
}

#[test]
fn growth_after_admission_counts_and_evicts() {
    let budget = EventBudget::new(3 * MIB);
    let w = Owner::new(100, &budget);
    w.push(item(1, MIB));
    w.push(item(2, 10));
    let (ticket, _) = {
        let window = w.window.lock().unwrap();
        let slot = window.items.back().unwrap();
        (slot.ticket, slot.size)
    };
    let before = budget.used();
    let account = crate::rv_window::Account { budget: budget.clone(), ticket };
    account.grow(MIB);
    assert_eq!(budget.used(), before + MIB);
    account.grow(MIB);
    assert_eq!(w.rvs(1, 2).unwrap(), [2]);
    assert_eq!(w.rvs(0, 2), Err(Expired { oldest: 2 }), "the first item went for the growth");
}

/// A watcher takes at most about `CHUNK_BYTES` per read, so one that does not keep up holds
/// little beyond the window.
#[test]
fn a_read_takes_about_a_chunk_of_bytes() {
    let budget = EventBudget::new(100 * MIB);
    let w = Owner::new(100, &budget);
    for rv in 1..=10 {
        w.push(item(rv, 600 << 10));
    }
    assert_eq!(w.read(0, 10).unwrap(), [1, 2]);
    assert_eq!(w.read(2, 10).unwrap(), [3, 4]);
    w.push(item(11, 5 * MIB));
    assert_eq!(w.read(10, 11).unwrap(), [11], "at least one item, however large");
    assert_eq!(w.rvs(0, 11).unwrap(), (1..=11).collect::<Vec<_>>());
}
