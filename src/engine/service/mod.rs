//! [`Engine`]: the package lifecycle over the repository caches, the PackageRev metadata and
//! the per-object try-locks — what REST storage calls for every verb of PackageRevision,
//! PackageRevisionResources and PorchPackage.
//!
//! - [`read`]: get, and the Repositories, revisions and packages lists are made of, in Porch's
//!   list order;
//! - [`create`]: create with its task (init, clone, edit) and rollback;
//! - [`update`]: updates of the main resource and of `approval`;
//! - [`delete`]: delete, finalizers included;
//! - [`resources`]: PackageRevisionResources reads and updates (render);
//! - [`error`]: [`ServiceError`], the typed failure of every call (the step, the object, the
//!   cause), which `rest/errors.rs` maps to API errors.
//!
//! Every write holds the object's try-lock for its whole git operation (§8.4) and answers only
//! once the remote accepted it.

mod cluster;
mod create;
mod delete;
mod error;
mod read;
mod rendering;
mod resources;
mod update;
mod upstream;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use error::ServiceError;
use porch_api::gvk::{PACKAGE_REVISION, REPOSITORY, ResourceInfo};
use porch_api::{PackageRev, Repository};
use porch_layers::object_meta::names::dns1123_label;
pub(crate) use read::{ListedRevision, SortKey};

use super::Files;
use super::metadata::{Metadata, UserMeta};
use super::objects::{self, RepoFacts};
use super::render::Functions;
use super::render::exec::{ExecRunner, ExecSettings};
use super::render::grpc::FunctionRunner;
use super::trylock::{TryLockGuard, TryLocks};
use crate::cache::registry::{Registry, RegistryConfig};
use crate::cache::watch::Watches;
use crate::cache::{CachedRevision, RepositoryCache};
use cluster::Cluster;
use error::Result;

/// Who asks, where, and whether anything may change.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The request namespace.
    pub(crate) namespace: String,
    /// The requesting user (commit author, `publishedBy`), when known.
    pub(crate) user: Option<String>,
    /// `dryRun=All`: check everything, change nothing.
    pub(crate) dry_run: bool,
}

/// What the engine is built from, fixed at start-up.
#[derive(Clone)]
pub(crate) struct EngineConfig {
    /// The client for Repository, PackageRev and Secret objects.
    pub(crate) client: kube::Client,
    /// The server's data directory.
    pub(crate) data_dir: PathBuf,
    /// `--repo-operation-retry-attempts`.
    pub(crate) retry_attempts: u32,
    /// `--max-concurrent-syncs`.
    pub(crate) max_concurrent_syncs: usize,
    /// `--max-concurrent-lists`: repositories listed at once.
    pub(crate) max_concurrent_lists: usize,
    /// `--list-timeout-per-repository`.
    pub(crate) list_timeout: Duration,
    /// The watch managers the event pump feeds.
    pub(crate) watches: Watches,
    /// `--default-image-prefix`.
    pub(crate) default_image_prefix: String,
    /// `--function-runner`, when set: functions the builtins do not serve run there.
    pub(crate) function_runner: Option<FunctionRunner>,
    /// `--allow-exec`: images a FunctionConfig's `binaryExecutor` names run as that binary.
    pub(crate) exec: Option<ExecSettings>,
}

/// The package engine. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Engine {
    client: kube::Client,
    cluster: Arc<Cluster>,
    registry: Registry,
    metadata: Metadata,
    locks: TryLocks,
    functions: Arc<Functions>,
    watches: Watches,
    data_dir: PathBuf,
    /// Read-only mirrors of unregistered clone upstreams, by remote and credentials.
    upstreams: Arc<std::sync::Mutex<std::collections::HashMap<String, crate::git::GitRepository>>>,
    max_concurrent_lists: usize,
    list_timeout: Duration,
    /// Each repository's revisions encoded for full lists.
    segments: Arc<crate::engine::segments::Segments>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("registry", &self.registry).finish_non_exhaustive()
    }
}

/// One revision found by name, with everything its objects are built from.
pub(crate) struct Found {
    pub(crate) repo: Repository,
    pub(crate) cache: RepositoryCache,
    pub(crate) rev: Arc<CachedRevision>,
    pub(crate) meta: Option<Arc<PackageRev>>,
}

