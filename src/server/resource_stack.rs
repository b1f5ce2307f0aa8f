//! The storage stack of one resource: the `porch-layers` around its REST storage, in DESIGN.md's
//! order. The HTTP stack ([`stack`](super::stack)) and the verb handler sit above it; it knows
//! nothing of either.

use porch_layers::{
    AdmissionLayer, CanonicalizeLayer, ErrorTranslationLayer, IntoApiError, StorageRequest, StorageResponse,
    Strategy, TableConversionLayer, ValidationLayer,
};
use std::convert::Infallible;
use std::sync::Arc;
use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;

/// The storage stack of one resource: one cloneable service that never fails, and the strategy
/// its layers apply (the verb handler reads the resource's PATCH rules from it).
#[derive(Clone)]
pub(crate) struct ResourceStack {
    pub(crate) service: BoxCloneSyncService<StorageRequest, StorageResponse, Infallible>,
    pub(crate) strategy: Arc<dyn Strategy>,
}

/// Builds the storage stack of one resource over its REST storage, in DESIGN.md's order
/// (outermost first):
///
/// 1. `ErrorTranslation` — every `Err` below becomes a `Status` response, once, here;
/// 2. `TableConversion` — Table requests get the strategy's columns on the way back (lists,
///    single objects and watch events alike), after every other layer answered;
/// 3. `Admission` — `prepare_for_*` normalizes the incoming object first…
/// 4. `Validation` — …so that validation sees it normalized, and answers 422 before storage;
/// 5. `Canonicalize` — only valid objects are brought into normal form, just before storage.
pub(crate) fn resource_stack<S>(strategy: Arc<dyn Strategy>, storage: S) -> ResourceStack
where
    S: tower::Service<StorageRequest, Response = StorageResponse> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: IntoApiError + Send + 'static,
{
    let svc = ServiceBuilder::new()
        .layer(ErrorTranslationLayer::new())
        .layer(TableConversionLayer::new(strategy.clone()))
        .layer(AdmissionLayer::new(strategy.clone()))
        .layer(ValidationLayer::new(strategy.clone()))
        .layer(CanonicalizeLayer::new(strategy.clone()))
        .service(storage);
    ResourceStack { service: BoxCloneSyncService::new(svc), strategy }
}
