//! The sequence of every resourceVersion the store hands out, in order: each change (with its
//! object) and each reservation (numbers taken for changes kept outside the store, such as the
//! repository caches'). A consumer that must merge the store's changes with the caches' in
//! resourceVersion order follows it: between two items nothing else took a number.

use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::{StoredKind, WatchEventType};

/// One step of the sequence.
#[derive(Debug, Clone)]
pub enum Sequenced {
    /// A change of a stored object, with the resourceVersion it took.
    Change {
        /// The resourceVersion.
        rv: u64,
        /// The kind changed.
        kind: StoredKind,
        /// The object's namespace (`""` when cluster-scoped).
        namespace: String,
        /// The object's name.
        name: String,
        /// `Added`, `Modified` or `Deleted`.
        event_type: WatchEventType,
        /// The new state (for `Deleted`: the last state).
        object: Arc<Value>,
    },
    /// `count` consecutive resourceVersions from `first`, reserved for changes kept elsewhere.
    Reserved {
        /// The first reserved resourceVersion.
        first: u64,
        /// How many.
        count: u64,
    },
}

impl Sequenced {
    /// The first resourceVersion of the step.
    pub fn rv(&self) -> u64 {
        match self {
            Self::Change { rv, .. } => *rv,
            Self::Reserved { first, .. } => *first,
        }
    }
}

/// The followers of the sequence.
#[derive(Debug, Default)]
pub(crate) struct Followers {
    senders: Mutex<Vec<UnboundedSender<Sequenced>>>,
}

impl Followers {
    /// A new follower.
    pub(crate) fn follow(&self) -> UnboundedReceiver<Sequenced> {
        let (tx, rx) = unbounded_channel();
        self.senders.lock().unwrap_or_else(|e| e.into_inner()).push(tx);
        rx
    }

    /// Sends the steps `steps` builds (in resourceVersion order) to every follower, built afresh
    /// for each so that none is copied (and not at all when no one follows); forgets the
    /// followers gone.
    pub(crate) fn publish(&self, steps: impl Fn() -> Vec<Sequenced>) {
        let mut senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        senders.retain(|tx| steps().into_iter().all(|s| tx.send(s).is_ok()));
    }
}
