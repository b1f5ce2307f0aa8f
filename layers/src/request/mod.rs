//! What the layers operate on: a [`StorageRequest`] going down to REST storage and a
//! [`StorageResponse`] coming back.
//!
//! REST storage at the bottom of the stack is a
//! `Service<StorageRequest, Response = StorageResponse>`; its error type is left to it (commonly
//! [`StorageError`]) as long as it implements [`IntoApiError`](crate::IntoApiError), which the
//! outermost [`ErrorTranslation`](crate::ErrorTranslation) layer needs.
//!
//! The server decodes the HTTP request (path, query, body, PATCH applied against the current
//! object) into a [`StorageRequest`] and encodes the [`StorageResponse`] as JSON, a Table, a watch
//! stream or a `Status`. Nothing here touches HTTP.

mod context;
mod encoded;
mod frames;
mod options;
pub mod precondition;
mod resource_version;
mod response;

pub use context::{RequestContext, UserInfo, Verb};
pub use encoded::{EncodedChunk, EncodedObject, json_to_bytes};
pub use frames::Frames;
pub use options::{DeleteOptions, ListOptions, check_send_initial_events};
pub use resource_version::{FRESHNESS_WAIT, ReadAt, Unservable, parse_resource_version};
pub use response::{
    ObjectList, Payload, StorageResponse, WatchEvent, WatchEventType, WatchStream, encode_line, list_metadata,
};

use serde_json::Value;

/// The error type of REST storage when it has no typed error of its own: any error, whose cause
/// chain [`ErrorTranslation`](crate::ErrorTranslation) searches for an
/// [`ApiError`](crate::ApiError).
pub type StorageError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// One call of REST storage: the verb and its context, the incoming object and, for updates,
/// the current one.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StorageRequest {
    /// Who asks for what; see [`RequestContext`].
    pub ctx: RequestContext,
    /// The incoming object of `create`, `update` and `patch` (for a patch: the current object with
    /// the patch applied). The admission and canonicalize layers mutate it in place.
    pub body: Option<Value>,
    /// The current object of `update` and `patch`, as the caller read it. `None` on an update
    /// means "create on update" (server-side apply of a missing object): the layers then treat the
    /// request as a create.
    pub old: Option<Value>,
    /// Selectors and paging of `list`, `watch` and `deletecollection`.
    pub list: ListOptions,
    /// Preconditions and dry-run of `delete` and `deletecollection`.
    pub delete: DeleteOptions,
}

impl StorageRequest {
    /// A request with no body, no current object and default options.
    pub fn new(ctx: RequestContext) -> Self {
        Self { ctx, body: None, old: None, list: ListOptions::default(), delete: DeleteOptions::default() }
    }

    /// Sets the incoming object.
    #[must_use]
    pub fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Sets the current object (update and patch).
    #[must_use]
    pub fn with_old(mut self, old: Value) -> Self {
        self.old = Some(old);
        self
    }

    /// Sets the list options.
    #[must_use]
    pub fn with_list(mut self, list: ListOptions) -> Self {
        self.list = list;
        self
    }

    /// Sets the delete options.
    #[must_use]
    pub fn with_delete(mut self, delete: DeleteOptions) -> Self {
        self.delete = delete;
        self
    }

    /// The parts a write-time layer needs, split so the object can be mutated while the context
    /// and the current object are read: `None` when the request carries no object to write.
    pub(crate) fn write_parts(&mut self) -> Option<(&RequestContext, &mut Value, Write<'_>)> {
        let body = self.body.as_mut()?;
        let write = match (self.ctx.verb, &self.old) {
            (Verb::Create, _) | (Verb::Update | Verb::Patch, None) => Write::Create,
            (Verb::Update | Verb::Patch, Some(old)) if self.ctx.is_status() => Write::StatusUpdate(old),
            (Verb::Update | Verb::Patch, Some(old)) => Write::Update(old),
            _ => return None,
        };
        Some((&self.ctx, body, write))
    }
}

/// The kind of write a request is, with the current object of updates.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Write<'a> {
    /// `create`, or an update of an object that does not exist yet.
    Create,
    /// `update`/`patch` of the main resource.
    Update(&'a Value),
    /// `update`/`patch` of the `status` subresource.
    StatusUpdate(&'a Value),
}
