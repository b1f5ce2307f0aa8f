//! The store handle: open, the async verbs, and shutdown.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;

use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::ops::Op;
use super::state::Shared;
use super::watch::{self, WatchStream};
use super::writer::{Request, Writer};
use super::{
    DeleteOptions, ListOptions, ListPage, SharedListPage, StoreError, StoreOptions, StoredKind, WatchOptions,
    WriteOptions, list, persist,
};
use crate::crdstore::Result;

/// Namespaces created at open when missing, as a fresh cluster has them.
const DEFAULT_NAMESPACES: [&str; 3] = ["default", "kube-system", "kube-public"];

/// The file the store keeps in its directory.
const FILE_NAME: &str = "store.redb";

/// The embedded CR store. Cheap to clone; the last clone dropped stops the writer thread (after finishing
/// the queued writes) and closes the database. Watch streams stay usable but see no new events.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    tx: Option<Sender<Request>>,
    writer: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("resource_version", &self.resource_version()).finish_non_exhaustive()
    }
}

fn writer_gone() -> StoreError {
    StoreError::storage(std::io::Error::other("the store's writer thread has stopped"))
}

impl Store {
    /// Opens (or creates) the store in `dir` (file `store.redb`), loads every object into memory, creates
    /// the default namespaces if missing and starts the writer thread. Blocks (file I/O): call it before
    /// serving, or from `spawn_blocking`.
    ///
    /// # Errors
    /// `Storage` when the directory or database cannot be opened (e.g. another process holds it).
    pub fn open(dir: &Path, opts: StoreOptions) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(StoreError::storage)?;
        let (db, index, rv) = persist::open(&dir.join(FILE_NAME))?;
        let shared = Shared::new(index, rv, opts);
        let mut writer = Writer::new(db, shared.clone());
        let missing: Vec<(Op, bool)> = {
            let state = shared.read();
            DEFAULT_NAMESPACES
                .into_iter()
                .filter(|ns| state.index.get(StoredKind::Namespace, "", ns).is_none())
                .map(|ns| (Op::Create(StoredKind::Namespace, json!({"metadata": {"name": ns}})), false))
                .collect()
        };
        for r in writer.execute(missing) {
            r?;
        }
        let (tx, rx) = channel();
        let handle = std::thread::Builder::new()
            .name("crdstore-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(StoreError::storage)?;
        Ok(Store { inner: Arc::new(Inner { shared, tx: Some(tx), writer: Some(handle) }) })
    }

    async fn submit(&self, op: Op, dry_run: bool) -> Result<Value> {
        let (reply, rx) = oneshot::channel();
        let tx = self.inner.tx.as_ref().ok_or_else(writer_gone)?;
        tx.send(Request { op, dry_run, reply }).map_err(|_| writer_gone())?;
        rx.await.map_err(|_| writer_gone())?
    }

    /// Creates an object (`metadata.namespace` set for namespaced kinds; `metadata.name` or
    /// `metadata.generateName`). Returns it as stored.
    ///
    /// # Errors
    /// `AlreadyExists`, `Invalid`, `NamespaceNotFound`, `NamespaceTerminating`, `BadRequest`, `Storage`.
    pub async fn create(&self, kind: StoredKind, obj: Value, opts: &WriteOptions) -> Result<Value> {
        self.submit(Op::Create(kind, obj), opts.dry_run).await
    }

    /// Reads one object (`namespace` is ignored for cluster-scoped kinds).
    ///
    /// # Errors
    /// `NotFound`; `BadRequest` when a namespaced kind is asked for without a namespace.
    pub async fn get(&self, kind: StoredKind, namespace: Option<&str>, name: &str) -> Result<Value> {
        let ns = match (kind.namespaced(), namespace) {
            (false, _) => "",
            (true, Some(ns)) => ns,
            (true, None) => {
                return Err(StoreError::BadRequest(format!("a namespace is required for {}", kind.plural())));
            }
        };
        let state = self.inner.shared.read();
        let obj = state.index.get(kind, ns, name).cloned();
        drop(state);
        let obj = obj.ok_or_else(|| StoreError::NotFound { kind, name: name.to_string() })?;
        Ok(Arc::unwrap_or_clone(obj.object()))
    }

