use super::ErrorTranslation;
use tower::Layer;

/// Builds [`ErrorTranslation`]: turns every `Err` of the wrapped service into a `Status`
/// response. See the [module docs](crate::error_translation).
#[derive(Clone, Copy, Debug, Default)]
pub struct ErrorTranslationLayer {
    _private: (),
}

impl ErrorTranslationLayer {
    /// The layer.
    pub fn new() -> Self {
        Self { _private: () }
    }
}

impl<S> Layer<S> for ErrorTranslationLayer {
    type Service = ErrorTranslation<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ErrorTranslation::new(inner)
    }
}
