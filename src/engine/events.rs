//! The event pump: every change of a PackageRevision, its resources and its package, exactly
//! once and in resourceVersion order, into the three [`WatcherManager`]s.
//!
//! Changes come from two places: the repository caches (their events carry resourceVersions the
//! caches reserved from the store's counter) and the PackageRev objects in the store (metadata).
//! The pump follows the store's resourceVersion sequence ([`Store::follow_sequence`]), in which
//! every number appears once — as a store change or inside a reservation — and, at each
//! reservation, waits for the caches' events carrying those numbers. So the managers publish in
//! strict resourceVersion order whatever the interleaving of concurrent writers, and a watch that
//! resumes from any resourceVersion gets exactly the changes after it.
//!
//! Events produced, per cache event: the PackageRevision (ADDED/MODIFIED/DELETED), its
//! PackageRevisionResources (the same, files read only if someone watches them), and the
//! PorchPackage when it appears, disappears or its latest revision moves; per PackageRev change
//! of an existing revision: MODIFIED of the PackageRevision and its resources.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use porch_api::PackageRev;
use porch_api::gvk::{PACKAGE_REVISION, PACKAGE_REVISION_RESOURCES, PORCH_PACKAGE};
use porch_api::names::package_name;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;

use super::metadata::{UserMeta, key_of, meta_rv};
use super::objects::{self, RepoFacts};
use super::registry::Registry;
use super::resources::from_files;
use crate::cache::watch::{Change, ChangeType, WatcherManager};
use crate::cache::{CacheEvent, CachedPackage, CachedRevision, RepositoryCache, latest_candidate};
use crate::crdstore::{ListOptions, Sequenced, Store, StoredKind, WatchEventType};
use crate::git::GitRepository;
use crate::rv_window::EventBudget;

/// How long the pump waits for the cache event of a reserved resourceVersion before it gives
/// it up (a write cancelled between reserving and publishing; never expected).
const GAP_TIMEOUT: Duration = Duration::from_secs(5);

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

    fn advance(&self, rv: u64) {
        self.revisions.advance(rv);
        self.resources.advance(rv);
        self.packages.advance(rv);
    }
}

type Key = (String, String);

/// What the pump knows of one package: its revisions (and their number when they may be the
/// latest), and the latest revision last published.
struct PackageState {
    repository: String,
    package: String,
    members: HashMap<String, i32>,
    latest: i32,
}

struct Pump {
    watches: Watches,
    registry: Registry,
    store: Store,
    caches: UnboundedReceiver<CacheEvent>,
    early: BTreeMap<u64, CacheEvent>,
    metas: HashMap<Key, Arc<PackageRev>>,
    revisions: HashMap<Key, Arc<CachedRevision>>,
    packages: HashMap<Key, PackageState>,
    facts: HashMap<Key, RepoFacts>,
}

/// Runs the pump: `sequence` from [`Store::follow_sequence`] (taken when `watches` were made),
/// the caches' events from the registry. Ends when the store goes away.
pub(crate) async fn run(
    watches: Watches,
    registry: Registry,
    store: Store,
    mut sequence: UnboundedReceiver<Sequenced>,
) {
    let Some(caches) = registry.take_events() else {
        tracing::error!("the cache events are already consumed; watches get no events");
        return;
    };
    let mut pump = Pump {
        watches,
        registry,
        store,
        caches,
        early: BTreeMap::new(),
        metas: HashMap::new(),
        revisions: HashMap::new(),
        packages: HashMap::new(),
        facts: HashMap::new(),
    };
    pump.load_metas().await;
    while let Some(step) = sequence.recv().await {
        match step {
            Sequenced::Reserved { first, count } => {
                for rv in first..first + count {
                    if let Some(event) = pump.cache_event(rv).await {
                        pump.on_cache_event(event);
                    }
                    pump.watches.advance(rv);
                }
            }
            Sequenced::Change { rv, kind: StoredKind::PackageRev, namespace, name, event_type, object } => {
                pump.on_meta(rv, (namespace, name), event_type, &object);
                pump.watches.advance(rv);
            }
            Sequenced::Change { rv, .. } => pump.watches.advance(rv),
        }
    }
}

