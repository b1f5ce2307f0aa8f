//! The open repository caches: one [`RepositoryCache`] per Repository object, opened (fetched
//! and indexed) on first use or when the Repository watch sees it, shared by every request, and
//! closed when the Repository goes away.
//!
//! Opening runs in its own task, bounded by a semaphore (`--max-concurrent-syncs`), so a
//! request that gives up waiting (the per-repository list timeout) never cancels it and the next
//! request finds it further along. Concurrent requests for one Repository share one open. A
//! failed open is remembered for [`RETRY_FAILED_AFTER`] so a broken remote is not hammered by
//! every list; after that the next request tries again.
//!
//! Requests may name a Repository as a cache of Repositories saw it a moment ago. So the
//! registry follows the newest Repository it has been given: an older resourceVersion than its
//! entry's is served by the entry as it is (never reopened with older settings); a Repository
//! that is being deleted opens nothing new; and once a cache is closed, only a Repository newer
//! than the last one it served opens that name again (fixed, or created anew).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::{BoxFuture, Shared};
use futures::{FutureExt, StreamExt as _};
use porch_api::Repository;
use porch_api::porch::RepositoryType;
use tokio::sync::Semaphore;

use crate::cache::credentials::{self, CredentialsError};
use crate::cache::{CacheError, CacheMessage, CacheOptions, ChangeLog, RepositoryCache, RepositorySpec};
use crate::git::RepoConfig;

/// How long a failed open is answered from memory before it is tried again.
pub(crate) const RETRY_FAILED_AFTER: Duration = Duration::from_secs(5);

/// Why a Repository could not be opened. Cheap to clone (shared by every waiting request).
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum OpenError {
    /// Only git repositories are served.
    #[error("repository {repository} has type {kind:?}: only git repositories are supported")]
    Unsupported {
        /// `<namespace>/<name>`.
        repository: String,
        /// The `spec.type`.
        kind: String,
    },
    /// A git repository without `spec.git.repo`.
    #[error("repository {repository} has no spec.git.repo")]
    NoGit {
        /// `<namespace>/<name>`.
        repository: String,
    },
    /// The credentials Secret could not be read.
    #[error("failed to read the credentials of repository {repository}")]
    Credentials {
        /// `<namespace>/<name>`.
        repository: String,
        /// Why.
        #[source]
        source: Arc<CredentialsError>,
    },
    /// The Repository is being deleted, or was: its cache is closed, or is not opened for it.
    #[error("repository {namespace}/{name} is being deleted")]
    Closed {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The mirror could not be opened, fetched or indexed.
    #[error("failed to open repository {repository}")]
    Cache {
        /// `<namespace>/<name>`.
        repository: String,
        /// Why.
        #[source]
        source: Arc<CacheError>,
    },
}

type OpenFuture = Shared<BoxFuture<'static, Result<RepositoryCache, OpenError>>>;

/// One Repository's entry: which object it was opened for, and the (possibly finished) open.
#[derive(Clone)]
struct Entry {
    uid: String,
    /// The resourceVersion of the Repository it follows (`None` when not a number).
    resource_version: Option<u64>,
    config: RepoConfig,
    deployment: bool,
    started: Instant,
    open: OpenFuture,
}

/// A Repository the registry follows, as last seen (what the objects of its revisions show).
pub(crate) struct Followed {
    /// `spec.git.repo`.
    pub(crate) url: String,
    /// `spec.deployment`.
    pub(crate) deployment: bool,
    /// Its cache, once open.
    pub(crate) cache: Option<RepositoryCache>,
}

/// What a registry needs from the server, fixed at start-up.
#[derive(Clone)]
pub(crate) struct RegistryConfig {
    /// Reads Secrets (credentials).
    pub(crate) client: kube::Client,
    /// The server's data directory (mirrors live under `<data-dir>/git/`).
    pub(crate) data_dir: PathBuf,
    /// Where the caches record their changes (the PackageRevs).
    pub(crate) log: Arc<dyn ChangeLog>,
    /// `--repo-operation-retry-attempts`.
    pub(crate) retry_attempts: u32,
    /// `--max-concurrent-syncs`: fetches running at once.
    pub(crate) max_concurrent_syncs: usize,
}

/// The registry of open caches. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Registry {
    inner: Arc<Inner>,
}

