//! Object metadata git cannot hold — labels, annotations, finalizers, owner references — kept in
//! the PackageRev CR of each PackageRevision (porch-api.md §2.6), through `kube::Api` (the
//! embedded store in standalone mode, kube-apiserver in a cluster).
//!
//! - Reads never leave memory: a kube-runtime reflector store of every PackageRev ([`watch`];
//!   each kept without the server's label and its uid: [`lean`]), and beside it a small
//!   read-your-writes [`overlay`] holding the API's answer to each write made here until the
//!   watch delivers it (so a request sees its own write at once). Only a newer resourceVersion
//!   replaces what is seen.
//! - Writes ([`write`](mod@write)) build the PackageRev with porch-api's one shape function
//!   ([`set_shadow_meta`](porch_api::config::set_shadow_meta), which the PackageRev GC uses
//!   too) and retry a lost race through the one [`retry`] helper.
//!
//! PackageRevs are read as [`Stored`] objects: one that does not decode is logged once (naming
//! it, never its content) and left out of the store, so its PackageRevision shows no user
//! metadata; a write of that metadata replaces it with a good object. A failing watch is retried
//! with exponential backoff.

mod overlay;
mod record;
mod retry;
mod watch;
mod write;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use kube::api::Api;
use kube::runtime::reflector::{self, Store, store::Writer};
use porch_api::PackageRev;
use porch_api::config::{PackageRevSpec, PackageRevStatus, user_labels};
use porch_controllers::Stored;

pub(crate) use porch_api::config::UserMeta;

use overlay::Overlay;

/// How long a request waits for the first list of PackageRevs after start-up.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// `Some(value)` unless it is empty (the default): how optional metadata lists and maps are set.
pub(crate) fn non_empty<T: Default + PartialEq>(value: T) -> Option<T> {
    (value != T::default()).then_some(value)
}

/// The resourceVersion of a PackageRev, if it is a number.
pub(crate) fn meta_rv(rev: &PackageRev) -> Option<u64> {
    rev.metadata.resource_version.as_deref().and_then(|v| v.parse().ok())
}

/// The `(namespace, name)` of a PackageRev, as the event pump keys its maps.
pub(crate) fn key_of(rev: &PackageRev) -> (String, String) {
    (rev.metadata.namespace.clone().unwrap_or_default(), rev.metadata.name.clone().unwrap_or_default())
}

/// The PackageRev `stored`, or, when it does not decode, a good one with the metadata that does
/// (its resourceVersion included, so that writing it back replaces exactly what was read).
fn decoded_or_fresh(stored: Stored<PackageRev>) -> PackageRev {
    let metadata = kube::Resource::meta(&stored).clone();
    stored.into_object().unwrap_or_else(|_| PackageRev {
        metadata,
        spec: PackageRevSpec::default(),
        status: Some(PackageRevStatus {}),
    })
}

/// A PackageRev as the store keeps it: without the server's repository label — a map of its
/// own, ~550 bytes per PackageRev, that no reader needs (every write puts it back:
/// [`Metadata::upsert`]) — and without its uid (the reflector's keys copy it too).
fn lean(mut rev: PackageRev) -> PackageRev {
    let meta = &mut rev.metadata;
    meta.labels = non_empty(user_labels(meta));
    meta.uid = None;
    rev
}

/// The PackageRevs of the whole server, in memory. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Metadata {
    inner: Arc<Inner>,
}

struct Inner {
    client: kube::Client,
    /// The reflector's store, filled by [`watch::run`].
    store: Store<PackageRev>,
    /// Its writer until the watch starts (with the first [`Metadata::ready`]).
    writer: Mutex<Option<Writer<PackageRev>>>,
    /// This server's writes the store may not hold yet.
    overlay: RwLock<Overlay>,
    /// Advanced after every change of what [`Metadata::get`] answers (never 0).
    generation: AtomicU64,
    /// Turns true when the first list of PackageRevs is in the store. (kube-runtime's
    /// `Store::wait_until_ready` wakes only the last of several waiting tasks; this wakes all.)
    loaded: tokio::sync::watch::Sender<bool>,
    /// The newest resourceVersion a PackageRev write of this server was answered with.
    written: AtomicU64,
}

