//! [`StorageResponse`]: what comes back up the stack.

use super::EncodedChunk;
use crate::status::ApiError;
use futures::stream::BoxStream;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// A stream of watch events, ending when the watch ends.
pub type WatchStream = BoxStream<'static, WatchEvent>;

/// The type of a watch event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchEventType {
    /// `ADDED`.
    Added,
    /// `MODIFIED`.
    Modified,
    /// `DELETED`.
    Deleted,
    /// `BOOKMARK`: only `metadata.resourceVersion` of the object is meaningful.
    Bookmark,
    /// `ERROR`: the object is a `Status`.
    Error,
}

impl WatchEventType {
    /// The wire name, e.g. `ADDED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
            Self::Bookmark => "BOOKMARK",
            Self::Error => "ERROR",
        }
    }

    /// Whether the event carries an object of the watched kind (and so becomes a Table row).
    pub fn carries_object(self) -> bool {
        matches!(self, Self::Added | Self::Modified | Self::Deleted)
    }
}

/// One watch event. The object is shared so one event can be fanned out without copies.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchEvent {
    /// The event type.
    pub event_type: WatchEventType,
    /// The object, a `Status` for `ERROR`, or a `Table` after table conversion.
    pub object: Arc<Value>,
    /// The event already encoded as one JSON line (`{"type":…,"object":…}` and a newline), when
    /// its source serialized it once for every watcher; `None` to encode it per stream.
    pub encoded: Option<bytes::Bytes>,
}

impl WatchEvent {
    /// An event of `event_type` about `object`.
    pub fn new(event_type: WatchEventType, object: impl Into<Arc<Value>>) -> Self {
        Self { event_type, object: object.into(), encoded: None }
    }

    /// The same event with its JSON line encoded already (see [`WatchEvent::encoded`]).
    #[must_use]
    pub fn with_encoded(mut self, line: bytes::Bytes) -> Self {
        self.encoded = Some(line);
        self
    }

    /// The event as one JSON line: `{"type":"ADDED","object":{…}}` and a newline.
    pub fn encode(&self) -> bytes::Bytes {
        if let Some(line) = &self.encoded {
            return line.clone();
        }
        encode_line(self.event_type, &self.object)
    }
}

/// `{"type":"<type>","object":<object>}` and a newline.
pub fn encode_line(event_type: WatchEventType, object: &Value) -> bytes::Bytes {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        #[serde(rename = "type")]
        event_type: &'a str,
        object: &'a Value,
    }
    let mut line = serde_json::to_vec(&Line { event_type: event_type.as_str(), object }).unwrap_or_default();
    line.push(b'\n');
    bytes::Bytes::from(line)
}

/// One page of a list: its objects, shared with the storage (not copied), or only their
/// encodings when the storage keeps its objects encoded ([`ObjectList::encoded`]); those are
/// decoded where an object is needed ([`items`](Self::items): a Table row not kept yet,
/// metadata only), and the JSON body is written from them.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectList {
    /// The list's `apiVersion`, e.g. `porch.kpt.dev/v1alpha1`.
    pub api_version: String,
    /// The list kind, e.g. `PackageRevisionList`.
    pub kind: String,
    /// The `ListMeta` as JSON: `resourceVersion`, `continue`, `remainingItemCount`.
    pub metadata: Value,
    items: Items,
}

/// The items of a list, as objects or as their encodings.
#[derive(Clone, Debug, PartialEq)]
enum Items {
    Objects(Vec<Arc<Value>>),
    Encoded(Vec<EncodedChunk>),
}

impl ObjectList {
    /// A page of `items`.
    pub fn new(
        api_version: impl Into<String>,
        kind: impl Into<String>,
        metadata: Value,
        items: Vec<Arc<Value>>,
    ) -> Self {
        Self { api_version: api_version.into(), kind: kind.into(), metadata, items: Items::Objects(items) }
    }

    /// A page of the items encoded in `chunks`, in order.
    pub fn encoded(
        api_version: impl Into<String>,
        kind: impl Into<String>,
        metadata: Value,
        chunks: Vec<EncodedChunk>,
    ) -> Self {
        Self { api_version: api_version.into(), kind: kind.into(), metadata, items: Items::Encoded(chunks) }
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        match &self.items {
            Items::Objects(items) => items.len(),
            Items::Encoded(chunks) => chunks.iter().map(|c| c.count).sum(),
        }
    }

