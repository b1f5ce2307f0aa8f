//! Options and result shapes of the store's verbs.

use std::time::Duration;

use bytes::Bytes;

use porch_layers::request::ReadAt;
use porch_layers::{FieldSelector, LabelSelector};

use crate::rv_window::EventBudget;
use serde_json::Value;

/// How a [`Store`](super::Store) is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How many recent events (all kinds) are kept for watch resumption. Default 10 000.
    pub event_window: usize,
    /// The memory budget the event window shares with the server's other event windows (the
    /// oldest events go when it is spent). Default: a budget of its own, of 256 MiB.
    pub event_budget: EventBudget,
    /// Interval between periodic BOOKMARK events on watches that allow them. Default 60 s.
    pub bookmark_interval: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            event_window: 10_000,
            event_budget: EventBudget::default(),
            bookmark_interval: Duration::from_secs(60),
        }
    }
}

/// Options of create, update and update_status.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Validate and return the would-be object without persisting it, emitting an event or consuming a
    /// resourceVersion.
    pub dry_run: bool,
}

/// Options of delete.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// Validate and return the would-be result without persisting anything.
    pub dry_run: bool,
    /// Delete only if the object's `metadata.uid` is this (else `Conflict`).
    pub precondition_uid: Option<String>,
    /// Delete only if the object's `metadata.resourceVersion` is this (else `Conflict`).
    pub precondition_resource_version: Option<String>,
}

/// Options of list.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Keep only objects whose `metadata.labels` match.
    pub label_selector: Option<LabelSelector>,
    /// Keep only objects whose fields match (`metadata.name`, `metadata.namespace`, and `type` for Secrets).
    pub field_selector: Option<FieldSelector>,
    /// Return at most this many items (0 or `None`: all).
    pub limit: Option<usize>,
    /// Continue after the last item of a previous page (the `continue_token` it returned).
    pub continue_token: Option<String>,
    /// The state to list: a version not reached yet is waited for (briefly), an exact older
    /// one is gone (`ResourceVersion` error).
    pub read_at: ReadAt,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct ListPage {
    /// The items, sorted by (namespace, name), with `apiVersion` and `kind` set.
    pub items: Vec<Value>,
    /// The store's resourceVersion when the page was read.
    pub resource_version: u64,
    /// Token for the next page, when more items match.
    pub continue_token: Option<String>,
    /// How many matching items follow this page, when there is a next page.
    pub remaining_item_count: Option<u64>,
}

/// One page of a list whose items are the store's own encodings, shared (no copy, no decoding):
/// what a front that only writes the items out wants. [`SharedListPage::into_owned`] gives a
/// [`ListPage`].
#[derive(Debug, Clone)]
pub struct SharedListPage {
    /// The items' JSON, sorted by (namespace, name), with `apiVersion` and `kind` set.
    pub items: Vec<Bytes>,
    /// The store's resourceVersion when the page was read.
    pub resource_version: u64,
    /// Token for the next page, when more items match.
    pub continue_token: Option<String>,
    /// How many matching items follow this page, when there is a next page.
    pub remaining_item_count: Option<u64>,
}

impl SharedListPage {
    /// The items decoded.
    pub fn into_owned(self) -> ListPage {
        ListPage {
            // The store's encodings are always JSON (written from objects).
            items: self
                .items
                .iter()
                .map(|json| serde_json::from_slice(json).unwrap_or(Value::Null))
                .collect(),
            resource_version: self.resource_version,
            continue_token: self.continue_token,
            remaining_item_count: self.remaining_item_count,
        }
    }
}

/// Options of watch.
#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    /// `None`/`""`/`"0"`: synthetic ADDED for the current state, then changes. `Some(rv)`: the changes after
    /// `rv` (an ERROR event with a 410 Status if they left the event window).
    pub resource_version: Option<String>,
    /// Send the current state as ADDED events, then a BOOKMARK annotated `k8s.io/initial-events-end`.
    pub send_initial_events: bool,
    /// Send a BOOKMARK every `bookmark_interval`.
    pub allow_bookmarks: bool,
    /// Keep only events whose object labels match (transitions become ADDED/DELETED).
    pub label_selector: Option<LabelSelector>,
    /// Keep only events whose object fields match (transitions become ADDED/DELETED).
    pub field_selector: Option<FieldSelector>,
}

pub use porch_layers::request::{WatchEvent, WatchEventType};
