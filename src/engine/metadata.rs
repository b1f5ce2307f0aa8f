//! Object metadata git cannot hold — labels, annotations, finalizers, owner references — kept in
//! the PackageRev CR of each PackageRevision (porch-api.md §2.6), through `kube::Api` (the
//! embedded store in standalone mode, kube-apiserver in a cluster).
//!
//! Reads never leave memory: a watch of every PackageRev keeps a map of them, and every write
//! made here is put into the map from the server's answer at once (so a request sees its own
//! write even before the watch delivers it). Only a newer resourceVersion replaces an entry.
//!
//! PackageRevs are read as [`Stored`] objects: one that does not decode is logged once (naming
//! it, never its content) and left out of the map, so its PackageRevision shows no user
//! metadata; a write of that metadata replaces it with a good object. A failing watch is retried
//! with exponential backoff.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Once, RwLock};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Resource;
use kube::api::{Api, DeleteParams, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use porch_api::PackageRev;
use porch_api::config::{PackageRevSpec, PackageRevStatus};
use porch_api::gvk::PACKAGE_REVISION;
use porch_api::labels::{INTERNAL_REPOSITORY_LABEL, PACKAGE_REVISION_FINALIZER};
use porch_controllers::{Stored, Undecodable};
use tokio::sync::watch;

/// How long a request waits for the first list of PackageRevs after start-up.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// How often a write is retried after a conflicting concurrent write.
const WRITE_ATTEMPTS: usize = 5;

/// The user-visible metadata of a PackageRevision, as stored in its PackageRev (without the
/// server's own label, finalizer and owner reference).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct UserMeta {
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) annotations: BTreeMap<String, String>,
    pub(crate) finalizers: Vec<String>,
    pub(crate) owner_references: Vec<OwnerReference>,
}

impl UserMeta {
    /// The user metadata of a request object.
    pub(crate) fn from_object(meta: &ObjectMeta) -> Self {
        Self {
            labels: meta.labels.clone().unwrap_or_default(),
            annotations: meta.annotations.clone().unwrap_or_default(),
            finalizers: meta.finalizers.clone().unwrap_or_default(),
            owner_references: meta.owner_references.clone().unwrap_or_default(),
        }
    }

    /// The user metadata kept in a PackageRev: its own minus what the server adds.
    pub(crate) fn of(rev: &PackageRev) -> Self {
        let meta = &rev.metadata;
        let mut labels = meta.labels.clone().unwrap_or_default();
        labels.remove(INTERNAL_REPOSITORY_LABEL);
        let finalizers =
            meta.finalizers.iter().flatten().filter(|f| *f != PACKAGE_REVISION_FINALIZER).cloned().collect();
        let owner_references = meta
            .owner_references
            .iter()
            .flatten()
            .filter(|o| !(o.kind == PACKAGE_REVISION.kind && Some(&o.name) == meta.name.as_ref()))
            .cloned()
            .collect();
        Self {
            labels,
            annotations: meta.annotations.clone().unwrap_or_default(),
            finalizers,
            owner_references,
        }
    }
}

/// `Some(value)` unless it is empty (the default): how optional metadata lists and maps are set.
pub(crate) fn non_empty<T: Default + PartialEq>(value: T) -> Option<T> {
    (value != T::default()).then_some(value)
}

/// The resourceVersion of a PackageRev, if it is a number.
pub(crate) fn meta_rv(rev: &PackageRev) -> Option<u64> {
    rev.metadata.resource_version.as_deref().and_then(|v| v.parse().ok())
}

/// The `(namespace, name)` of a PackageRev.
pub(crate) fn key_of(rev: &PackageRev) -> (String, String) {
    key_of_meta(&rev.metadata)
}

/// The `(namespace, name)` of an object.
fn key_of_meta(meta: &ObjectMeta) -> (String, String) {
    (meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default())
}

/// The PackageRev `stored`, or, when it does not decode, a good one with the metadata that does
/// (its resourceVersion included, so that writing it back replaces exactly what was read).
fn decoded_or_fresh(stored: Stored<PackageRev>) -> PackageRev {
    let metadata = stored.meta().clone();
    stored.into_object().unwrap_or_else(|_| PackageRev {
        metadata,
        spec: PackageRevSpec {},
        status: Some(PackageRevStatus {}),
    })
}

