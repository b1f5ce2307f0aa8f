//! The Repositories and Namespaces the engine reads on every request (and lists), and the FunctionConfigs
//! every render with `--allow-exec` reads, answered from kube-runtime
//! reflector stores rather than by an API call each (one read per request, each a round trip
//! through whatever serves them).
//!
//! As kube-apiserver's NamespaceLifecycle admission does with its informer, an object the store
//! does not hold is read live: one created a moment ago, or any while the store is not loaded
//! yet. An object the store holds may be a moment old; the registry of caches never goes back to
//! an older Repository than it has seen, and never reopens a closed one for it
//! (`cache::registry`). Each store is filled by its own list+watch, started on first use and
//! ended when the engine is gone.

use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::Resource;
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use porch_api::{FunctionConfig, Repository};
use porch_controllers::Stored;
use serde::de::DeserializeOwned;

/// The reflected Repositories, Namespaces and FunctionConfigs, and the client that fills them.
pub(crate) struct Cluster {
    client: kube::Client,
    repositories: Reflected<Stored<Repository>>,
    namespaces: Reflected<Namespace>,
    function_configs: Reflected<Stored<FunctionConfig>>,
}

impl Cluster {
    /// Stores over `client`'s Repositories and Namespaces, empty until first used.
    pub(crate) fn new(client: kube::Client) -> Self {
        Self {
            client,
            repositories: Reflected::new(),
            namespaces: Reflected::new(),
            function_configs: Reflected::new(),
        }
    }

    /// Repository `namespace/name`, from the store, else read live (`None`: there is none).
    pub(crate) async fn repository(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Stored<Repository>>, kube::Error> {
        if let Some(found) = self.repositories.get(&self.client, Some(namespace), name) {
            return Ok(Some((*found).clone()));
        }
        Api::namespaced(self.client.clone(), namespace).get_opt(name).await
    }

    /// The Repositories of `namespace` (all namespaces: `None`), from the store, else (until it
    /// is loaded) listed live. Like a list served from kube-apiserver's watch cache, it may be a
    /// moment behind a write: a Repository created a moment ago (which has no revisions yet in
    /// any case) may be missing, one deleted a moment ago still there (its closed cache is then
    /// skipped with a warning).
    pub(crate) async fn repositories(
        &self,
        namespace: Option<&str>,
    ) -> Result<Vec<Stored<Repository>>, kube::Error> {
        if let Some(all) = self.repositories.all(&self.client, &tokio::runtime::Handle::current()) {
            return Ok(all
                .iter()
                .filter(|r| namespace.is_none_or(|ns| r.meta().namespace.as_deref() == Some(ns)))
                .map(|r| (**r).clone())
                .collect());
        }
        let api: Api<Stored<Repository>> = match namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        };
        Ok(api.list(&Default::default()).await?.items)
    }

    /// Namespace `name`, from the store, else read live (`None`: there is none).
    pub(crate) async fn namespace(&self, name: &str) -> Result<Option<Arc<Namespace>>, kube::Error> {
        if let Some(found) = self.namespaces.get(&self.client, None, name) {
            return Ok(Some(found));
        }
        Ok(Api::all(self.client.clone()).get_opt(name).await?.map(Arc::new))
    }
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").finish_non_exhaustive()
    }
}

/// The FunctionConfigs of every namespace for the exec runtime: from the store, else (before it
/// is loaded) listed live, blocking the render's thread on `handle`. One that does not decode is
/// skipped with a warning.
#[derive(Debug)]
pub(crate) struct ClusterFunctionConfigs {
    pub(crate) cluster: Arc<Cluster>,
    pub(crate) handle: tokio::runtime::Handle,
}

impl crate::engine::render::exec::FunctionConfigs for ClusterFunctionConfigs {
    fn function_configs(&self) -> Result<Vec<FunctionConfig>, String> {
        let cluster = &self.cluster;
        let stored: Vec<Stored<FunctionConfig>> = match cluster
            .function_configs
            .all(&cluster.client, &self.handle)
        {
            Some(all) => all.iter().map(|c| (**c).clone()).collect(),
            None => {
                let api: Api<Stored<FunctionConfig>> = Api::all(cluster.client.clone());
                let list = self.handle.block_on(async {
                    tokio::time::timeout(std::time::Duration::from_secs(10), api.list(&Default::default()))
                        .await
                });
                match list {
                    Ok(Ok(list)) => list.items,
                    Ok(Err(e)) => return Err(e.to_string()),
                    Err(_) => return Err("listing FunctionConfigs timed out".to_string()),
                }
            }
        };
        let mut configs = Vec::with_capacity(stored.len());
        for config in stored {
            match config.into_object() {
                Ok(config) => configs.push(config),
                Err(e) => tracing::warn!(error = %e, "a FunctionConfig does not decode; skipped"),
            }
        }
        Ok(configs)
    }
}

/// One kind's reflector store, whether its first list has arrived, and the writer until the
/// watch that fills it starts.
struct Reflected<K: Resource<DynamicType = ()> + Clone + 'static> {
    store: Store<K>,
    loaded: Arc<AtomicBool>,
    writer: Mutex<Option<Writer<K>>>,
}

impl<K> Reflected<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    fn new() -> Self {
        let (store, writer) = reflector::store();
        Self { store, loaded: Arc::default(), writer: Mutex::new(Some(writer)) }
    }

    /// `namespace/name` if the store is loaded and holds it; the first call starts the watch
    /// (inside a Tokio runtime; outside one nothing is ever reflected).
    fn get(&self, client: &kube::Client, namespace: Option<&str>, name: &str) -> Option<Arc<K>> {
        if !self.loaded.load(Ordering::Acquire) {
            self.start(client);
            return None;
        }
        let key = ObjectRef::new(name);
        self.store.get(&match namespace {
            Some(ns) => key.within(ns),
            None => key,
        })
    }

    /// Every object if the store is loaded; the first call starts the watch on `handle`.
    fn all(&self, client: &kube::Client, handle: &tokio::runtime::Handle) -> Option<Vec<Arc<K>>> {
        if !self.loaded.load(Ordering::Acquire) {
            let _entered = handle.enter();
            self.start(client);
            return None;
        }
        Some(self.store.state())
    }

    fn start(&self, client: &kube::Client) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let Some(writer) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() else { return };
        runtime.spawn(follow(Api::all(client.clone()), writer, Arc::downgrade(&self.loaded)));
    }
}

/// Keeps `writer`'s store in step with every object of `api` (retrying with kube-runtime's
/// backoff), marking it loaded at the end of its first list, until `loaded` is dropped.
async fn follow<K>(api: Api<K>, writer: Writer<K>, loaded: Weak<AtomicBool>)
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let events = watcher(api, watcher::Config::default()).default_backoff().reflect(writer);
    let mut events = std::pin::pin!(events);
    while let Some(event) = events.next().await {
        let Some(loaded) = loaded.upgrade() else { return };
        match event {
            Ok(watcher::Event::InitDone) => loaded.store(true, Ordering::Release),
            Ok(_) => {}
            Err(e) => tracing::debug!(kind = %K::kind(&()), error = %e, "watch failed; retrying"),
        }
    }
}
