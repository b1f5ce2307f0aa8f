//! The state shared by every request.

use super::openapi::OpenApi;
use crate::rest::store::StoreRest;
use metrics_exporter_prometheus::PrometheusHandle;
use std::time::Duration;
use tokio::sync::watch;

/// Everything a request handler may need; built once at start-up.
#[derive(Debug)]
pub(crate) struct AppState {
    /// REST storage of the embedded CR store (standalone mode).
    pub(crate) store: StoreRest,
    pub(crate) openapi: OpenApi,
    /// `--max-request-body-size`.
    pub(crate) max_body: usize,
    /// Whether the server serves Repository, PackageRev, Secret and Namespace itself.
    pub(crate) standalone: bool,
    /// Flips to `true` on shutdown; watches end when it does.
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Renders `/metrics`; `None` when no recorder is installed (tests).
    pub(crate) metrics: Option<PrometheusHandle>,
    /// Watch duration when the client gives no `timeoutSeconds`.
    pub(crate) default_watch_timeout: Duration,
}
