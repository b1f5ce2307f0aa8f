//! REST storage: the verbs of each resource over its backend, with storage errors translated
//! into API errors once, per verb (apiserver `InterpretCreateError` and friends).

pub(crate) mod store;