impl Inner {
    /// Announces a change of the store or the overlay, made before this call.
    fn advance(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }
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
        let (store, writer) = reflector::store();
        Self {
            inner: Arc::new(Inner {
                client,
                store,
                writer: Mutex::new(Some(writer)),
                overlay: RwLock::default(),
                generation: AtomicU64::new(1),
                loaded: tokio::sync::watch::Sender::new(false),
                written: AtomicU64::new(0),
            }),
        }
    }

    fn api(&self, namespace: &str) -> Api<Stored<PackageRev>> {
        Api::namespaced(self.inner.client.clone(), namespace)
    }

    /// Waits until the first list of PackageRevs is in memory (starting the watch if needed).
    pub(crate) async fn ready(&self) -> Result<(), MetadataError> {
        let writer = self.inner.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer {
            tokio::spawn(watch::run(Arc::downgrade(&self.inner), self.inner.client.clone(), writer));
        }
        let mut loaded = self.inner.loaded.subscribe();
        match tokio::time::timeout(READY_TIMEOUT, loaded.wait_for(|loaded| *loaded)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(MetadataError::NotReady),
        }
    }

    /// The PackageRev of `namespace/name`, if any (call [`ready`](Self::ready) first).
    pub(crate) fn get(&self, namespace: &str, name: &str) -> Option<Arc<PackageRev>> {
        let key = overlay::key(namespace, name);
        // The overlay first: the watch settles it only after its store has the newer object.
        let overlay = self.inner.overlay.read().unwrap_or_else(|e| e.into_inner());
        overlay.view(&key, self.inner.store.get(&key))
    }

    /// Every PackageRev the watch holds now (call [`ready`](Self::ready) first), without this
    /// server's writes it has not seen yet.
    pub(crate) fn watched(&self) -> Vec<Arc<PackageRev>> {
        self.inner.store.state()
    }

    /// The generation of what [`get`](Self::get) answers: while it stays the same, so do the
    /// answers (a change is made before the generation advances past it).
    pub(crate) fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Records `rev`, the API's answer to a write; returns what is seen of it now.
    fn remember(&self, rev: PackageRev) -> Arc<PackageRev> {
        self.wrote(meta_rv(&rev));
        let seen = {
            let mut overlay = self.inner.overlay.write().unwrap_or_else(|e| e.into_inner());
            let watched = self.inner.store.get(&overlay::key_of(&rev));
            overlay.written(lean(rev), watched)
        };
        self.inner.advance();
        seen
    }

    /// The newest resourceVersion a PackageRev write of this server was answered with (0: none
    /// yet): what a read that must see this server's writes waits for the watches to reach.
    pub(crate) fn last_written(&self) -> u64 {
        self.inner.written.load(Ordering::Acquire)
    }

    fn wrote(&self, rv: Option<u64>) {
        if let Some(rv) = rv {
            self.inner.written.fetch_max(rv, Ordering::AcqRel);
        }
    }

    /// Records that `namespace/name` is gone (its last answer having resourceVersion `last`).
    fn forget(&self, namespace: &str, name: &str, last: Option<u64>) {
        self.wrote(last);
        let key = overlay::key(namespace, name);
        {
            let mut overlay = self.inner.overlay.write().unwrap_or_else(|e| e.into_inner());
            let watched = self.inner.store.get(&key);
            overlay.gone(key, last, watched.as_deref());
        }
        self.inner.advance();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kube-apiserver stand-in that is slow to list PackageRevs (as a large list through a real
    /// one is) and keeps every watch open.
    fn slow_lister(delay: Duration) -> kube::Client {
        use http_body_util::{BodyExt, Full, StreamBody};
        let service = tower::service_fn(move |req: http::Request<kube::client::Body>| async move {
            let watch = req.uri().query().is_some_and(|q| q.contains("watch=true"));
            let body = if watch {
                let open = futures::stream::pending::<
                    Result<http_body::Frame<bytes::Bytes>, std::convert::Infallible>,
                >();
                StreamBody::new(open).boxed_unsync()
            } else {
                tokio::time::sleep(delay).await;
                let list = r#"{"apiVersion":"config.porch.kpt.dev/v1alpha1","kind":"PackageRevList","metadata":{"resourceVersion":"7"},"items":[]}"#;
                Full::new(bytes::Bytes::from_static(list.as_bytes())).boxed_unsync()
            };
            Ok::<_, std::convert::Infallible>(http::Response::new(body))
        });
        kube::Client::new(service, "default")
    }

    #[tokio::test]
    async fn every_request_waiting_for_the_first_list_goes_on_when_it_arrives() {
        let metadata = Metadata::new(slow_lister(Duration::from_millis(300)));
        let started = tokio::time::Instant::now();
        let waiters: Vec<_> = (0..8)
            .map(|_| {
                let metadata = metadata.clone();
                tokio::spawn(async move { metadata.ready().await.is_ok() })
            })
            .collect();
        for waiter in waiters {
            assert!(waiter.await.unwrap(), "every waiter is released");
        }
        assert!(
            started.elapsed() < READY_TIMEOUT / 2,
            "released by the list, not the timeout: {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_bad_package_rev_is_replaced_by_a_good_one_with_its_metadata() {
        let stored: Stored<PackageRev> = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "r.p.w", "namespace": "ns", "resourceVersion": "9", "labels": {"a": "b"}},
            "spec": "x",
        }))
        .unwrap();
        let fresh = decoded_or_fresh(stored);
        assert_eq!(fresh.metadata.resource_version.as_deref(), Some("9"));
        assert_eq!(fresh.metadata.labels.unwrap()["a"], "b");
        assert_eq!(serde_json::to_value(&fresh.spec).unwrap(), serde_json::json!({}));
    }
}
