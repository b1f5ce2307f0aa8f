//! Kubernetes label and field selectors, parsed once and matched many times.
//!
//! [`LabelSelector`] implements the full `labelSelector` query syntax of kube-apiserver
//! (`k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`, comma-separated ANDs);
//! [`FieldSelector`] implements the `fieldSelector` syntax (`=`, `==`, `!=`, comma-separated ANDs).
//! Both report syntax problems as a [`SelectorError`] whose message is fit for a 400 `BadRequest`
//! Status, worded like kube-apiserver's.
//!
//! ```
//! use std::collections::BTreeMap;
//! use porch_layers::selector::{FieldSelector, LabelSelector};
//!
//! let sel = LabelSelector::parse("env in (prod,staging), !legacy").unwrap();
//! let labels = BTreeMap::from([("env".to_string(), "prod".to_string())]);
//! assert!(sel.matches(&labels));
//!
//! let fields = FieldSelector::parse("metadata.name=a,type!=Opaque").unwrap();
//! assert!(fields.matches(|f| (f == "metadata.name").then(|| "a".to_string())));
//! ```

mod field;
mod label;
mod validate;

pub use field::{FieldOperator, FieldRequirement, FieldSelector};
pub use label::{LabelOperator, LabelRequirement, LabelSelector};

/// A selector string that could not be parsed.
///
/// The `Display` text is the whole message (no prefix added), ready for a `BadRequest` Status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectorError {
    /// The `labelSelector` is malformed or holds an invalid key or value.
    #[error("{0}")]
    Label(String),
    /// The `fieldSelector` is malformed.
    #[error("{0}")]
    Field(String),
}
