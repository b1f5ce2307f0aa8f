//! Canonicalize: the strategy's `canonicalize` on a valid object, the last change before storage
//! persists it (apiserver: prepare → validate → canonicalize → persist).
//!
//! Normal form without change of meaning: an empty lifecycle becomes its default, maps and lists
//! are sorted, paths trimmed. It runs on every write that carries an object (create, update,
//! patch, main resource or `status`); other requests pass untouched.
//!
//! ```
//! use porch_layers::{CanonicalizeLayer, Payload, RequestContext, StorageRequest, StorageResponse, Strategy, Verb};
//! use serde_json::{json, Value};
//! use std::sync::Arc;
//! use tower::{ServiceBuilder, ServiceExt};
//! # #[derive(Debug)] struct Widgets;
//! # impl Strategy for Widgets {
//! #     fn group(&self) -> &str { "example.dev" }
//! #     fn kind(&self) -> &str { "Widget" }
//! #     fn resource(&self) -> &str { "widgets" }
//! #     fn canonicalize(&self, obj: &mut Value) {
//! #         if obj.pointer("/spec/lifecycle").is_none_or(|l| l == "") { obj["spec"]["lifecycle"] = json!("Draft"); }
//! #     }
//! # }
//!
//! let svc = ServiceBuilder::new()
//!     .layer(CanonicalizeLayer::new(Arc::new(Widgets)))
//!     .service_fn(|req: StorageRequest| async move {
//!         Ok::<_, std::convert::Infallible>(StorageResponse::created(req.body.unwrap()))
//!     });
//! let req = StorageRequest::new(RequestContext::new(Verb::Create)).with_body(json!({"spec": {}}));
//! let res = futures::executor::block_on(svc.oneshot(req)).unwrap();
//! assert!(matches!(res.payload, Payload::Object(o) if o["spec"]["lifecycle"] == "Draft"));
//! ```

mod layer;
mod service;

pub use layer::CanonicalizeLayer;
pub use service::Canonicalize;
