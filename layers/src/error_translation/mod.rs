//! Error translation: the one outermost place where `Err` becomes a `Status` response.
//!
//! Inner layers never turn a client mistake into `Err` — they answer with a `Status`
//! [`StorageResponse`](crate::StorageResponse) themselves. What still arrives as `Err` is a
//! failure of REST storage (or of the engine below it). [`ErrorTranslation`] maps it through
//! [`IntoApiError`]: a typed storage error names its API error (404, 409, 422, …), and a boxed
//! [`StorageError`](crate::StorageError) is searched along its cause chain
//! ([`std::error::Error::source`]) for an [`ApiError`](crate::ApiError). Anything else is answered
//! with a generic 500 `InternalError` that reveals nothing internal. The service's error type is
//! [`Infallible`](std::convert::Infallible).
//!
//! This is also the one place that logs a failed request: server failures (5xx and untranslatable
//! errors) at `warn!` with the error's cause chain, refusals (4xx) at `debug!` with code and
//! reason only. Translators ([`IntoApiError`] implementations) do not log.
//!
//! ```
//! use porch_layers::{ErrorTranslationLayer, RequestContext, StorageError, StorageRequest, StorageResponse, Verb};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! let svc = ServiceBuilder::new()
//!     .layer(ErrorTranslationLayer::new())
//!     .service_fn(|_req: StorageRequest| async {
//!         Err::<StorageResponse, StorageError>("disk on fire".into())
//!     });
//! let req = StorageRequest::new(RequestContext::new(Verb::Get).name("a"));
//! let res = futures::executor::block_on(svc.oneshot(req)).unwrap();
//! assert_eq!(res.code, 500);
//! ```

mod future;
mod into_api_error;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use into_api_error::{IntoApiError, api_error_in_chain};
pub use layer::ErrorTranslationLayer;
pub use service::ErrorTranslation;

use service::translate;