/// Writes `user` into `rev`'s metadata, keeping (or adding) the server's label, finalizer and
/// owner reference to the PackageRevision `uid`.
fn apply_user(rev: &mut PackageRev, repository: &str, uid: &str, user: &UserMeta) {
    let name = rev.metadata.name.clone().unwrap_or_default();
    let mut labels = user.labels.clone();
    labels.insert(INTERNAL_REPOSITORY_LABEL.into(), repository.into());
    let mut finalizers = vec![PACKAGE_REVISION_FINALIZER.to_string()];
    finalizers.extend(user.finalizers.iter().filter(|f| *f != PACKAGE_REVISION_FINALIZER).cloned());
    let mut owners = vec![OwnerReference {
        api_version: PACKAGE_REVISION.api_version.into(),
        kind: PACKAGE_REVISION.kind.into(),
        name: name.clone(),
        uid: uid.into(),
        ..OwnerReference::default()
    }];
    owners.extend(
        user.owner_references.iter().filter(|o| o.name != name || o.kind != PACKAGE_REVISION.kind).cloned(),
    );
    let meta = &mut rev.metadata;
    meta.labels = Some(labels);
    meta.annotations = non_empty(user.annotations.clone());
    meta.finalizers = Some(finalizers);
    meta.owner_references = Some(owners);
}

/// Whether the stored value `new` is at least as new as `old` (resourceVersions that are not
/// numbers are taken as newer).
fn is_newer(new: &PackageRev, old: &PackageRev) -> bool {
    match (meta_rv(new), meta_rv(old)) {
        (Some(n), Some(o)) => n >= o,
        _ => true,
    }
}

type Key = (String, String);

/// PackageRevs by namespace, then name (looked up by `&str`, without building keys).
#[derive(Debug, Default)]
struct ByNamespace(HashMap<String, HashMap<String, Arc<PackageRev>>>);

impl ByNamespace {
    fn get(&self, namespace: &str, name: &str) -> Option<&Arc<PackageRev>> {
        self.0.get(namespace)?.get(name)
    }

    fn insert(&mut self, (namespace, name): Key, rev: Arc<PackageRev>) {
        self.0.entry(namespace).or_default().insert(name, rev);
    }

    fn remove(&mut self, namespace: &str, name: &str) {
        if let Some(names) = self.0.get_mut(namespace) {
            names.remove(name);
            if names.is_empty() {
                self.0.remove(namespace);
            }
        }
    }

    fn into_entries(self) -> impl Iterator<Item = (Key, Arc<PackageRev>)> {
        self.0.into_iter().flat_map(|(ns, names)| names.into_iter().map(move |(n, r)| ((ns.clone(), n), r)))
    }
}

/// The PackageRevs of the whole server, in memory. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Metadata {
    inner: Arc<Inner>,
}

struct Inner {
    client: kube::Client,
    map: RwLock<ByNamespace>,
    ready: watch::Sender<bool>,
    started: Once,
}

impl std::fmt::Debug for Metadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metadata").finish_non_exhaustive()
    }
}

/// Why metadata could not be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MetadataError {
    /// The first list of PackageRevs did not arrive in time.
    #[error("the PackageRev objects are not loaded yet; try again shortly")]
    NotReady,
    /// The API call failed.
    #[error("failed to {action} PackageRev {name}")]
    Api {
        /// What was attempted.
        action: &'static str,
        /// `<namespace>/<name>`.
        name: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
}

impl Metadata {
    /// Metadata over `client`; the watch starts with the first use.
    pub(crate) fn new(client: kube::Client) -> Self {
        let (ready, _) = watch::channel(false);
        Self { inner: Arc::new(Inner { client, map: RwLock::default(), ready, started: Once::new() }) }
    }

    fn api(&self, namespace: &str) -> Api<Stored<PackageRev>> {
        Api::namespaced(self.inner.client.clone(), namespace)
    }

    /// Waits until the first list of PackageRevs is in memory (starting the watch if needed).
    pub(crate) async fn ready(&self) -> Result<(), MetadataError> {
        self.inner.started.call_once(|| {
            tokio::spawn(run_watch(Arc::downgrade(&self.inner), self.inner.client.clone()));
        });
        let mut ready = self.inner.ready.subscribe();
        match tokio::time::timeout(READY_TIMEOUT, ready.wait_for(|r| *r)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(MetadataError::NotReady),
        }
    }

    /// The PackageRev of `namespace/name`, if any (call [`ready`](Self::ready) first).
    pub(crate) fn get(&self, namespace: &str, name: &str) -> Option<Arc<PackageRev>> {
        let map = self.inner.map.read().unwrap_or_else(|e| e.into_inner());
        map.get(namespace, name).cloned()
    }

