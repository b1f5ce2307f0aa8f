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
