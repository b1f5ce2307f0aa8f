//! Crate-private macros shared by the layers.

/// Generates `get_ref`, `get_mut` and `into_inner` for a service whose wrapped service is the
/// field `inner` (tower-http's `define_inner_service_accessors!`).
macro_rules! define_inner_service_accessors {
    () => {
        /// Gets a reference to the wrapped service.
        pub fn get_ref(&self) -> &S {
            &self.inner
        }

        /// Gets a mutable reference to the wrapped service.
        pub fn get_mut(&mut self) -> &mut S {
            &mut self.inner
        }

        /// Consumes `self`, returning the wrapped service.
        pub fn into_inner(self) -> S {
            self.inner
        }
    };
}

/// Generates, for a service `$svc<S, St>` holding `inner: S` and `strategy: Arc<St>` and built
/// by `$layer<St>`: `new`, `layer`, the inner-service accessors, and `Clone`/`Debug` impls that
/// do not require `St: Clone` (the strategy is shared) and print the strategy's kind.
macro_rules! define_strategy_service {
    ($svc:ident, $layer:ident) => {
        impl<S, St: ?Sized> $svc<S, St> {
            /// Wraps `inner` with the resource of `strategy`.
            pub fn new(inner: S, strategy: std::sync::Arc<St>) -> Self {
                Self { inner, strategy }
            }

            /// The layer that builds this service.
            pub fn layer(strategy: std::sync::Arc<St>) -> $layer<St> {
                $layer::new(strategy)
            }

            define_inner_service_accessors!();
        }

        impl<S: Clone, St: ?Sized> Clone for $svc<S, St> {
            fn clone(&self) -> Self {
                Self { inner: self.inner.clone(), strategy: std::sync::Arc::clone(&self.strategy) }
            }
        }

        impl<S: std::fmt::Debug, St: $crate::strategy::Strategy + ?Sized> std::fmt::Debug for $svc<S, St> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($svc))
                    .field("inner", &self.inner)
                    .field("strategy", &self.strategy.kind())
                    .finish()
            }
        }
    };
}
