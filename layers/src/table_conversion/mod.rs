//! Table conversion: `Accept: application/json;as=Table;g=meta.k8s.io;v=v1` answered with a
//! `meta.k8s.io/v1 Table` built by the strategy's `convert_to_table`.
//!
//! The server sets [`RequestContext::table`](crate::RequestContext::table) when the client asks
//! for a Table; [`TableConversion`] then converts what comes back:
//!
//! - one object → a one-row Table whose `metadata.resourceVersion` is the object's;
//! - a list page → a Table with one row per item and the list's `metadata` (resourceVersion,
//!   continue, remainingItemCount);
//! - a watch → every `ADDED`/`MODIFIED`/`DELETED` event carries a one-row Table; only the first
//!   one has `columnDefinitions`. `BOOKMARK` and `ERROR` events pass unchanged.
//!
//! `Status` responses (errors) are never converted. Requests without a Table flag pass untouched.
//!
//! ```
//! use porch_layers::{Payload, RequestContext, StorageRequest, StorageResponse, Strategy, TableConversionLayer, TableOptions, Verb};
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
//!     .layer(TableConversionLayer::new(Arc::new(Widgets)))
//!     .service_fn(|_req: StorageRequest| async {
//!         Ok::<_, std::convert::Infallible>(StorageResponse::ok(json!({"metadata": {"name": "w"}})))
//!     });
//! let ctx = RequestContext::new(Verb::Get).name("w").table(TableOptions::default());
//! let res = futures::executor::block_on(svc.oneshot(StorageRequest::new(ctx))).unwrap();
//! let Payload::Table(table) = res.payload else { panic!("not a table") };
//! assert_eq!(table.to_json()["rows"][0]["cells"][0], "w");
//! ```

mod convert;
mod future;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::TableConversionLayer;
pub use service::TableConversion;

#[cfg(test)]
mod tests;