    /// Lists objects of `kind` in `namespace` (`None`: all namespaces), sorted by (namespace, name).
    /// A resourceVersion the store has not reached yet is waited for, a few seconds at most.
    ///
    /// # Errors
    /// `BadRequest` for an unsupported field selector or a malformed continue token;
    /// `ResourceVersion` when `opts.read_at` cannot be served.
    pub async fn list(
        &self,
        kind: StoredKind,
        namespace: Option<&str>,
        opts: &ListOptions,
    ) -> Result<ListPage> {
        self.list_shared(kind, namespace, opts).await.map(SharedListPage::into_owned)
    }

    /// Like [`Store::list`], but the items are shared with the store instead of deep-copied (much cheaper
    /// for large lists that are only serialized).
    ///
    /// # Errors
    /// As [`Store::list`].
    pub async fn list_shared(
        &self,
        kind: StoredKind,
        namespace: Option<&str>,
        opts: &ListOptions,
    ) -> Result<SharedListPage> {
        crate::freshness::reach(opts.read_at.minimum(), || self.resource_version()).await;
        list::list(&self.inner.shared, kind, namespace, opts)
    }

    /// Replaces an object's main resource (status and system metadata are kept); a non-empty
    /// `metadata.resourceVersion` must be current.
    ///
    /// # Errors
    /// `NotFound`, `Conflict`, `Invalid`, `BadRequest`, `Storage`.
    pub async fn update(&self, kind: StoredKind, obj: Value, opts: &WriteOptions) -> Result<Value> {
        self.submit(Op::Update(kind, obj), opts.dry_run).await
    }

    /// Replaces an object's `status` (status-subresource kinds only); a non-empty
    /// `metadata.resourceVersion` must be current.
    ///
    /// # Errors
    /// `NotFound`, `Conflict`, `BadRequest`, `Storage`.
    pub async fn update_status(&self, kind: StoredKind, obj: Value, opts: &WriteOptions) -> Result<Value> {
        self.submit(Op::UpdateStatus(kind, obj), opts.dry_run).await
    }

    /// Deletes an object; returns the deleted object, or the object now terminating (finalizers pending).
    ///
    /// # Errors
    /// `NotFound`, `Conflict` (failed precondition), `BadRequest`, `Storage`.
    pub async fn delete(
        &self,
        kind: StoredKind,
        namespace: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<Value> {
        let ns = match (kind.namespaced(), namespace) {
            (false, _) => String::new(),
            (true, Some(ns)) => ns.to_string(),
            (true, None) => {
                return Err(StoreError::BadRequest(format!("a namespace is required for {}", kind.plural())));
            }
        };
        self.submit(Op::Delete(kind, ns, name.to_string(), opts.clone()), opts.dry_run).await
    }

    /// Watches `kind` in `namespace` (`None`: all namespaces). See [`WatchOptions`] for where it starts.
    /// Call and poll it inside a Tokio runtime (it sleeps on Tokio timers and channels). The stream is
    /// `Send + Sync + 'static`.
    ///
    /// # Errors
    /// `BadRequest` for a malformed resourceVersion or an unsupported field selector. A resourceVersion
    /// older than the event window is not an error here: the stream yields one ERROR event and ends.
    pub fn watch(
        &self,
        kind: StoredKind,
        namespace: Option<&str>,
        opts: WatchOptions,
    ) -> Result<WatchStream> {
        watch::open(self.inner.shared.clone(), kind, namespace, opts)
    }

    /// The current server-wide resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.inner.shared.read().rv
    }

    /// Writes `object` of `kind` as it is — no validation, no defaulting, its resourceVersion
    /// untouched — into the store in `dir` while no server holds it: the object then is exactly
    /// what an older version of the server could have left behind. For tests of how the server
    /// copes with stored data that no longer decodes, and for offline repair; the API has no way
    /// to reach it. The key comes from `metadata.namespace` (namespaced kinds) and
    /// `metadata.name`; an existing object under that key is replaced.
    ///
    /// # Errors
    /// `BadRequest` without a name (or a namespace for a namespaced kind); `Storage` when the
    /// store is open (a server is running on `dir`) or cannot be written.
    pub fn import_raw_offline(dir: &Path, kind: StoredKind, object: &Value) -> Result<()> {
        let text = |field: &str| object.pointer(field).and_then(Value::as_str).filter(|s| !s.is_empty());
        let name = text("/metadata/name")
            .ok_or_else(|| StoreError::BadRequest("the object has no metadata.name".into()))?;
        let namespace = match kind.namespaced() {
            true => text("/metadata/namespace")
                .ok_or_else(|| StoreError::BadRequest("the object has no metadata.namespace".into()))?,
            false => "",
        };
        persist::put_raw(&dir.join(FILE_NAME), kind, namespace, name, object)
    }
}