struct Inner {
    config: RegistryConfig,
    syncs: Arc<Semaphore>,
    entries: Mutex<HashMap<(String, String), Entry>>,
    /// For each closed cache, the resourceVersion of the last Repository it served.
    closed: Mutex<HashMap<(String, String), u64>>,
    /// Every cache tells its batches and events here (the event pump consumes them).
    events: tokio::sync::mpsc::UnboundedSender<CacheMessage>,
    /// The receiving end, until the event pump takes it.
    receiver: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<CacheMessage>>>,
    /// How many opens have not yet found out whether a saved index serves them; fetches wait
    /// until none is left (see [`serving_first`]).
    undecided: tokio::sync::watch::Sender<usize>,
}

/// One open counted in [`Inner::undecided`] until it is dropped.
struct Undecided(tokio::sync::watch::Sender<usize>);

impl Undecided {
    fn new(count: &tokio::sync::watch::Sender<usize>) -> Self {
        count.send_modify(|n| *n += 1);
        Self(count.clone())
    }
}

impl Drop for Undecided {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.inner.entries.lock().map(|e| e.len()).unwrap_or_default();
        f.debug_struct("Registry").field("repositories", &n).finish_non_exhaustive()
    }
}

/// `<namespace>/<name>` of a Repository.
pub(crate) fn repository_key(repo: &Repository) -> (String, String) {
    (repo.metadata.namespace.clone().unwrap_or_default(), repo.metadata.name.clone().unwrap_or_default())
}

/// The credentials Secret a Repository names (`spec.git.secretRef.name`), if any.
fn secret_name(repo: &Repository) -> Option<String> {
    repo.spec.git.as_ref().and_then(|g| g.secret_ref.as_ref()).map(|s| s.name.clone())
}

/// The git settings of a Repository, or why it cannot be served.
pub(crate) fn repo_config(repo: &Repository, retry_attempts: u32) -> Result<RepoConfig, OpenError> {
    let (ns, name) = repository_key(repo);
    let repository = format!("{ns}/{name}");
    if let Some(kind) = repo.spec.type_.as_ref().filter(|t| **t != RepositoryType::Git) {
        return Err(OpenError::Unsupported { repository, kind: kind.as_str().to_string() });
    }
    let git = repo.spec.git.as_ref().filter(|g| !g.repo.is_empty());
    let git = git.ok_or(OpenError::NoGit { repository })?;
    let mut config = RepoConfig::new(git.repo.clone());
    config.branch = repo.spec.branch().to_string();
    config.directory = git.directory.clone();
    config.create_branch = git.create_branch;
    config.author = git.author.clone();
    config.email = git.email.clone();
    config.retry_attempts = retry_attempts;
    config.repository = format!("{ns}/{name}");
    Ok(config)
}

impl Registry {
    /// An empty registry.
    pub(crate) fn new(config: RegistryConfig) -> Self {
        let syncs = Arc::new(Semaphore::new(config.max_concurrent_syncs.max(1)));
        let (events, receiver) = tokio::sync::mpsc::unbounded_channel();
        let receiver = Mutex::new(Some(receiver));
        Self {
            inner: Arc::new(Inner {
                config,
                syncs,
                entries: Mutex::new(HashMap::new()),
                closed: Mutex::new(HashMap::new()),
                events,
                receiver,
                undecided: tokio::sync::watch::Sender::new(0),
            }),
        }
    }