fn parse_rev(object: &Value) -> Option<PackageRev> {
    PackageRev::deserialize(object).ok()
}

impl Pump {
    /// The PackageRevs as the store holds them now (the sequence brings every later change).
    async fn load_metas(&mut self) {
        match self.store.list(StoredKind::PackageRev, None, &ListOptions::default()).await {
            Ok(page) => {
                for object in &page.items {
                    if let Some(rev) = parse_rev(object) {
                        self.metas.insert(key_of(&rev), Arc::new(rev));
                    }
                }
            }
            Err(e) => tracing::error!(error = %e.with_causes(), "listing PackageRevs for the watches failed"),
        }
    }

    /// The cache event carrying `rv`, waiting for it if it has not arrived yet.
    async fn cache_event(&mut self, rv: u64) -> Option<CacheEvent> {
        loop {
            if let Some(event) = self.early.remove(&rv) {
                return Some(event);
            }
            match tokio::time::timeout(GAP_TIMEOUT, self.caches.recv()).await {
                Ok(Some(event)) if event.resource_version == rv => return Some(event),
                Ok(Some(event)) if event.resource_version > rv => {
                    self.early.insert(event.resource_version, event);
                }
                Ok(Some(event)) => {
                    tracing::warn!(
                        rv = event.resource_version,
                        "a cache event arrived after its turn; dropped"
                    );
                }
                Ok(None) => return None,
                Err(_) => {
                    tracing::warn!(rv, "no cache event for a reserved resourceVersion; skipped");
                    return None;
                }
            }
        }
    }

    /// The Repository facts of a revision's objects, remembered for when its cache is gone.
    fn facts(&mut self, rev: &CachedRevision) -> (RepoFacts, Option<RepositoryCache>) {
        let key = (rev.namespace.clone(), rev.repository.clone());
        let open = self.registry.get_open_with_deployment(&rev.namespace, &rev.repository);
        let cache = open.map(|(cache, deployment)| {
            let facts = RepoFacts { url: cache.git().config().url.clone(), deployment };
            self.facts.insert(key.clone(), facts);
            cache
        });
        (self.facts.get(&key).cloned().unwrap_or_default(), cache)
    }

    fn on_cache_event(&mut self, event: CacheEvent) {
        let rev = event.revision;
        let key = (rev.namespace.clone(), rev.name.clone());
        let change_type = ChangeType::from(event.event_type);
        if change_type == ChangeType::Deleted {
            self.revisions.remove(&key);
        } else {
            self.revisions.insert(key.clone(), rev.clone());
        }
        self.publish_revision(event.resource_version, change_type, &rev);
        self.on_package(event.resource_version, &rev, change_type == ChangeType::Deleted);
    }

    /// Publishes a change of a revision's PackageRevision and PackageRevisionResources.
    fn publish_revision(&mut self, rv: u64, change_type: ChangeType, rev: &Arc<CachedRevision>) {
        let key = (rev.namespace.clone(), rev.name.clone());
        let meta = self.metas.get(&key).cloned();
        let (facts, cache) = self.facts(rev);
        let object = objects::package_revision_json(rev, meta.as_deref(), &facts);
        let prev = self.watches.revisions.current(&key.0, &key.1);
        let (ns, name) = key;
        self.watches.revisions.publish(Change::new(
            rv,
            change_type,
            &ns,
            &name,
            object.clone(),
            prev.clone(),
        ));
        // Weakly: a closed repository is not kept open by the events in the window. The metadata
        // comes from the PackageRevision the change holds anyway, not from a copy of the PackageRev
        // (a 1 MiB annotation would otherwise be held once more by every event in the window).
        let git = cache.map(|c| c.git().downgrade());
        let (loader_rev, revision) = (rev.clone(), object.clone());
        let loader = Box::new(move || {
            let (git, rev, revision) =
                (git.as_ref().and_then(|g| g.upgrade()), loader_rev.clone(), revision.clone());
            Box::pin(async move { resources_json(git, &rev, &revision).await })
                as futures::future::BoxFuture<'static, Option<Value>>
        });
        self.watches
            .resources
            .publish(Change::new(rv, change_type, ns, name, object, prev).delivering(loader));
    }

