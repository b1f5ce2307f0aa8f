//! Validation: the strategy's `validate` / `validate_update` / `validate_status_update` on the
//! prepared object; any [`FieldCause`](crate::FieldCause) rejects the request.
//!
//! A rejection is a *response*, not an error: the 422 `Invalid` `Status` (message
//! `<Kind>.<group> "<name>" is invalid: <causes>`, one `details.causes` entry per field) is
//! answered without calling the inner service, and the service's error type stays the inner one.
//! An accepted write gets the strategy's `warnings_on_create` / `warnings_on_update` added to the
//! response's warnings, ahead of any warnings storage adds.
//!
//! The method follows the request as in [`admission`](crate::admission): create (and create on
//! update) → `validate`; update of the main resource → `validate_update`; update of `status` →
//! `validate_status_update`; other verbs pass.
//!
//! Around the strategy, the common `metadata` checks of [`object_meta`](crate::object_meta), in
//! apiserver's order: the metadata's types first (`metadata.ownerReferences: Invalid value:
//! "string": …`); on create, the strategy's `validate` and, only if it passed, the ObjectMeta
//! rules (names as URL path segments, namespace per
//! [`namespace_scoped`](crate::Strategy::namespace_scoped), labels, annotations, owner
//! references, finalizers, managed fields); on update, the ObjectMeta update rules together with
//! the strategy's `validate_update` / `validate_status_update`.
//!
//! ```
//! use porch_layers::{FieldCause, RequestContext, StorageRequest, StorageResponse, Strategy, ValidationLayer, Verb};
//! use serde_json::{json, Value};
//! use std::sync::Arc;
//! use tower::{ServiceBuilder, ServiceExt};
//! # #[derive(Debug)] struct Widgets;
//! # impl Strategy for Widgets {
//! #     fn group(&self) -> &str { "example.dev" }
//! #     fn kind(&self) -> &str { "Widget" }
//! #     fn resource(&self) -> &str { "widgets" }
//! #     fn validate(&self, _: &RequestContext, o: &Value) -> Vec<FieldCause> {
//! #         if o.pointer("/spec/size").is_some() { vec![] } else { vec![FieldCause::required("spec.size", "")] }
//! #     }
//! # }
//!
//! let svc = ServiceBuilder::new()
//!     .layer(ValidationLayer::new(Arc::new(Widgets)))
//!     .service_fn(|req: StorageRequest| async move {
//!         Ok::<_, std::convert::Infallible>(StorageResponse::created(req.body.unwrap()))
//!     });
//! let req = StorageRequest::new(RequestContext::new(Verb::Create))
//!     .with_body(json!({"metadata": {"name": "w", "namespace": "default"}, "spec": {}}));
//! let res = futures::executor::block_on(svc.oneshot(req)).unwrap();
//! assert_eq!(res.code, 422);
//! assert_eq!(res.as_error().unwrap().message(), "Widget.example.dev \"w\" is invalid: spec.size: Required value");
//! ```

mod future;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::ValidationLayer;
pub use service::Validation;