    /// Every batch and change of every cache, in order per repository; for its one consumer
    /// (the event pump), which takes it once.
    pub(crate) fn take_events(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<CacheMessage>> {
        self.inner.receiver.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// The cache of `repo`, opening it when needed (waits for the open). A Repository that was
    /// deleted and re-created (a new uid) or whose git settings changed gets a fresh cache.
    pub(crate) async fn get(&self, repo: &Repository) -> Result<RepositoryCache, OpenError> {
        self.entry(repo)?.await
    }

    /// Every open repository, as `(namespace, name)`.
    pub(crate) fn open_keys(&self) -> Vec<(String, String)> {
        let entries = self.inner.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.iter().filter(|(_, e)| matches!(e.open.peek(), Some(Ok(_)))).map(|(k, _)| k.clone()).collect()
    }

    /// Saves the index of every open cache beside its mirror ([`RepositoryCache::save_index`]),
    /// at most `max_concurrent_syncs` at once; for a shutdown, after the writes have drained.
    pub(crate) async fn save_indexes(&self) {
        let caches: Vec<RepositoryCache> = {
            let entries = self.inner.entries.lock().unwrap_or_else(|e| e.into_inner());
            entries.values().filter_map(|e| e.open.peek().and_then(|r| r.as_ref().ok()).cloned()).collect()
        };
        futures::stream::iter(caches)
            .for_each_concurrent(self.inner.config.max_concurrent_syncs.max(1), |cache| async move {
                cache.save_index().await;
            })
            .await;
    }

    /// The cache of `repo` if it is open already (never waits, never opens).
    pub(crate) fn get_open(&self, namespace: &str, name: &str) -> Option<RepositoryCache> {
        self.followed(namespace, name)?.cache
    }

    /// What the registry knows of Repository `namespace/name` if it follows it (never waits,
    /// never opens): known from the moment it is followed, while its first open still runs.
    pub(crate) fn followed(&self, namespace: &str, name: &str) -> Option<Followed> {
        let entries = self.inner.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(&(namespace.to_string(), name.to_string()))?;
        Some(Followed {
            url: entry.config.url.clone(),
            deployment: entry.deployment,
            cache: entry.open.peek().and_then(|r| r.as_ref().ok()).cloned(),
        })
    }

    fn entry(&self, repo: &Repository) -> Result<OpenFuture, OpenError> {
        let config = repo_config(repo, self.inner.config.retry_attempts)?;
        let key = repository_key(repo);
        let uid = repo.metadata.uid.clone().unwrap_or_default();
        let resource_version = repo.metadata.resource_version.as_deref().and_then(|v| v.parse().ok());
        let deployment = repo.spec.deployment;
        let closed = || OpenError::Closed { namespace: key.0.clone(), name: key.1.clone() };
        let closed_at = self.inner.closed.lock().unwrap_or_else(|e| e.into_inner()).get(&key).copied();
        if closed_at.is_some_and(|last| resource_version.is_none_or(|given| given <= last)) {
            return Err(closed());
        }
        let mut entries = self.inner.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = entries.get_mut(&key) {
            if let (Some(seen), Some(given)) = (entry.resource_version, resource_version)
                && given < seen
            {
                return Ok(entry.open.clone());
            }
            let failed = matches!(entry.open.peek(), Some(Err(_)));
            let stale = failed && entry.started.elapsed() >= RETRY_FAILED_AFTER;
            if entry.uid == uid && entry.config == config && !stale {
                entry.deployment = deployment;
                entry.resource_version = resource_version.or(entry.resource_version);
                return Ok(entry.open.clone());
            }
        }
        if repo.metadata.deletion_timestamp.is_some() {
            return Err(closed());
        }
        if closed_at.is_some() {
            self.inner.closed.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
        }
        // The old cache (other settings, or another object of that name) is closed first: it
        // removes the mirror directory the new one opens.
        let closing = entries.remove(&key).map(|old| tokio::spawn(close_entry(old)));
        let open = self.spawn_open(repo, key.clone(), config.clone(), closing);
        let entry =
            Entry { uid, resource_version, config, deployment, started: Instant::now(), open: open.clone() };
        entries.insert(key, entry);
        drop(entries);
        Ok(open)
    }

    fn spawn_open(
        &self,
        repo: &Repository,
        key: (String, String),
        config: RepoConfig,
        after: Option<tokio::task::JoinHandle<()>>,
    ) -> OpenFuture {
        let inner = self.inner.clone();
        let secret = secret_name(repo);
        // Counted from now, so fetches wait for it from the moment it exists; one that replaces
        // an older cache is counted once that is closed (whose own open may be waiting for
        // fetches to be allowed: counted earlier, the two would wait for each other).
        let now = after.is_none().then(|| Undecided::new(&inner.undecided));
        let task = tokio::spawn(async move {
            if let Some(closing) = after {
                let _ = closing.await;
            }
            let undecided = now.unwrap_or_else(|| Undecided::new(&inner.undecided));
            open_cache(&inner, key, config, secret, undecided).await
        });
        async move {
            match task.await {
                Ok(result) => result,
                Err(join) => Err(OpenError::Cache {
                    repository: "?".into(),
                    source: Arc::new(CacheError::Closed { repository: join.to_string() }),
                }),
            }
        }
        .boxed()
        .shared()
    }

    /// Syncs `repo`: opens it when it is not open, and fetches it again and re-indexes what
    /// changed when it was open already or its open took the saved index without a fetch (at
    /// most `--max-concurrent-syncs` fetches at once).
    pub(crate) async fn sync(&self, repo: &Repository) -> Result<RepositoryCache, OpenError> {
        let open = self.entry(repo)?;
        let opened_now = open.peek().is_none();
        let cache = open.await?;
        if !opened_now || !cache.has_fetched() {
            serving_first(&self.inner).await;
            let _permit = self.inner.syncs.clone().acquire_owned().await;
            let (ns, name) = repository_key(repo);
            // The Secret may have been rotated (or `secretRef` changed): read it again.
            let credentials = read_credentials(&self.inner, &ns, &name, secret_name(repo)).await?;
            cache.git().set_credentials(credentials);
            cache.refresh().await.map_err(|source| OpenError::Cache {
                repository: format!("{ns}/{name}"),
                source: Arc::new(source),
            })?;
        }
        Ok(cache)
    }

    /// Closes and forgets the cache of `namespace/name` (its Repository is gone): DELETED for each
    /// of its revisions, the mirror directory removed.
    pub(crate) async fn close(&self, namespace: &str, name: &str) {
        let entry = self
            .inner
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(namespace.into(), name.into()));
        if let Some(entry) = entry {
            if let Some(last) = entry.resource_version {
                self.inner
                    .closed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert((namespace.into(), name.into()), last);
            }
            close_entry(entry).await;
        }
    }
}

/// Waits until every open in flight has found out whether its saved index serves it. Serving
/// what the data directory holds comes first: after a restart every Repository opens from its
/// saved index within a few hundred milliseconds of CPU, and the fetches, integrity checks and
/// PackageRev GC of the syncs that follow (seconds of work on two cores) would otherwise share
/// the cores with them and delay the first full list. A saved index is read in milliseconds, so
/// the wait is short; a full open (a clone) stops counting before it fetches.
async fn serving_first(inner: &Inner) {
    // The sender lives in `inner`, so the wait ends (`Err` never comes while it does).
    let _ = inner.undecided.subscribe().wait_for(|n| *n == 0).await;
}

async fn open_cache(
    inner: &Inner,
    (namespace, name): (String, String),
    config: RepoConfig,
    secret: Option<String>,
    undecided: Undecided,
) -> Result<RepositoryCache, OpenError> {
    let repository = format!("{namespace}/{name}");
    let credentials = read_credentials(inner, &namespace, &name, secret).await?;
    let mut config = config;
    config.ca_bundle = ca_bundle(&inner.config.client, &namespace).await;
    let spec =
        RepositorySpec { namespace, name, config, credentials, data_dir: inner.config.data_dir.clone() };
    let cache_err =
        |source: CacheError| OpenError::Cache { repository: repository.clone(), source: Arc::new(source) };
    // The server follows its caches through the sink; no one subscribes to a cache's own channel,
    // whose default 1,024 slots were 49 KB per repository (49 MiB at 1,000 repositories).
    let options = CacheOptions { sink: Some(inner.events.clone()), event_capacity: 1 };
    let cache = RepositoryCache::new(spec, inner.config.log.clone(), options).await.map_err(cache_err)?;
    let started = Instant::now();
    // The saved index needs no fetch: only a full discovery waits for a sync's turn.
    let saved = cache.open_saved().await.map_err(cache_err)?;
    drop(undecided);
    if saved.is_none() {
        serving_first(inner).await;
        let _permit = inner.syncs.clone().acquire_owned().await;
        cache.open().await.map_err(cache_err)?;
    }
    tracing::info!(
        repository = %repository,
        revisions = cache.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "repository opened"
    );
    Ok(cache)
}

/// The credentials in Secret `secret` of `namespace`, if a Repository names one.
async fn read_credentials(
    inner: &Inner,
    namespace: &str,
    name: &str,
    secret: Option<String>,
) -> Result<Option<crate::git::Credentials>, OpenError> {
    let Some(secret) = secret else { return Ok(None) };
    credentials::read(&inner.config.client, namespace, &secret).await.map(Some).map_err(|source| {
        OpenError::Credentials { repository: format!("{namespace}/{name}"), source: Arc::new(source) }
    })
}

/// The PEM CA bundle of the namespace's private git servers: key `ca.crt` of the Secret
/// `<namespace>-ca-bundle`, as in Porch; none when there is no such Secret, or when it cannot be
/// read or does not decode (then the system roots apply, and a certificate error says why the
/// remote is refused).
async fn ca_bundle(client: &kube::Client, namespace: &str) -> Option<Vec<u8>> {
    let name = format!("{namespace}-ca-bundle");
    let secret = credentials::read_secret(client, namespace, &name).await.ok().flatten()?;
    secret.data?.get("ca.crt").map(|b| b.0.clone())
}

async fn close_entry(entry: Entry) {
    let Ok(cache) = entry.open.await else { return };
    match cache.close().await {
        Ok(_) => super::metrics::closed(&cache),
        Err(e) => {
            tracing::warn!(error = %crate::error_chain::with_causes(&e), "closing a repository cache failed");
        }
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
pub(crate) mod tests;