    /// Keeps the package of `rev` up to date; publishes it when it appears, disappears or its
    /// latest revision moves.
    fn on_package(&mut self, rv: u64, rev: &CachedRevision, deleted: bool) {
        let d = &rev.revision;
        let key = (rev.namespace.clone(), package_name(&rev.repository, &d.package));
        let state = self.packages.entry(key.clone()).or_insert_with(|| PackageState {
            repository: rev.repository.clone(),
            package: d.package.clone(),
            members: HashMap::new(),
            latest: 0,
        });
        let existed = !state.members.is_empty();
        if deleted {
            state.members.remove(&rev.name);
        } else {
            state.members.insert(rev.name.clone(), if latest_candidate(d) { d.revision } else { 0 });
        }
        let latest = state.members.values().copied().max().unwrap_or(0);
        let exists = !state.members.is_empty();
        let change_type = match (existed, exists) {
            (false, true) => Some(ChangeType::Added),
            (true, false) => Some(ChangeType::Deleted),
            (true, true) if latest != state.latest => Some(ChangeType::Modified),
            _ => None,
        };
        state.latest = latest;
        if let Some(change_type) = change_type {
            let package = CachedPackage {
                namespace: key.0.clone(),
                repository: state.repository.clone(),
                name: key.1.clone(),
                package: state.package.clone(),
                latest_revision: latest,
            };
            let object = serde_json::to_value(objects::porch_package(&package, rv)).map(Arc::new);
            if let Ok(object) = object {
                let prev = self.watches.packages.current(&package.namespace, &package.name);
                let (ns, name) = (package.namespace, package.name);
                self.watches.packages.publish(Change::new(rv, change_type, ns, name, object, prev));
            }
        }
        if !exists {
            self.packages.remove(&key);
        }
    }

    /// A PackageRev changed: remember it and, if its revision exists and what users see of its
    /// metadata changed, publish the revision again. (The server's own bookkeeping — a
    /// PackageRev made for a discovered revision — changes nothing users see.)
    fn on_meta(&mut self, rv: u64, key: Key, event_type: WatchEventType, object: &Value) {
        let old = self.metas.get(&key).cloned();
        let new = if event_type == WatchEventType::Deleted {
            self.metas.remove(&key);
            None
        } else {
            let Some(rev) = parse_rev(object) else { return };
            let rv_of = |m: &PackageRev| meta_rv(m).unwrap_or(0);
            if old.as_ref().is_some_and(|old| rv_of(old) >= rv_of(&rev)) {
                return; // the initial list was newer already
            }
            let rev = Arc::new(rev);
            self.metas.insert(key.clone(), rev.clone());
            Some(rev)
        };
        let visible = |m: &Option<Arc<PackageRev>>| {
            m.as_deref().map(|m| (UserMeta::of(m), m.metadata.deletion_timestamp.clone())).unwrap_or_default()
        };
        if visible(&old) == visible(&new) {
            return;
        }
        if let Some(rev) = self.revisions.get(&key).cloned() {
            self.publish_revision(rv, ChangeType::Modified, &rev);
        }
    }
}

/// The PackageRevisionResources of a revision as JSON (no files once its repository is closed),
/// with the metadata of its PackageRevision `revision` (less the finalizers, which the
/// PackageRevisionResources does not carry).
async fn resources_json(git: Option<GitRepository>, rev: &CachedRevision, revision: &Value) -> Option<Value> {
    let resources = match git {
        Some(git) => match git.read_tree(rev.revision.tree).await {
            Ok(files) => from_files(&files).unwrap_or_default(),
            Err(e) => {
                tracing::warn!(revision = %rev.name, error = %crate::error_chain::with_causes(&e), "reading files for a watch failed");
                Default::default()
            }
        },
        None => Default::default(),
    };
    let mut object = serde_json::to_value(objects::package_revision_resources(rev, None, resources)).ok()?;
    let mut metadata = revision.get("metadata").cloned().unwrap_or_default();
    if let Some(fields) = metadata.as_object_mut() {
        fields.remove("finalizers");
    }
    object["metadata"] = metadata;
    Some(object)
}
