//! The watches of the three porch.kpt.dev resources, fed together by the event pump
//! (`crate::events`) and read by their REST storage.

use std::time::Duration;

use porch_api::gvk::{PACKAGE_REVISION, PACKAGE_REVISION_RESOURCES, PORCH_PACKAGE};

use super::WatcherManager;
use crate::rv_window::EventBudget;

/// The watch managers of the porch.kpt.dev resources.
#[derive(Clone, Debug)]
pub(crate) struct Watches {
    /// `packagerevisions`.
    pub(crate) revisions: WatcherManager,
    /// `packagerevisionresources`.
    pub(crate) resources: WatcherManager,
    /// `packages`.
    pub(crate) packages: WatcherManager,
}

impl Watches {
    /// Empty managers starting after resourceVersion `start`, each keeping `window` changes, all
    /// of them within `budget` (shared with the store's window).
    pub(crate) fn new(start: u64, window: usize, budget: &EventBudget, bookmark_interval: Duration) -> Self {
        let m = |info: &porch_api::gvk::ResourceInfo| {
            WatcherManager::new(
                info.plural,
                info.api_version,
                info.kind,
                window,
                budget,
                bookmark_interval,
                start,
            )
        };
        Self {
            revisions: m(&PACKAGE_REVISION),
            resources: m(&PACKAGE_REVISION_RESOURCES),
            packages: m(&PORCH_PACKAGE),
        }
    }

    /// Ends every watch of the three resources (server shutdown; see [`WatcherManager::close`]).
    pub(crate) fn close(&self) {
        self.revisions.close();
        self.resources.close();
        self.packages.close();
    }

    /// Every watch is complete up to `rv`.
    pub(crate) fn advance(&self, rv: u64) {
        self.revisions.advance(rv);
        self.resources.advance(rv);
        self.packages.advance(rv);
    }

    /// Starts the windows afresh after `rv`: every watch from before it gets 410 Expired.
    pub(crate) fn restart(&self, rv: u64) {
        self.revisions.restart(rv);
        self.resources.restart(rv);
        self.packages.restart(rv);
    }
}
