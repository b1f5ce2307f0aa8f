//! Generic Kubernetes API-server machinery for porch-rs: `Status` errors, selectors, PATCH
//! handling, managed fields, the [`Strategy`] of a resource and the tower layers that apply it
//! around REST storage.
//!
//! Nothing here knows Porch types; the server composes these pieces around its REST storage.
//! The storage stack, outermost first (DESIGN.md, "The request path"):
//!
//! ```text
//! ErrorTranslation -> TableConversion -> Admission -> Validation -> Canonicalize -> REST storage
//! ```
//!
//! Each layer is a plain `tower::Layer` over a `Service<StorageRequest, Response =
//! StorageResponse>`; REST storage is the innermost such service.

#[macro_use]
mod macros;

pub mod admission;
pub mod canonicalize;
pub mod error_translation;
pub mod json_pointer;
pub mod managed_fields;
pub mod object_meta;
pub mod paging;
pub mod patch;
pub mod request;
pub mod schema;
pub mod selector;
pub mod status;
pub mod strategy;
pub mod table_conversion;
pub mod validation;

#[cfg(test)]
mod stack_tests;
#[cfg(test)]
mod test_helpers;

pub use admission::{Admission, AdmissionLayer};
pub use canonicalize::{Canonicalize, CanonicalizeLayer};
pub use error_translation::{ErrorTranslation, ErrorTranslationLayer, IntoApiError};
pub use request::{
    DeleteOptions, EncodedChunk, EncodedObject, Frames, ListOptions, ObjectList, Payload, RequestContext,
    StorageError, StorageRequest, StorageResponse, UserInfo, Verb, WatchEvent, WatchEventType, WatchStream,
    json_to_bytes,
};
pub use selector::{FieldSelector, LabelSelector, SelectorError};
pub use status::{ApiError, CauseReason, FieldCause};
pub use strategy::{Column, IncludeObject, Strategy, TableList, TableOptions};
pub use table_conversion::{TableConversion, TableConversionLayer};
pub use validation::{Validation, ValidationLayer};