    /// Whether the page has no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The objects of the page, decoded from their encodings if that is how they are kept.
    pub fn items(&self) -> Cow<'_, [Arc<Value>]> {
        match &self.items {
            Items::Objects(items) => Cow::Borrowed(items),
            Items::Encoded(chunks) => Cow::Owned(chunks.iter().flat_map(EncodedChunk::objects).collect()),
        }
    }

    /// The encodings of the items, in order, if the page is kept encoded.
    pub fn chunks(&self) -> Option<&[EncodedChunk]> {
        match &self.items {
            Items::Objects(_) => None,
            Items::Encoded(chunks) => Some(chunks),
        }
    }

    /// The list as JSON (`apiVersion`, `kind`, `metadata`, `items`).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "apiVersion": self.api_version,
            "kind": self.kind,
            "metadata": self.metadata,
            "items": self.items().iter().map(AsRef::as_ref).collect::<Vec<_>>(),
        })
    }
}

/// A list's `ListMeta` as JSON: `resourceVersion`, with `continue` and `remainingItemCount` when
/// more items follow.
pub fn list_metadata(resource_version: u64, continue_token: Option<&str>, remaining: Option<u64>) -> Value {
    let mut metadata = serde_json::json!({"resourceVersion": resource_version.to_string()});
    if let Some(token) = continue_token {
        metadata["continue"] = Value::from(token);
    }
    if let Some(remaining) = remaining {
        metadata["remainingItemCount"] = Value::from(remaining);
    }
    metadata
}

/// The body of a [`StorageResponse`].
#[non_exhaustive]
pub enum Payload {
    /// One object (get, create, update, patch, delete).
    Object(Value),
    /// A page of objects (list, deletecollection).
    List(ObjectList),
    /// The `meta.k8s.io/v1 Table` of one object or of a list page (after
    /// [`TableConversion`](crate::TableConversion)), its rows sharing the objects.
    Table(crate::strategy::TableList),
    /// A watch; with a Table request each object event carries a Table.
    Watch(WatchStream),
    /// A failure, answered as a `Status` with the error's code. Layers short-circuit with this
    /// instead of returning `Err` (a client mistake is a response, not an error).
    Status(ApiError),
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Object(o) => f.debug_tuple("Object").field(o).finish(),
            Self::List(l) => f.debug_tuple("List").field(l).finish(),
            Self::Table(t) => f.debug_tuple("Table").field(&t.len()).finish(),
            Self::Watch(_) => f.debug_tuple("Watch").finish_non_exhaustive(),
            Self::Status(e) => f.debug_tuple("Status").field(e).finish(),
        }
    }
}

/// What REST storage (and every layer above it) answers: an HTTP code, a payload and warnings.
#[derive(Debug)]
#[non_exhaustive]
pub struct StorageResponse {
    /// The HTTP status code: 200, 201 for a create, the error's code for a `Status`.
    pub code: u16,
    /// The body.
    pub payload: Payload,
    /// `Warning` headers to send (`299 - "<text>"`), in order.
    pub warnings: Vec<String>,
}

impl StorageResponse {
    /// A response with `code` and `payload` and no warnings.
    pub fn new(code: u16, payload: Payload) -> Self {
        Self { code, payload, warnings: Vec::new() }
    }

    /// 200 with one object.
    pub fn ok(object: Value) -> Self {
        Self::new(200, Payload::Object(object))
    }

    /// 201 with the created object.
    pub fn created(object: Value) -> Self {
        Self::new(201, Payload::Object(object))
    }

    /// 200 with a page of objects.
    pub fn list(list: ObjectList) -> Self {
        Self::new(200, Payload::List(list))
    }

    /// 200 with a watch stream.
    pub fn watch(events: WatchStream) -> Self {
        Self::new(200, Payload::Watch(events))
    }

    /// A `Status` failure with the error's code.
    pub fn status(error: ApiError) -> Self {
        Self::new(error.code(), Payload::Status(error))
    }

    /// Adds a warning.
    #[must_use]
    pub fn with_warning(mut self, warning: impl Into<String>) -> Self {
        self.warnings.push(warning.into());
        self
    }

    /// The error of a `Status` response.
    pub fn as_error(&self) -> Option<&ApiError> {
        match &self.payload {
            Payload::Status(e) => Some(e),
            _ => None,
        }
    }
}
