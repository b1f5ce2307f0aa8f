use super::Validation;
use crate::strategy::Strategy;
use std::sync::Arc;
use tower::Layer;

/// Builds [`Validation`] over one resource's [`Strategy`]. See the
/// [module docs](crate::validation).
pub struct ValidationLayer<St: ?Sized> {
    strategy: Arc<St>,
}

impl<St: ?Sized> ValidationLayer<St> {
    /// The layer for the resource of `strategy`.
    pub fn new(strategy: Arc<St>) -> Self {
        Self { strategy }
    }
}

impl<St: ?Sized> Clone for ValidationLayer<St> {
    fn clone(&self) -> Self {
        Self { strategy: Arc::clone(&self.strategy) }
    }
}

impl<St: Strategy + ?Sized> std::fmt::Debug for ValidationLayer<St> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidationLayer").field("strategy", &self.strategy.kind()).finish()
    }
}

impl<S, St: ?Sized> Layer<S> for ValidationLayer<St> {
    type Service = Validation<S, St>;

    fn layer(&self, inner: S) -> Self::Service {
        Validation::new(inner, Arc::clone(&self.strategy))
    }
}
