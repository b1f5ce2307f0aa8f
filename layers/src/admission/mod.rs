//! Admission: the strategy's `prepare_for_create` / `prepare_for_update` /
//! `prepare_for_status_update` on the incoming object, before anything checks it.
//!
//! This is where an object is normalized for the resource: defaults, generated values, status
//! preserved on spec updates (and everything but status on status updates), fields users may not
//! set cleared. First, the `null`s of `metadata` are dropped, as decoding into
//! `metav1.ObjectMeta` ignores them ([`object_meta::drop_nulls`](crate::object_meta::drop_nulls)).
//! Which method runs:
//!
//! | request | method |
//! |---|---|
//! | `create`; `update`/`patch` without a current object (create on update, apply) | `prepare_for_create` |
//! | `update`/`patch` of the main resource or another subresource (e.g. `approval`; the strategy reads `ctx.subresource`) | `prepare_for_update` |
//! | `update`/`patch` of `status` | `prepare_for_status_update` |
//! | anything else | none |
//!
//! ```
//! use porch_layers::{AdmissionLayer, Payload, RequestContext, StorageRequest, StorageResponse, Strategy, Verb};
//! use serde_json::json;
//! use std::sync::Arc;
//! use tower::{ServiceBuilder, ServiceExt};
//! # #[derive(Debug)] struct Widgets;
//! # impl Strategy for Widgets {
//! #     fn group(&self) -> &str { "example.dev" }
//! #     fn kind(&self) -> &str { "Widget" }
//! #     fn resource(&self) -> &str { "widgets" }
//! # }
//!
//! let svc = ServiceBuilder::new()
//!     .layer(AdmissionLayer::new(Arc::new(Widgets)))
//!     .service_fn(|req: StorageRequest| async move {
//!         Ok::<_, std::convert::Infallible>(StorageResponse::created(req.body.unwrap()))
//!     });
//! let req = StorageRequest::new(RequestContext::new(Verb::Create))
//!     .with_body(json!({"spec": {}, "status": {"ready": true}}));
//! let res = futures::executor::block_on(svc.oneshot(req)).unwrap();
//! // The default strategy drops status on create.
//! assert!(matches!(res.payload, Payload::Object(o) if o == json!({"spec": {}})));
//! ```

mod layer;
mod service;

pub use layer::AdmissionLayer;
pub use service::Admission;
