use super::Admission;
use crate::strategy::Strategy;
use std::sync::Arc;
use tower::Layer;

/// Builds [`Admission`] over one resource's [`Strategy`]. See the [module docs](crate::admission).
pub struct AdmissionLayer<St: ?Sized> {
    strategy: Arc<St>,
}

impl<St: ?Sized> AdmissionLayer<St> {
    /// The layer for the resource of `strategy`.
    pub fn new(strategy: Arc<St>) -> Self {
        Self { strategy }
    }
}

impl<St: ?Sized> Clone for AdmissionLayer<St> {
    fn clone(&self) -> Self {
        Self { strategy: Arc::clone(&self.strategy) }
    }
}

impl<St: Strategy + ?Sized> std::fmt::Debug for AdmissionLayer<St> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdmissionLayer").field("strategy", &self.strategy.kind()).finish()
    }
}

impl<S, St: ?Sized> Layer<S> for AdmissionLayer<St> {
    type Service = Admission<S, St>;

    fn layer(&self, inner: S) -> Self::Service {
        Admission::new(inner, Arc::clone(&self.strategy))
    }
}
