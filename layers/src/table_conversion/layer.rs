use super::TableConversion;
use crate::strategy::Strategy;
use std::sync::Arc;
use tower::Layer;

/// Builds [`TableConversion`] over one resource's [`Strategy`]. See the [module docs](crate::table_conversion).
pub struct TableConversionLayer<St: ?Sized> {
    strategy: Arc<St>,
}

impl<St: ?Sized> TableConversionLayer<St> {
    /// The layer for the resource of `strategy`.
    pub fn new(strategy: Arc<St>) -> Self {
        Self { strategy }
    }
}

impl<St: ?Sized> Clone for TableConversionLayer<St> {
    fn clone(&self) -> Self {
        Self { strategy: Arc::clone(&self.strategy) }
    }
}

impl<St: Strategy + ?Sized> std::fmt::Debug for TableConversionLayer<St> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableConversionLayer").field("strategy", &self.strategy.kind()).finish()
    }
}

impl<S, St: ?Sized> Layer<S> for TableConversionLayer<St> {
    type Service = TableConversion<S, St>;

    fn layer(&self, inner: S) -> Self::Service {
        TableConversion::new(inner, Arc::clone(&self.strategy))
    }
}
