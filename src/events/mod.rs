//! The event pump: every change of a PackageRevision, its resources and its package, exactly
//! once and in resourceVersion order, into the three [`WatcherManager`]s.
//!
//! Every change of a revision is a write of its PackageRev ([`crate::cache::ChangeLog`]), so
//! the pump follows one list+watch of PackageRevs through `kube::Api` (the embedded store in
//! standalone mode, kube-apiserver in a cluster): their order is the total order of the
//! porch.kpt.dev resources, their resourceVersions are the revisions', and bookmarks move the
//! watches on. Each PackageRev change is joined with what the caches tell ([`CacheMessage`]):
//! a cache announces the revisions a batch will write before writing them, so a PackageRev
//! change of an announced revision waits for the batch's event with the same resourceVersion
//! (the content, from the cache); any other PackageRev change is one of metadata (labels,
//! annotations, finalizers, deletion), published as MODIFIED of the revision when users see it.
//! A cache event that no PackageRev change matches (a state recorded before, such as every
//! revision found unchanged on a restart) only updates what the pump knows.
//!
//! The watch resumes from the last resourceVersion; if the PackageRevs' window has moved past
//! it (`410 Expired`), the pump lists again and restarts the managers' windows there, so every
//! watch that could have missed a change gets its own 410 and lists again.
//!
//! Events produced, per cache event: the PackageRevision (ADDED/MODIFIED/DELETED), its
//! PackageRevisionResources (the same, files read only if someone watches them), and the
//! PorchPackage when it appears, disappears or its latest revision moves; per metadata change
//! of an existing revision: MODIFIED of the PackageRevision and its resources.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use porch_api::PackageRev;
use porch_api::names::package_name;
use porch_controllers::Stored;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::cache::registry::Registry;
use crate::cache::watch::{Change, ChangeType, Watches};
use crate::cache::{
    CacheEvent, CacheMessage, CachedPackage, CachedRevision, RepositoryCache, latest_candidate,
};
use crate::engine::objects::{self, RepoFacts};
use crate::engine::resources::from_files;
use crate::git::GitRepository;
use crate::json_object::JsonObject;
use crate::metadata::{Metadata, MetadataError, UserMeta, key_of};

mod seen;
use seen::Seen;

/// How long the pump waits for the event of an announced batch before it takes a PackageRev
/// change for one of metadata (a batch stuck writing; never expected).
const GAP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the pump waits before it lists or watches again after a failure.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// How long one watch request of PackageRevs lasts before it is renewed.
const WATCH_TIMEOUT_SECONDS: u32 = 290;

type Key = (String, String);

/// What the pump knows of one package: its revisions (and their number when they may be the
/// latest), and the latest revision last published.
struct PackageState {
    repository: String,
    package: String,
    members: HashMap<String, i32>,
    latest: i32,
}

/// How the watch of PackageRevs ended.
enum Ended {
    /// Renew it from the last resourceVersion.
    Renew,
    /// Its resourceVersion is too old: list again.
    Expired,
}

/// Why the PackageRevs could not be listed.
#[derive(Debug, thiserror::Error)]
enum ListError {
    #[error(transparent)]
    Api(#[from] kube::Error),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
}

struct Pump {
    watches: Watches,
    registry: Registry,
    /// The server's PackageRev metadata store: its first list is the pump's on a restart.
    metadata: Metadata,
    caches: UnboundedReceiver<CacheMessage>,
    /// The resourceVersion the watches are complete up to.
    position: u64,
    /// The last watch of PackageRevs ended with 410: the next list restarts the windows.
    expired: bool,
    /// Cache events ahead of `position`, waiting for their PackageRev change.
    early: BTreeMap<u64, CacheEvent>,
    /// Revisions of batches announced and not over, with how many batches.
    in_flight: HashMap<Key, usize>,
    /// What a PackageRevision shows of the PackageRev of every revision.
    metas: HashMap<Key, Seen>,
    revisions: HashMap<Key, Arc<CachedRevision>>,
    packages: HashMap<Key, PackageState>,
    facts: HashMap<Key, RepoFacts>,
}

/// Runs the pump over `client`'s PackageRevs (as `metadata` holds them, on a restart) and the
/// registry's caches, publishing into `watches` (whose resourceVersion is where it starts). Runs
/// until aborted.
pub(crate) async fn run(watches: Watches, registry: Registry, client: kube::Client, metadata: Metadata) {
    let Some(caches) = registry.take_events() else {
        tracing::error!("the cache events are already consumed; watches get no events");
        return;
    };
    let mut pump = Pump::new(watches, registry, caches, metadata);
    let api: Api<Stored<PackageRev>> = Api::all(client);
    loop {
        if let Err(e) = pump.list(&api).await {
            tracing::warn!(error = %crate::error_chain::with_causes(&e), "listing PackageRevs for the watches failed; retrying");
            tokio::time::sleep(RETRY_AFTER).await;
            continue;
        }
        loop {
            match pump.follow(&api).await {
                Ok(Ended::Renew) => {}
                Ok(Ended::Expired) => break,
                Err(e) => {
                    tracing::warn!(error = %crate::error_chain::with_causes(&e), "watching PackageRevs for the watches failed; retrying");
                    tokio::time::sleep(RETRY_AFTER).await;
                }
            }
        }
    }
}

impl Pump {
    /// A pump that knows nothing yet, at the resourceVersion the watches start from.
    fn new(
        watches: Watches,
        registry: Registry,
        caches: UnboundedReceiver<CacheMessage>,
        metadata: Metadata,
    ) -> Self {
        let position = watches.revisions.resource_version();
        Self {
            watches,
            registry,
            metadata,
            caches,
            position,
            expired: false,
            early: BTreeMap::new(),
            in_flight: HashMap::new(),
            metas: HashMap::new(),
            revisions: HashMap::new(),
            packages: HashMap::new(),
            facts: HashMap::new(),
        }
    }

