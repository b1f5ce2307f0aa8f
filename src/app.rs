//! The server as a value: open it on a data directory, then serve it on a listener or talk to it
//! in-process through a `kube::Client`.

use crate::cache::watch::Watches;
use crate::config::Config;
use crate::crdstore::{Store, StoreError, StoreOptions};
use crate::engine::render::exec::ExecSettings;
use crate::engine::render::grpc::FunctionRunner;
use crate::engine::service::{Engine, EngineConfig};
use crate::engine::sync::RegistryBackend;
use crate::events;
use crate::own_thread;
use crate::rv_window::EventBudget;
use crate::server::auth::Auth;
use crate::server::openapi::OpenApi;
use crate::server::serve::tls::{self, CertSource, TlsError};
use crate::server::state::{AppState, EngineBackend, StoreBackend};
use crate::server::{self, ApiStack, ConnectionLimits, loopback};
use metrics_exporter_prometheus::PrometheusHandle;
use porch_controllers::repository;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A flag combination is refused.
    #[error("{0}")]
    Config(String),
    /// The data directory could not be prepared.
    #[error("failed to prepare the data directory {path}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The embedded store could not be opened.
    #[error("failed to open the object store")]
    Store(#[from] StoreError),
    /// No client of the cluster could be made (aggregated mode).
    #[error("failed to configure the client of the cluster")]
    Cluster(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The serving certificate could not be loaded or made.
    #[error("failed to set up HTTPS")]
    Tls(#[from] TlsError),
    /// The listen address could not be bound.
    #[error("failed to listen on {addr}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// An opened server: its state, the switch that ends its watches, and its background tasks
/// (stopped when the App is dropped).
pub struct App {
    state: Arc<AppState>,
    shutdown: watch::Sender<bool>,
    data_dir: PathBuf,
    connections: ConnectionLimits,
    /// The event pump and the Repository controller: aborted when the App goes.
    background: Vec<tokio::task::JoinHandle<()>>,
    /// HTTPS (aggregated mode); plain HTTP without.
    tls: Option<TlsAcceptor>,
}

/// What differs between the modes when a server is assembled.
struct Parts<'a> {
    /// The embedded store (standalone mode).
    store: Option<&'a Store>,
    /// The resourceVersion the porch.kpt.dev watches start at.
    start: u64,
    /// The memory budget of every event window.
    budget: EventBudget,
    /// HTTPS (aggregated mode).
    tls: Option<TlsAcceptor>,
    /// Authentication and authorization by the cluster (aggregated mode).
    auth: Option<Auth>,
}

/// A client of the cluster of `kubeconfig`, or of the inferred one (`KUBECONFIG`,
/// `~/.kube/config`, then the in-cluster service account).
async fn cluster_client(kubeconfig: Option<&std::path::Path>) -> Result<kube::Client, StartError> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| StartError::Cluster(e);
    let config = match kubeconfig {
        Some(path) => {
            let file = kube::config::Kubeconfig::read_from(path).map_err(|e| failed(e.into()))?;
            kube::Config::from_custom_kubeconfig(file, &kube::config::KubeConfigOptions::default())
                .await
                .map_err(|e| failed(e.into()))?
        }
        None => kube::Config::infer().await.map_err(|e| failed(e.into()))?,
    };
    kube::Client::try_from(config).map_err(|e| failed(e.into()))
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("data_dir", &self.data_dir)
            .field("https", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        for task in &self.background {
            task.abort();
        }
    }
}

impl App {
    /// Opens the data directory and the store (standalone mode). `metrics` renders `/metrics`.
    pub fn open(config: &Config, metrics: Option<PrometheusHandle>) -> Result<Self, StartError> {
        config.check().map_err(StartError::Config)?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| StartError::DataDir { path: config.data_dir.clone(), source })?;
        // One memory budget for every event window: the store's and the porch.kpt.dev ones.
        let budget = EventBudget::new(config.watch_event_window_bytes);
        let store = Store::open(
            &config.data_dir,
            StoreOptions {
                event_window: config.watch_event_window,
                event_budget: budget.clone(),
                bookmark_interval: Duration::from_secs(config.bookmark_interval_seconds),
            },
        )?;
        // The porch.kpt.dev watches start where the store is; the event pump follows the
        // PackageRevs from there.
        let start = store.resource_version();
        let parts = Parts { store: Some(&store), start, budget, tls: None, auth: None };
        Ok(Self::assemble(config, metrics, parts, loopback::client))
    }

    /// Opens the data directory (git caches only) and connects to the cluster of `--kubeconfig`
    /// (aggregated mode): every object but the porch.kpt.dev ones lives there. Serving is HTTPS
    /// with the configured or a self-signed certificate, and every request is authenticated and
    /// authorized by the cluster.
    pub async fn open_aggregated(
        config: &Config,
        metrics: Option<PrometheusHandle>,
    ) -> Result<Self, StartError> {
        config.check().map_err(StartError::Config)?;
        let always_allow = config.always_allow_paths().map_err(StartError::Config)?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| StartError::DataDir { path: config.data_dir.clone(), source })?;
        let client = cluster_client(config.kubeconfig.as_deref()).await?;
        let source = match (&config.tls_cert_file, &config.tls_private_key_file) {
            (Some(cert), Some(key)) => CertSource::Files { cert: cert.clone(), key: key.clone() },
            _ => CertSource::SelfSigned(
                config.cert_dir.clone().unwrap_or_else(|| config.data_dir.join("certificates")),
            ),
        };
        let (tls, reload) = tls::server_config(&source)?;
        let auth = Auth::start(client.clone(), always_allow);
        // Requests the front proxy forwards authenticate only once its CA is known.
        if !auth.ready().await {
            tracing::warn!(
                "kube-system/extension-apiserver-authentication is not read yet; serving anyway (/readyz says 503 until it is)"
            );
        }
        // The porch.kpt.dev watches start where the pump's first list of PackageRevs is.
        let budget = EventBudget::new(config.watch_event_window_bytes);
        let parts =
            Parts { store: None, start: 0, budget, tls: Some(TlsAcceptor::from(tls)), auth: Some(auth) };
        let mut app = Self::assemble(config, metrics, parts, |_| client);
        if let (Some(reload), Ok(runtime)) = (reload, tokio::runtime::Handle::try_current()) {
            app.background.push(runtime.spawn(reload));
        }
        Ok(app)
    }

    /// The server over `parts`, its engine talking to the API through the client `client`
    /// makes (given the state, which the standalone client serves in-process).
    fn assemble(
        config: &Config,
        metrics: Option<PrometheusHandle>,
        parts: Parts<'_>,
        client: impl FnOnce(std::sync::Weak<AppState>) -> kube::Client,
    ) -> Self {
        let bookmark_interval = Duration::from_secs(config.bookmark_interval_seconds);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let watches = Watches::new(parts.start, config.watch_event_window, &parts.budget, bookmark_interval);
        let standalone = parts.store.is_some();
        let state = Arc::new_cyclic(|state| {
            let engine = Engine::new(EngineConfig {
                client: client(state.clone()),
                data_dir: config.data_dir.clone(),
                retry_attempts: config.repo_operation_retry_attempts,
                max_concurrent_syncs: config.max_concurrent_syncs as usize,
                max_concurrent_lists: config.max_concurrent_lists as usize,
                list_timeout: config.list_timeout_per_repository,
                watches: watches.clone(),
                default_image_prefix: config.default_image_prefix.clone(),
                function_runner: config
                    .function_runner()
                    .map(|address| FunctionRunner::new(address, config.max_request_body_size)),
                exec: config
                    .allow_exec
                    .then(|| ExecSettings::new(&config.functions_dir, config.max_request_body_size)),
            });
            AppState {
                store: parts.store.map(StoreBackend::new),
                engine: EngineBackend::new(engine),
                openapi: OpenApi::build(standalone),
                max_body: config.max_request_body_size,
                body_read_timeout: config.body_read_timeout,
                standalone,
                auth: parts.auth,
                shutdown: shutdown_rx,
                metrics,
                default_watch_timeout: Duration::from_secs(config.default_watch_timeout_seconds),
            }
        });
        // Background tasks need a runtime; `open` outside one (tools) serves requests only.
        // The event pump feeds the watches of the porch.kpt.dev resources; the Repository
        // controller opens, syncs and reports every repository (all of them after a restart).
        let mut background = Vec::new();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let engine = &state.engine.engine;
            let pump = events::run(
                watches,
                engine.registry().clone(),
                engine.client().clone(),
                engine.metadata().clone(),
            );
            // On its own thread: every watcher waits on it, so it must not queue behind them.
            match own_thread::spawn(&runtime, "event-pump", pump) {
                Ok(task) => background.push(task),
                Err(e) => {
                    tracing::error!(error = %e, "cannot start the event pump's thread; watches get no events")
                }
            }
            if config.repository_controller {
                let settings = repository::Settings {
                    frequency: config.repo_sync_frequency,
                    concurrency: u16::try_from(config.max_concurrent_syncs).unwrap_or(u16::MAX),
                    sweep_interval: config.orphan_sweep_interval,
                };
                let backend = RegistryBackend::new(engine.registry().clone());
                let controller = repository::run(engine.client().clone(), backend, settings);
                background.push(runtime.spawn(controller));
            }
        }
        let connections = ConnectionLimits {
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_connection_timeout,
            max_connections: config.max_connections as usize,
        };
        Self { state, shutdown, data_dir: config.data_dir.clone(), connections, background, tls: parts.tls }
    }

    /// The API as a tower service over any request body (in-process use, tests).
    pub fn service<B>(&self) -> ApiStack<B>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        server::build(self.state.clone())
    }

    /// How many watches of the porch.kpt.dev resources are open (a diagnostic: it returns to 0
    /// when their clients go away).
    pub fn open_watches(&self) -> usize {
        let watches = self.state.engine.engine.watches();
        watches.revisions.watchers() + watches.resources.watchers() + watches.packages.watchers()
    }

    /// How many repositories are open (a diagnostic: a deleted Repository leaves none behind).
    pub fn open_repositories(&self) -> usize {
        self.state.engine.engine.registry().open_keys().len()
    }

    /// A `kube::Client` that sends to this server in-process, with no socket.
    pub fn kube_client(&self) -> kube::Client {
        kube::Client::new(self.service::<kube::client::Body>(), "default")
    }

    /// Binds `addr` and writes `<data-dir>/kubeconfig` pointing at the bound address (standalone).
    pub async fn bind(&self, addr: SocketAddr) -> Result<(TcpListener, PathBuf), StartError> {
        let listener = Self::listen(addr).await?;
        let local = listener.local_addr().map_err(|source| StartError::Listen { addr, source })?;
        let kubeconfig = crate::standalone::write_kubeconfig(&self.data_dir, local)
            .map_err(|source| StartError::DataDir { path: self.data_dir.clone(), source })?;
        Ok((listener, kubeconfig))
    }

    /// Binds `addr` (aggregated mode: `--bind-address` and `--secure-port`).
    pub async fn listen(addr: SocketAddr) -> Result<TcpListener, StartError> {
        TcpListener::bind(addr).await.map_err(|source| StartError::Listen { addr, source })
    }

    /// Serves `listener` until `shutdown` resolves; then watches end and connections drain.
    /// Connections are bounded by the configuration's timeouts and `max_connections`.
    /// Then the background tasks are stopped and waited for, so that none is still running (and
    /// none of their subtasks cancelled under it) when the runtime goes.
    pub async fn serve(mut self, listener: TcpListener, shutdown: impl Future<Output = ()> + Send) {
        let stop = self.shutdown.clone();
        let watches = self.state.engine.engine.watches().clone();
        let signal = async move {
            shutdown.await;
            // The porch.kpt.dev watches send what is left and a last BOOKMARK, then end.
            watches.close();
            let _ = stop.send(true);
        };
        server::serve(listener, self.service(), self.connections, self.tls.clone(), signal).await;
        for task in std::mem::take(&mut self.background) {
            task.abort();
            let _ = task.await;
        }
        self.save_indexes().await;
    }

    /// Saves the index of every open repository beside its git mirror, so that the next start
    /// on this data directory serves without discovering every revision again (see
    /// `cache/snapshot.rs`). [`App::serve`] does it when it stops.
    pub async fn save_indexes(&self) {
        let started = std::time::Instant::now();
        self.state.engine.engine.registry().save_indexes().await;
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "repository indexes saved");
    }
}
