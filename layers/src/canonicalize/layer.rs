use super::Canonicalize;
use crate::strategy::Strategy;
use std::sync::Arc;
use tower::Layer;

/// Builds [`Canonicalize`] over one resource's [`Strategy`]. See the [module docs](crate::canonicalize).
pub struct CanonicalizeLayer<St: ?Sized> {
    strategy: Arc<St>,
}

impl<St: ?Sized> CanonicalizeLayer<St> {
    /// The layer for the resource of `strategy`.
    pub fn new(strategy: Arc<St>) -> Self {
        Self { strategy }
    }
}

impl<St: ?Sized> Clone for CanonicalizeLayer<St> {
    fn clone(&self) -> Self {
        Self { strategy: Arc::clone(&self.strategy) }
    }
}

impl<St: Strategy + ?Sized> std::fmt::Debug for CanonicalizeLayer<St> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CanonicalizeLayer").field("strategy", &self.strategy.kind()).finish()
    }
}

impl<S, St: ?Sized> Layer<S> for CanonicalizeLayer<St> {
    type Service = Canonicalize<S, St>;

    fn layer(&self, inner: S) -> Self::Service {
        Canonicalize::new(inner, Arc::clone(&self.strategy))
    }
}