    /// Lists the PackageRevs: what they are now, and (when the list is newer than what the
    /// watches have) the point the windows start afresh from.
    ///
    /// When the watches start from a known resourceVersion (a restart of the standalone server)
    /// and have not expired, no point is needed: the metadata store's first list answers, which
    /// every PackageRev was decoded for once already (listing them again cost as much again, on
    /// the cores a restart's first list waits for). It is as new as the watches' start or newer,
    /// as a list of the API would be.
    async fn list(&mut self, api: &Api<Stored<PackageRev>>) -> Result<(), ListError> {
        if self.position > 0 && !self.expired {
            self.metadata.ready().await?;
            let watched = self.metadata.watched();
            self.metas =
                watched.iter().map(|rev| (key_of(rev), Seen::of_meta(rev.metadata.clone()))).collect();
            return Ok(());
        }
        let list = api.list(&ListParams::default()).await?;
        let rv = list.metadata.resource_version.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
        self.metas = list
            .items
            .into_iter()
            .filter_map(|stored| Some((key_of(stored.object().ok()?), Seen::of(stored)?)))
            .collect();
        // On the first list the watch resumes from where the watches start (the changes in
        // between are replayed); after a 410 that point is gone and so is every watch's.
        if self.position == 0 || self.expired {
            self.expired = false;
            if rv > self.position {
                self.watches.restart(rv);
                self.moved_to(rv);
            }
        }
        Ok(())
    }

    /// Watches the PackageRevs from the current position until the watch ends.
    async fn follow(&mut self, api: &Api<Stored<PackageRev>>) -> Result<Ended, kube::Error> {
        let params = WatchParams::default().timeout(WATCH_TIMEOUT_SECONDS);
        let mut stream = std::pin::pin!(api.watch(&params, &self.position.to_string()).await?);
        while let Some(event) = stream.next().await {
            match event? {
                WatchEvent::Added(rev) | WatchEvent::Modified(rev) => self.on_package_rev(rev, false).await,
                WatchEvent::Deleted(rev) => self.on_package_rev(rev, true).await,
                WatchEvent::Bookmark(mark) => {
                    if let Ok(rv) = mark.metadata.resource_version.parse::<u64>() {
                        self.drain();
                        self.moved_to(rv);
                    }
                }
                WatchEvent::Error(status) if status.code == 410 => {
                    tracing::info!("the PackageRevs' watch expired; listing again");
                    self.expired = true;
                    return Ok(Ended::Expired);
                }
                WatchEvent::Error(status) => {
                    tracing::warn!(code = status.code, reason = %status.reason, message = %status.message, "the PackageRevs' watch failed; renewing it");
                    tokio::time::sleep(RETRY_AFTER).await;
                    return Ok(Ended::Renew);
                }
            }
        }
        Ok(Ended::Renew)
    }

    /// The watches are complete up to `rv`: cache events at or before it that no PackageRev
    /// change matched only update what the pump knows.
    fn moved_to(&mut self, rv: u64) {
        if rv <= self.position {
            return;
        }
        self.position = rv;
        let later = self.early.split_off(&(rv + 1));
        for (_, event) in std::mem::replace(&mut self.early, later) {
            self.on_cache_event(event, false);
        }
        self.watches.advance(rv);
    }

    /// Takes one message of the caches.
    fn take(&mut self, message: CacheMessage) {
        match message {
            CacheMessage::Recording(keys) => {
                for key in keys {
                    *self.in_flight.entry(key).or_default() += 1;
                }
            }
            CacheMessage::Recorded(keys) => {
                for key in keys {
                    if let Some(n) = self.in_flight.get_mut(&key) {
                        *n -= 1;
                        if *n == 0 {
                            self.in_flight.remove(&key);
                        }
                    }
                }
            }
            CacheMessage::Event(event) if event.resource_version > self.position => {
                self.early.insert(event.resource_version, event);
            }
            CacheMessage::Event(event) => self.on_cache_event(event, false),
        }
    }

    /// Takes every message of the caches already sent.
    fn drain(&mut self) {
        while let Ok(message) = self.caches.try_recv() {
            self.take(message);
        }
    }

