//! The WatcherManager: watches of one resource served from a window of its recent changes.
//!
//! A source (the engine's event pump) publishes each [`Change`] once, in resourceVersion order,
//! with the object before and after; the manager keeps the current state of every object and
//! the last changes in a window. A watch ([`WatcherManager::watch`]):
//!
//! - starts from the current state (`resourceVersion` unset or `"0"`: ADDED for every matching
//!   object, then the changes), from exactly after a resourceVersion still in the window, or —
//!   for an older one — gets one `ERROR` event carrying a 410 `Expired` Status;
//! - applies its namespace and selectors at the source, to every change: an object that stops
//!   matching arrives as DELETED, one that starts matching as ADDED (as kube-apiserver's watch
//!   cache does);
//! - reads the shared window at its own pace; each change is serialized once, on first need, and
//!   the same bytes go to every watcher. A watcher that falls out of the window (a consumer too
//!   slow for the window) gets the 410 `ERROR` event and ends; it never holds up the source or
//!   the other watchers;
//! - sends `BOOKMARK`s when asked, the `k8s.io/initial-events-end` one after the initial events
//!   of `sendInitialEvents`, and ends when dropped (client gone, timeout, shutdown), releasing
//!   everything and the `porch_watchers{resource}` gauge.

mod change;
mod manager;
mod state;
mod watcher;
mod watches;

pub use change::{Change, ChangeType, Loader};
pub use manager::WatcherManager;
pub use state::{Matcher, WatchRequest};
pub(crate) use watches::Watches;