    fn remember(&self, rev: PackageRev) -> Arc<PackageRev> {
        let rev = Arc::new(rev);
        let key = key_of(&rev);
        let mut map = self.inner.map.write().unwrap_or_else(|e| e.into_inner());
        match map.get(&key.0, &key.1) {
            Some(old) if !is_newer(&rev, old) => old.clone(),
            _ => {
                map.insert(key, rev.clone());
                rev
            }
        }
    }

    fn forget(&self, namespace: &str, name: &str) {
        let mut map = self.inner.map.write().unwrap_or_else(|e| e.into_inner());
        map.remove(namespace, name);
    }

    /// Creates or updates the PackageRev of PackageRevision `namespace/name` (with `uid`, in
    /// `repository`) so that it carries exactly `user`.
    pub(crate) async fn put(
        &self,
        namespace: &str,
        name: &str,
        repository: &str,
        uid: &str,
        user: &UserMeta,
    ) -> Result<Arc<PackageRev>, MetadataError> {
        let api = self.api(namespace);
        let err = |action, source| MetadataError::Api { action, name: format!("{namespace}/{name}"), source };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let current = match self.get(namespace, name) {
                Some(current) => Some((*current).clone()),
                None => api.get_opt(name).await.map_err(|e| err("read", e))?.map(decoded_or_fresh),
            };
            let result = match current {
                Some(mut rev) => {
                    apply_user(&mut rev, repository, uid, user);
                    rev.metadata.managed_fields = None;
                    api.replace(name, &PostParams::default(), &Stored::new(rev))
                        .await
                        .map_err(|e| err("update", e))
                }
                None => {
                    let mut rev = PackageRev {
                        metadata: ObjectMeta {
                            name: Some(name.into()),
                            namespace: Some(namespace.into()),
                            ..ObjectMeta::default()
                        },
                        spec: PackageRevSpec {},
                        status: Some(PackageRevStatus {}),
                    };
                    apply_user(&mut rev, repository, uid, user);
                    api.create(&PostParams::default(), &Stored::new(rev)).await.map_err(|e| err("create", e))
                }
            };
            match result {
                Ok(rev) => return Ok(self.remember(decoded_or_fresh(rev))),
                Err(MetadataError::Api { source: kube::Error::Api(status), .. })
                    if (status.code == 409) && attempt < WRITE_ATTEMPTS =>
                {
                    // Someone else wrote it in between: read it again (bypassing a stale map).
                    if let Ok(Some(fresh)) = api.get_opt(name).await
                        && let Ok(fresh) = fresh.into_object()
                    {
                        self.remember(fresh);
                    } else {
                        self.forget(namespace, name);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Deletes the PackageRev of `namespace/name`. With user finalizers left it stays, marked
    /// terminating, and is returned; otherwise the server's finalizer is released and `None`
    /// comes back once it is gone (also when there was none).
    pub(crate) async fn delete(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Arc<PackageRev>>, MetadataError> {
        let api = self.api(namespace);
        let err = |action, source| MetadataError::Api { action, name: format!("{namespace}/{name}"), source };
        let deleted = match api.delete(name, &DeleteParams::default()).await {
            Ok(either::Either::Left(rev)) => rev,
            Ok(either::Either::Right(_)) => {
                self.forget(namespace, name);
                return Ok(None);
            }
            Err(kube::Error::Api(status)) if status.code == 404 => {
                self.forget(namespace, name);
                return Ok(None);
            }
            Err(e) => return Err(err("delete", e)),
        };
        let rev = self.remember(decoded_or_fresh(deleted));
        if !UserMeta::of(&rev).finalizers.is_empty() {
            return Ok(Some(rev));
        }
        self.release(namespace, name).await?;
        Ok(None)
    }

    /// Removes the PackageRev of `namespace/name` whatever finalizers it has (the rollback of a
    /// create that failed).
    pub(crate) async fn purge(
        &self,
        namespace: &str,
        name: &str,
        repository: &str,
        uid: &str,
    ) -> Result<(), MetadataError> {
        self.put(namespace, name, repository, uid, &UserMeta::default()).await?;
        self.delete(namespace, name).await.map(drop)
    }

    /// Drops the server's finalizer of a terminating PackageRev so that it goes away.
    pub(crate) async fn release(&self, namespace: &str, name: &str) -> Result<(), MetadataError> {
        let api = self.api(namespace);
        let err = |action, source| MetadataError::Api { action, name: format!("{namespace}/{name}"), source };
        for attempt in 1..=WRITE_ATTEMPTS {
            let Some(rev) = api.get_opt(name).await.map_err(|e| err("read", e))? else {
                self.forget(namespace, name);
                return Ok(());
            };
            let mut rev = decoded_or_fresh(rev);
            let finalizers = UserMeta::of(&rev).finalizers;
            let kept = !finalizers.is_empty();
            rev.metadata.finalizers = non_empty(finalizers);
            rev.metadata.managed_fields = None;
            match api.replace(name, &PostParams::default(), &Stored::new(rev)).await {
                Ok(rev) if rev.meta().deletion_timestamp.is_some() && kept => {
                    self.remember(decoded_or_fresh(rev));
                    return Ok(());
                }
                Ok(_) => {
                    self.forget(namespace, name);
                    return Ok(());
                }
                Err(kube::Error::Api(status)) if status.code == 404 => {
                    self.forget(namespace, name);
                    return Ok(());
                }
                Err(kube::Error::Api(status)) if status.code == 409 && attempt < WRITE_ATTEMPTS => continue,
                Err(e) => return Err(err("release", e)),
            }
        }
        Ok(())
    }
}

/// The undecodable PackageRevs logged so far, by key, with the uid and error logged: each is
/// logged once, and again only if it changes that way.
#[derive(Debug, Default)]
struct Undecodables(HashMap<Key, (String, Undecodable)>);

impl Undecodables {
    /// Logs `stored`, which does not decode with `error`, unless it was logged so already.
    /// Returns whether it logged.
    fn report(&mut self, stored: &Stored<PackageRev>, error: &Undecodable) -> bool {
        let key = (
            stored.meta().namespace.clone().unwrap_or_default(),
            stored.meta().name.clone().unwrap_or_default(),
        );
        let seen = (stored.meta().uid.clone().unwrap_or_default(), error.clone());
        if self.0.get(&key) == Some(&seen) {
            return false;
        }
        self.0.insert(key, seen);
        tracing::warn!(
            object = %stored.describe(), error = %error,
            "stored object does not decode; its PackageRevision shows no metadata until it is fixed"
        );
        true
    }

    /// `key` decodes again, or is gone.
    fn forget(&mut self, key: &Key) {
        self.0.remove(key);
    }
}

/// Whether the stored object `new` is at least as new as `old` (resourceVersions that are not
/// numbers are taken as newer).
fn meta_is_newer(new: &ObjectMeta, old: &PackageRev) -> bool {
    match (new.resource_version.as_deref().and_then(|v| v.parse::<u64>().ok()), meta_rv(old)) {
        (Some(n), Some(o)) => n >= o,
        _ => true,
    }
}

/// Keeps `inner`'s map in step with the PackageRevs on the server until the metadata is dropped.
/// PackageRevs that do not decode are logged once and left out; watch failures are retried with
/// kube-runtime's exponential backoff (0.8 s doubling to 30 s), each distinct failure logged once
/// until the next complete list.
async fn run_watch(inner: std::sync::Weak<Inner>, client: kube::Client) {
    let api: Api<Stored<PackageRev>> = Api::all(client);
    let mut stream = watcher::watcher(api, watcher::Config::default()).default_backoff().boxed();
    let mut buffer: HashMap<Key, Arc<PackageRev>> = HashMap::new();
    let mut undecodable = Undecodables::default();
    let mut last_error: Option<String> = None;
    while let Some(event) = stream.next().await {
        let Some(inner) = inner.upgrade() else { return };
        match event {
            Ok(Event::Init) => buffer.clear(),
            Ok(Event::InitApply(stored)) => {
                let key = key_of_meta(stored.meta());
                match stored.object() {
                    Ok(_) => {
                        undecodable.forget(&key);
                        buffer.insert(key, Arc::new(decoded_or_fresh(stored)));
                    }
                    Err(e) => {
                        undecodable.report(&stored, e);
                    }
                }
            }
            Ok(Event::InitDone) => {
                last_error = None;
                let mut map = inner.map.write().unwrap_or_else(|e| e.into_inner());
                let fresh = std::mem::take(&mut buffer);
                // Writes made while listing may be newer than the list: keep those.
                let mut merged = ByNamespace::default();
                for (key, rev) in fresh {
                    merged.insert(key, rev);
                }
                for (key, ours) in std::mem::take(&mut *map).into_entries() {
                    if merged.get(&key.0, &key.1).is_some_and(|listed| !is_newer(listed, &ours)) {
                        merged.insert(key, ours);
                    }
                }
                *map = merged;
                drop(map);
                inner.ready.send_replace(true);
            }
            Ok(Event::Apply(stored)) => {
                let key = key_of_meta(stored.meta());
                let mut map = inner.map.write().unwrap_or_else(|e| e.into_inner());
                let newer = map.get(&key.0, &key.1).is_none_or(|old| meta_is_newer(stored.meta(), old));
                match stored.object() {
                    Ok(_) => {
                        undecodable.forget(&key);
                        if newer {
                            map.insert(key, Arc::new(decoded_or_fresh(stored)));
                        }
                    }
                    Err(e) => {
                        if newer {
                            map.remove(&key.0, &key.1);
                        }
                        drop(map);
                        undecodable.report(&stored, e);
                    }
                }
            }
            Ok(Event::Delete(stored)) => {
                let key = key_of_meta(stored.meta());
                undecodable.forget(&key);
                let mut map = inner.map.write().unwrap_or_else(|e| e.into_inner());
                if map.get(&key.0, &key.1).is_none_or(|old| meta_is_newer(stored.meta(), old)) {
                    map.remove(&key.0, &key.1);
                }
            }
            Err(e) => {
                let text = e.to_string();
                if last_error.as_deref() == Some(text.as_str()) {
                    tracing::debug!(error = %text, "watch of PackageRev objects failed again; retrying");
                } else {
                    tracing::warn!(error = %text, "watch of PackageRev objects failed; retrying with backoff");
                    last_error = Some(text);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(name: &str, rv: &str) -> PackageRev {
        PackageRev {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("ns".into()),
                resource_version: Some(rv.into()),
                ..ObjectMeta::default()
            },
            spec: PackageRevSpec {},
            status: None,
        }
    }

    #[test]
    fn the_server_parts_are_added_on_write_and_hidden_on_read() {
        let mut r = rev("repo.pkg.ws", "3");
        let user = UserMeta {
            labels: BTreeMap::from([("team".into(), "a".into())]),
            finalizers: vec!["example.com/keep".into()],
            ..UserMeta::default()
        };
        apply_user(&mut r, "repo", "uid-1", &user);
        let labels = r.metadata.labels.as_ref().unwrap();
        assert_eq!(labels[INTERNAL_REPOSITORY_LABEL], "repo");
        assert_eq!(
            r.metadata.finalizers.as_deref().unwrap(),
            [PACKAGE_REVISION_FINALIZER.to_string(), "example.com/keep".to_string()]
        );
        let owner = &r.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
            ("PackageRevision", "repo.pkg.ws", "uid-1")
        );
        assert_eq!(UserMeta::of(&r), user);
    }

    fn stored(value: serde_json::Value) -> Stored<PackageRev> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn an_undecodable_package_rev_is_reported_once_until_it_changes() {
        let bad = |uid: &str| {
            stored(serde_json::json!({
                "metadata": {"name": "r.p.w", "namespace": "ns", "uid": uid, "resourceVersion": "4",
                             "ownerReferences": "x"},
                "spec": {},
            }))
        };
        let mut reported = Undecodables::default();
        let first = bad("u1");
        let e = first.object().unwrap_err().clone();
        assert!(reported.report(&first, &e));
        assert!(!reported.report(&bad("u1"), &e), "the same object again (a re-list)");
        assert!(reported.report(&bad("u2"), &e), "re-created");
        reported.forget(&("ns".into(), "r.p.w".into()));
        assert!(reported.report(&bad("u2"), &e), "fixed, then broken again");
    }

    #[test]
    fn a_bad_package_rev_is_replaced_by_a_good_one_with_its_metadata() {
        let fresh = decoded_or_fresh(stored(serde_json::json!({
            "metadata": {"name": "r.p.w", "namespace": "ns", "resourceVersion": "9", "labels": {"a": "b"}},
            "spec": "x",
        })));
        assert_eq!(fresh.metadata.resource_version.as_deref(), Some("9"));
        assert_eq!(fresh.metadata.labels.unwrap()["a"], "b");
        assert_eq!(serde_json::to_value(&fresh.spec).unwrap(), serde_json::json!({}));
    }

    #[test]
    fn only_newer_resource_versions_replace() {
        assert!(is_newer(&rev("a", "5"), &rev("a", "4")));
        assert!(!is_newer(&rev("a", "4"), &rev("a", "5")));
        assert!(is_newer(&rev("a", "x"), &rev("a", "5")));
    }
}