    /// The cache event of the PackageRev change of `key` at `rv`, if a cache made it: waits
    /// while a batch announced for `key` may still bring it.
    async fn cache_event(&mut self, rv: u64, key: &Key) -> Option<CacheEvent> {
        self.drain();
        loop {
            if let Some(event) = self.early.remove(&rv) {
                return Some(event);
            }
            let later = self
                .early
                .range(rv..)
                .any(|(_, e)| e.revision.namespace == key.0 && e.revision.name == key.1);
            if later || !self.in_flight.contains_key(key) {
                return None;
            }
            match tokio::time::timeout(GAP_TIMEOUT, self.caches.recv()).await {
                Ok(Some(message)) => self.take(message),
                Ok(None) => return None,
                Err(_) => {
                    tracing::warn!(rv, revision = %key.1, "no cache event for a PackageRev change of a revision being written; taken for metadata");
                    return None;
                }
            }
        }
    }

    /// A PackageRev changed (or went away): publish the cache's change it records, or the
    /// metadata change users see.
    async fn on_package_rev(&mut self, stored: Stored<PackageRev>, deleted: bool) {
        let meta = kube::Resource::meta(&stored);
        let Some(rv) = meta.resource_version.as_deref().and_then(|v| v.parse::<u64>().ok()) else { return };
        if rv <= self.position {
            return;
        }
        let key = (meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default());
        let event = self.cache_event(rv, &key).await;
        let visible_before = self.visible(&key);
        let seen = if deleted { None } else { Seen::of(stored) };
        self.remember_meta(key.clone(), seen);
        match event {
            Some(event) => self.on_cache_event(event, true),
            None if self.visible(&key) != visible_before => {
                if let Some(rev) = self.revisions.get(&key).cloned() {
                    self.publish_revision(rv, ChangeType::Modified, &rev);
                }
            }
            None => {}
        }
        self.moved_to(rv);
    }

    /// Keeps `seen` of the PackageRev of `key` (forgets it when `None`), unless what is kept is
    /// newer (the list came after this change).
    fn remember_meta(&mut self, key: Key, seen: Option<Seen>) {
        match seen {
            Some(seen) => {
                if self.metas.get(&key).is_some_and(|old| old.rv() >= seen.rv()) {
                    return;
                }
                self.metas.insert(key, seen);
            }
            None => {
                self.metas.remove(&key);
            }
        }
    }

    /// What users see of the metadata of `key`.
    fn visible(&self, key: &Key) -> (UserMeta, Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>) {
        self.metas.get(key).map(Seen::visible).unwrap_or_default()
    }

    /// The Repository facts of a revision's objects (known while its repository's first open
    /// still runs, and remembered for when it is gone), and its cache if open.
    fn facts(&mut self, rev: &CachedRevision) -> (RepoFacts, Option<RepositoryCache>) {
        let key = (rev.namespace.clone(), rev.repository.clone());
        let cache = self.registry.followed(&rev.namespace, &rev.repository).and_then(|followed| {
            self.facts.insert(key.clone(), RepoFacts { url: followed.url, deployment: followed.deployment });
            followed.cache
        });
        (self.facts.get(&key).cloned().unwrap_or_default(), cache)
    }

    /// A change of a cache: kept, and published when `publish` (its PackageRev change came).
    fn on_cache_event(&mut self, event: CacheEvent, publish: bool) {
        let rev = event.revision;
        let key = (rev.namespace.clone(), rev.name.clone());
        let change_type = ChangeType::from(event.event_type);
        if change_type == ChangeType::Deleted {
            self.revisions.remove(&key);
        } else {
            self.revisions.insert(key, rev.clone());
        }
        if publish {
            self.publish_revision(event.resource_version, change_type, &rev);
        }
        self.on_package(event.resource_version, &rev, change_type == ChangeType::Deleted, publish);
    }

    /// Publishes a change of a revision's PackageRevision and PackageRevisionResources.
    fn publish_revision(&mut self, rv: u64, change_type: ChangeType, rev: &Arc<CachedRevision>) {
        let key = (rev.namespace.clone(), rev.name.clone());
        let (facts, cache) = self.facts(rev);
        let meta = self.metas.get(&key).map(|seen| seen.package_rev(&key.0, &key.1));
        let object =
            JsonObject::encoded(objects::package_revision_json_with(rev, meta.as_deref(), &facts).json);
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
            Box::pin(async move { resources_json(git, &rev, &revision.object()).await })
                as futures::future::BoxFuture<'static, Option<Value>>
        });
        self.watches
            .resources
            .publish(Change::new(rv, change_type, ns, name, object, prev).delivering(loader));
    }

    /// Keeps the package of `rev` up to date; publishes it (when `publish`) when it appears,
    /// disappears or its latest revision moves.
    fn on_package(&mut self, rv: u64, rev: &CachedRevision, deleted: bool, publish: bool) {
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
        if let Some(change_type) = change_type.filter(|_| publish) {
            let package = CachedPackage {
                namespace: key.0.clone(),
                repository: state.repository.clone(),
                name: key.1.clone(),
                package: state.package.clone(),
                latest_revision: latest,
            };
            let object = serde_json::to_value(objects::porch_package(&package, rv))
                .map(|o| JsonObject::from(Arc::new(o)));
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

#[cfg(test)]
mod tests;
