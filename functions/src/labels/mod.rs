//! `set-labels` and `set-annotations`: the catalog functions that put labels or annotations on
//! every resource of a package and on the fields that select or template by them.
//!
//! The catalog has two generations of them, both built in:
//! - kustomize's transformers ([`kustomize`]): set-labels v0.1.5 (LabelTransformer) and
//!   set-annotations v0.1.4 (AnnotationsTransformer), which write the `commonLabels` /
//!   `commonAnnotations` field specs (`crate::kustomize::common`) plus those the configuration adds;
//! - set-labels v0.2 ([`set_labels::SetLabels::V0_2`]), a fixed walk over the fields of the
//!   built-in kinds written with the kpt function SDK ([`sdk`]).
//!
//! Each writes new values as strings and leaves every other node (comments, styles, order) as
//! it was.

mod kustomize;
mod sdk;
pub mod set_annotations;
pub mod set_labels;

/// The `apiVersion` of the functions' own configuration kinds.
const CONFIG_API_VERSION: &str = "fn.kpt.dev/v1alpha1";

/// A node as kyaml's `RNode.String()` writes it (for messages).
fn yaml_text(node: &porch_krm::Node) -> String {
    porch_krm::Document::new(node.clone()).to_text()
}