impl Found {
    /// The facts of its Repository.
    pub(crate) fn facts(&self) -> RepoFacts {
        RepoFacts::of(&self.repo)
    }

    /// Its PackageRevision.
    pub(crate) fn object(&self) -> porch_api::PackageRevision {
        objects::package_revision(&self.rev, self.meta.as_deref(), &self.facts())
    }

    /// Its current resourceVersion.
    pub(crate) fn resource_version(&self) -> u64 {
        objects::resource_version(&self.rev, self.meta.as_deref())
    }
}

impl Engine {
    /// An engine over `config`.
    pub(crate) fn new(config: EngineConfig) -> Self {
        let metadata = Metadata::new(config.client.clone());
        let registry = Registry::new(RegistryConfig {
            client: config.client.clone(),
            data_dir: config.data_dir.clone(),
            log: Arc::new(metadata.clone()),
            retry_attempts: config.retry_attempts,
            max_concurrent_syncs: config.max_concurrent_syncs,
        });
        let cluster = Arc::new(Cluster::new(config.client.clone()));
        let functions = functions(&config, &cluster);
        Self {
            metadata,
            cluster,
            client: config.client,
            registry,
            locks: TryLocks::default(),
            functions: Arc::new(functions),
            watches: config.watches,
            data_dir: config.data_dir,
            upstreams: Arc::default(),
            max_concurrent_lists: config.max_concurrent_lists.max(1),
            list_timeout: config.list_timeout,
            segments: Arc::default(),
        }
    }

    /// The registry of open repositories.
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The PackageRev metadata of every revision.
    pub(crate) fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The resourceVersion a list reports: the newest one whose changes the watches have
    /// published (a watch from it misses nothing, at worst repeats a change the list showed).
    pub(crate) fn resource_version(&self) -> u64 {
        self.watches.revisions.resource_version()
    }

    /// The watch managers of the porch.kpt.dev resources.
    pub(crate) fn watches(&self) -> &Watches {
        &self.watches
    }

    /// The client the engine reads Repositories with.
    pub(crate) fn client(&self) -> &kube::Client {
        &self.client
    }

    /// Refuses new objects in `namespace` when it does not exist or is being deleted, as
    /// kube-apiserver's NamespaceLifecycle admission does (the PackageRev written for the new
    /// revision would be refused after the git commit otherwise).
    pub(crate) async fn admit_namespace(&self, namespace: &str) -> Result<()> {
        let closed =
            |terminating| ServiceError::NamespaceClosed { namespace: namespace.to_string(), terminating };
        match self.cluster.namespace(namespace).await? {
            None => Err(closed(false)),
            Some(ns)
                if ns.metadata.deletion_timestamp.is_some()
                    || ns.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating") =>
            {
                Err(closed(true))
            }
            Some(_) => Ok(()),
        }
    }

    /// Repository `namespace/name`: [`ServiceError::NotFound`] when it does not exist (or no
    /// Repository can be called so: such a name never reaches the client as a request it cannot
    /// build, or as another path), [`ServiceError::UndecodableRepository`] when its stored object
    /// does not decode.
    pub(crate) async fn repository(&self, namespace: &str, name: &str) -> Result<Repository> {
        if !dns1123_label(name).is_empty() || !dns1123_label(namespace).is_empty() {
            return Err(ServiceError::not_found(&REPOSITORY, name));
        }
        match self.cluster.repository(namespace, name).await? {
            Some(stored) => stored.into_object().map_err(|e| ServiceError::UndecodableRepository {
                namespace: namespace.to_string(),
                name: name.to_string(),
                reason: e.to_string(),
            }),
            None => Err(ServiceError::not_found(&REPOSITORY, name)),
        }
    }

    /// The open cache of `repo`.
    pub(crate) async fn cache(&self, repo: &Repository) -> Result<RepositoryCache> {
        Ok(self.registry.get(repo).await?)
    }

