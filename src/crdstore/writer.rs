//! The single writer: a dedicated thread that drains every queued request into one redb transaction
//! (group commit), then publishes the batch to the shared state and acknowledges each request.
//!
//! # Guarantees
//! - Writes are serialized: each request sees the effects of all earlier ones, including those earlier in
//!   the same batch.
//! - A request is acknowledged only after its batch is durable; readers never see uncommitted state and
//!   never wait for an fsync (they read the in-memory state, updated after the commit).
//! - resourceVersions are consecutive, one per change; a failed commit consumes none.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use redb::Database;
use serde_json::Value;
use tokio::sync::oneshot;

use super::ops::{self, Op};
use super::state::Shared;
use super::txn::{Batch, Txn};
use super::{StoreError, persist};
use crate::crdstore::Result;

/// The most requests one transaction carries.
const MAX_BATCH: usize = 1024;

/// A queued write and where to send its result.
#[derive(Debug)]
pub(crate) struct Request {
    /// What to do.
    pub(crate) op: Op,
    /// Compute and validate only.
    pub(crate) dry_run: bool,
    /// The answer channel.
    pub(crate) reply: oneshot::Sender<Result<Value>>,
}

/// Owns the database; runs on its own thread after `Store::open`.
#[derive(Debug)]
pub(crate) struct Writer {
    db: Database,
    shared: Arc<Shared>,
}

impl Writer {
    /// A writer over an open database and the state loaded from it.
    pub(crate) fn new(db: Database, shared: Arc<Shared>) -> Writer {
        Writer { db, shared }
    }

    /// Serves requests until every sender is gone.
    pub(crate) fn run(mut self, rx: Receiver<Request>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            let (ops, replies): (Vec<_>, Vec<_>) =
                batch.into_iter().map(|r| ((r.op, r.dry_run), r.reply)).unzip();
            for (reply, result) in replies.into_iter().zip(self.execute(ops)) {
                let _ = reply.send(result); // the caller may have given up
            }
        }
    }

    /// Runs `ops` as one group commit and returns each one's result.
    pub(crate) fn execute(&mut self, ops: Vec<(Op, bool)>) -> Vec<Result<Value>> {
        let mut results = Vec::with_capacity(ops.len());
        let mut durable = Vec::new(); // results that depend on the commit
        let state = self.shared.read();
        let mut batch = Batch::new(state.rv);
        for (op, dry_run) in ops {
            let mut txn = Txn::new(&state.index, &batch, dry_run);
            let result = catch_unwind(AssertUnwindSafe(|| ops::apply(&mut txn, op))).unwrap_or_else(|_| {
                tracing::error!("crdstore: a write panicked");
                Err(StoreError::storage(std::io::Error::other("internal error while applying a write")))
            });
            let staged = txn.finish();
            if result.is_ok() && !dry_run && !staged.changes.is_empty() {
                batch.absorb(staged);
                durable.push(results.len());
            }
            results.push(result);
        }
        drop(state);
        if batch.changes.is_empty() {
            return results;
        }
        let rv = batch.next_rv - 1;
        if let Err(e) = persist::commit(&self.db, &batch.changes, rv) {
            tracing::error!(error = %e.with_causes(), "crdstore: commit failed");
            for i in durable {
                results[i] = Err(e.clone());
            }
            return results;
        }
        let mut state = self.shared.write();
        for change in batch.changes {
            state.apply(change.entry, &change.name);
        }
        state.rv = state.rv.max(rv);
        drop(state);
        // The new events may have evicted older ones of the other windows (no lock held now).
        self.shared.opts.event_budget.settle();
        self.shared.notify.send_replace(rv);
        results
    }
}
