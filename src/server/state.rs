//! The state shared by every request.

use super::auth::Auth;
use super::openapi::OpenApi;
use super::resource_stack::{ResourceStack, resource_stack};
use super::resources::{Backend, ResourceDef};
use crate::crdstore::rest::StoreStorage;
use crate::crdstore::{Store, StoredKind};
use crate::engine::service::Engine;
use crate::rest::packagerevisionresources::{self, PackageRevisionResourcesStrategy};
use crate::rest::packagerevisions;
use crate::rest::packages::{self, PackageStrategy};
use metrics_exporter_prometheus::PrometheusHandle;
use porch_api::gvk::{PACKAGE_REVISION, PACKAGE_REVISION_RESOURCES, PORCH_PACKAGE};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Everything a request handler may need; built once at start-up.
#[derive(Debug)]
pub(crate) struct AppState {
    /// The storage stacks of the embedded CR store's kinds (standalone mode).
    pub(crate) store: Option<StoreBackend>,
    /// The package engine and the storage stacks of the porch.kpt.dev resources.
    pub(crate) engine: EngineBackend,
    pub(crate) openapi: OpenApi,
    /// `--max-request-body-size`.
    pub(crate) max_body: usize,
    /// `--body-read-timeout`.
    pub(crate) body_read_timeout: Duration,
    /// Whether the server serves Repository, PackageRev, Secret and Namespace itself.
    pub(crate) standalone: bool,
    /// Authentication and authorization by the cluster (aggregated mode).
    pub(crate) auth: Option<Auth>,
    /// Flips to `true` on shutdown; watches end when it does.
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Renders `/metrics`; `None` when no recorder is installed (tests).
    pub(crate) metrics: Option<PrometheusHandle>,
    /// Watch duration when the client gives no `timeoutSeconds`.
    pub(crate) default_watch_timeout: Duration,
}

impl AppState {
    /// The storage stack of `def`, whichever backend stores it.
    pub(crate) fn stack(&self, def: &ResourceDef) -> Option<&ResourceStack> {
        match def.backend {
            Backend::Store(kind) => self.store.as_ref()?.stack(kind),
            Backend::Engine => self.engine.stack(def.resource),
        }
    }
}

/// The storage stack of each kind of the embedded CR store, built once: the same layers as the
/// porch.kpt.dev resources, over [`StoreStorage`], with each kind's strategy (which the store
/// applies itself; the layers use it for Table conversion).
pub(crate) struct StoreBackend {
    stacks: Vec<(StoredKind, ResourceStack)>,
}

impl std::fmt::Debug for StoreBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreBackend").finish_non_exhaustive()
    }
}

impl StoreBackend {
    /// The stacks over `store`.
    pub(crate) fn new(store: &Store) -> Self {
        let stacks = StoredKind::ALL
            .into_iter()
            .map(|kind| (kind, resource_stack(kind.strategy(), StoreStorage::new(store.clone(), kind))))
            .collect();
        Self { stacks }
    }

    /// The storage stack of `kind`.
    pub(crate) fn stack(&self, kind: StoredKind) -> Option<&ResourceStack> {
        self.stacks.iter().find(|(k, _)| *k == kind).map(|(_, stack)| stack)
    }
}

/// The engine with the storage stack of each porch.kpt.dev resource, built once.
pub(crate) struct EngineBackend {
    pub(crate) engine: Engine,
    revisions: ResourceStack,
    resources: ResourceStack,
    packages: ResourceStack,
}

impl std::fmt::Debug for EngineBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBackend").field("engine", &self.engine).finish_non_exhaustive()
    }
}

impl EngineBackend {
    /// The stacks over `engine`.
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            revisions: resource_stack(
                packagerevisions::strategy(),
                packagerevisions::storage(engine.clone()),
            ),
            resources: resource_stack(
                Arc::new(PackageRevisionResourcesStrategy),
                packagerevisionresources::storage(engine.clone()),
            ),
            packages: resource_stack(Arc::new(PackageStrategy), packages::storage(engine.clone())),
            engine,
        }
    }

    /// The storage stack of `resource` (a porch.kpt.dev plural).
    pub(crate) fn stack(&self, resource: &str) -> Option<&ResourceStack> {
        match resource {
            r if r == PACKAGE_REVISION.plural => Some(&self.revisions),
            r if r == PACKAGE_REVISION_RESOURCES.plural => Some(&self.resources),
            r if r == PORCH_PACKAGE.plural => Some(&self.packages),
            _ => None,
        }
    }
}