    /// The revision named `name` in `namespace`: not found when the name cannot be a revision's
    /// or no such revision exists; its Repository not found when that is missing (as Porch
    /// answers).
    pub(crate) async fn find(
        &self,
        info: &'static ResourceInfo,
        namespace: &str,
        name: &str,
    ) -> Result<Found> {
        let key = porch_api::parse_package_revision_name(name).map_err(|_| not_found(info, name))?;
        let repo = self.repository(namespace, &key.repository).await?;
        let cache = self.cache(&repo).await?;
        let rev = cache.get(name).ok_or_else(|| not_found(info, name))?;
        self.metadata.ready().await?;
        let meta = self.metadata.get(namespace, name);
        Ok(Found { repo, cache, rev, meta })
    }

    /// Re-reads a found revision after a write.
    pub(crate) fn refound(&self, found: &Found, name: &str) -> Result<Found> {
        let rev = found.cache.get(name).ok_or_else(|| not_found(&PACKAGE_REVISION, name))?;
        let meta = self.metadata.get(&found.rev.namespace, name);
        Ok(Found { repo: found.repo.clone(), cache: found.cache.clone(), rev, meta })
    }

    /// The try-lock of revision `namespace/name` (one for its PackageRevision and its
    /// PackageRevisionResources), or a conflict on `info`/`name` with Porch's reason
    /// `another request is already in progress on <what> "<namespace>/<name>"`.
    fn lock_revision(
        &self,
        info: &'static ResourceInfo,
        what: &str,
        namespace: &str,
        name: &str,
    ) -> Result<TryLockGuard> {
        let key = format!("{namespace}/{name}");
        let busy = format!("another request is already in progress on {what} \"{key}\"");
        self.lock(key, info, name, &busy)
    }

    /// Writes `user` as the PackageRev of revision `namespace/name` in `repository`.
    async fn put_meta(&self, namespace: &str, name: &str, repository: &str, user: &UserMeta) -> Result<()> {
        self.metadata.put(namespace, name, repository, user).await?;
        Ok(())
    }

    /// The try-lock of `key`, or a conflict on `resource`/`name` with `busy` as the reason.
    pub(crate) fn lock(
        &self,
        key: String,
        info: &'static ResourceInfo,
        name: &str,
        busy: &str,
    ) -> Result<TryLockGuard> {
        self.locks.try_lock(key).ok_or_else(|| ServiceError::conflict(info, name, busy))
    }
}

/// The runtimes of the engine's renders: the builtins, then (with `--allow-exec`) the binaries
/// FunctionConfigs name, then the function runner when one is configured. Exec and the runner
/// need the async runtime the engine is built in; without one (a tool opening the server outside
/// tokio) they are left out, with an error logged.
fn functions(config: &EngineConfig, cluster: &Arc<Cluster>) -> Functions {
    use super::render::grpc::GrpcRunner;
    let prefix = config.default_image_prefix.as_str();
    let handle = tokio::runtime::Handle::try_current().map_err(|e| e.to_string());
    let exec = config.exec.as_ref().and_then(|settings| match &handle {
        Ok(handle) => {
            let configs = cluster::ClusterFunctionConfigs { cluster: cluster.clone(), handle: handle.clone() };
            tracing::info!(functions_dir = %settings.functions_dir.display(), "images FunctionConfigs name binaries for run as those binaries");
            Some(ExecRunner::new(Arc::new(configs), prefix, settings.clone()))
        }
        Err(e) => {
            tracing::error!(error = %e, "--allow-exec cannot be used");
            None
        }
    });
    let runner = config.function_runner.as_ref().and_then(|runner| {
        let client = handle
            .clone()
            .and_then(|handle| GrpcRunner::new(runner, prefix, handle).map_err(|e| e.to_string()));
        match client {
            Ok(client) => {
                tracing::info!(address = %runner.address, "functions the builtins do not serve go to the runner");
                Some(client)
            }
            Err(e) => {
                tracing::error!(address = %runner.address, error = %e, "the function runner cannot be used");
                None
            }
        }
    });
    Functions::chain(prefix, exec, runner)
}

/// The files of a revision, read from its repository's mirror.
pub(super) async fn files_of(cache: &RepositoryCache, rev: &CachedRevision) -> Result<Files> {
    cache.git().read_tree(rev.revision.tree).await.map_err(|source| ServiceError::Git {
        step: format!("read the files of package revision {}", rev.name),
        source,
    })
}

/// Not found: `name` of `info`.
pub(crate) fn not_found(info: &'static ResourceInfo, name: &str) -> ServiceError {
    ServiceError::not_found(info, name)
}
