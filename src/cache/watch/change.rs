//! [`Change`]: one published change of one object, with what watchers need to filter it and the
//! bytes they send, computed once (and counted in the event budget while a window holds it).

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures::future::BoxFuture;
use porch_layers::request::{WatchEvent, WatchEventType, encode_line};
use serde_json::Value;

use crate::json_object::JsonObject;
use crate::rv_window::size::json_bytes;
use crate::rv_window::{Account, Charged};

/// What happened to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeType {
    /// It appeared.
    Added,
    /// It changed.
    Modified,
    /// It went away.
    Deleted,
}

impl From<crate::cache::EventType> for ChangeType {
    fn from(event_type: crate::cache::EventType) -> Self {
        match event_type {
            crate::cache::EventType::Added => Self::Added,
            crate::cache::EventType::Modified => Self::Modified,
            crate::cache::EventType::Deleted => Self::Deleted,
        }
    }
}

impl ChangeType {
    fn event_type(self) -> WatchEventType {
        match self {
            Self::Added => WatchEventType::Added,
            Self::Modified => WatchEventType::Modified,
            Self::Deleted => WatchEventType::Deleted,
        }
    }
}

/// Produces the object a watcher receives when it is not the filtered object itself (for
/// PackageRevisionResources: the package files, read from git only if someone watches them).
pub type Loader = Box<dyn Fn() -> BoxFuture<'static, Option<Value>> + Send + Sync>;

/// What watchers receive of a change.
enum Delivered {
    /// The filtered object itself.
    Object,
    /// An object loaded on first need, once.
    Lazy { loader: Loader, loaded: tokio::sync::OnceCell<Option<Arc<Value>>> },
}

/// One change of one object, as published by the source.
pub struct Change {
    /// Its resourceVersion (the object's, after the change).
    pub rv: u64,
    /// What happened.
    pub change_type: ChangeType,
    /// The object's namespace.
    pub namespace: String,
    /// The object's name.
    pub name: String,
    /// The object after the change (for `Deleted`, its last state): what selectors look at.
    pub object: JsonObject,
    /// The object before the change, if it existed (selectors look at it to turn a change into
    /// ADDED or DELETED for watchers it starts or stops matching).
    pub prev: Option<JsonObject>,
    delivered: Delivered,
    /// The encoded JSON line per event type (ADDED, MODIFIED, DELETED), built on first need.
    lines: [OnceLock<Bytes>; 3],
    /// Its entry in the event budget, once in a window: what it builds later is counted there.
    account: OnceLock<Account>,
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Change")
            .field("rv", &self.rv)
            .field("type", &self.change_type)
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Change {
    /// A change whose watchers receive `object` itself.
    pub fn new(
        rv: u64,
        change_type: ChangeType,
        namespace: impl Into<String>,
        name: impl Into<String>,
        object: impl Into<JsonObject>,
        prev: Option<JsonObject>,
    ) -> Self {
        Self {
            rv,
            change_type,
            namespace: namespace.into(),
            name: name.into(),
            object: object.into(),
            prev,
            delivered: Delivered::Object,
            lines: Default::default(),
            account: OnceLock::new(),
        }
    }

    /// A change filtered by `object` whose watchers receive what `loader` produces (once).
    #[must_use]
    pub fn delivering(mut self, loader: Loader) -> Self {
        self.delivered = Delivered::Lazy { loader, loaded: tokio::sync::OnceCell::new() };
        self
    }

    /// What watchers receive, `None` when it can no longer be produced.
    async fn delivered(&self) -> Option<Arc<Value>> {
        match &self.delivered {
            Delivered::Object => Some(self.object.object()),
            Delivered::Lazy { loader, loaded } => {
                let mut built = false;
                let flag = &mut built;
                let object = loaded
                    .get_or_init(|| async move {
                        *flag = true;
                        loader().await.map(Arc::new)
                    })
                    .await
                    .clone();
                if built {
                    self.grow(object.as_deref().map_or(0, json_bytes));
                }
                object
            }
        }
    }

    /// Counts `bytes` more for this change in the event budget (while a window holds it).
    fn grow(&self, bytes: usize) {
        if let Some(account) = self.account.get() {
            account.grow(bytes);
        }
    }

    /// The watch event of this change as `as_type` (its own type, or ADDED/DELETED for a watcher
    /// it starts/stops matching), encoded once per type and shared by every watcher.
    pub(crate) async fn event(&self, as_type: ChangeType) -> Option<WatchEvent> {
        let object = self.delivered().await?;
        let slot = match as_type {
            ChangeType::Added => &self.lines[0],
            ChangeType::Modified => &self.lines[1],
            ChangeType::Deleted => &self.lines[2],
        };
        let event_type = as_type.event_type();
        let mut built = false;
        let line = slot
            .get_or_init(|| {
                built = true;
                encode_line(event_type, &object)
            })
            .clone();
        if built {
            self.grow(line.len());
        }
        Some(WatchEvent::new(event_type, object).with_encoded(line))
    }
}

impl Charged for Change {
    /// The change and the JSON of both states (the other windows' changes of the same object
    /// may share them).
    fn own_bytes(&self) -> usize {
        std::mem::size_of::<Change>()
            + self.namespace.capacity()
            + self.name.capacity()
            + self.object.json().len()
            + self.prev.as_ref().map_or(0, |p| p.json().len())
    }

    fn shared_values(&self) -> Vec<&Arc<Value>> {
        Vec::new()
    }

    fn admitted(&self, account: Account) {
        let _ = self.account.set(account);
    }
}
