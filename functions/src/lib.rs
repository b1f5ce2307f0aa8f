//! The KRM functions porch-rs runs in-process ("builtins"): Rust implementations of functions of
//! the kpt catalog (`ghcr.io/kptdev/krm-functions-catalog`), each behaving as the catalog
//! function of the same tag does — its config kinds, what it changes, its results and error
//! messages.
//!
//! A [`Function`] takes a [`ResourceList`] (items, `functionConfig`) and changes its items in
//! place, returning its [`FnResult`]s and its exit code (a catalog function may report an
//! error result and still exit 0, as set-namespace does for a bad configuration). [`object`] reads and writes the parts of a KRM object the
//! functions share (identity, annotations, scope, upstream origin), keeping comments and styles.
//!
//! Functions:
//! - [`apply_replacements`]: `apply-replacements` v0.1.1 to v0.1.5.
//! - [`apply_setters`]: `apply-setters` v0.1.1, v0.2.
//! - [`create_setters`]: `create-setters` v0.1.0.
//! - [`ensure_name_substring`]: `ensure-name-substring` v0.1.1, v0.2.0.
//! - [`remove_local_config_resources`]: `remove-local-config-resources` v0.1.0.
//! - [`search_replace`]: `search-replace` v0.1.0, v0.1.1, v0.2.0.
//! - [`set_annotations`]: `set-annotations` v0.1.4.
//! - [`set_image`]: `set-image` v0.1.0, v0.1.1.
//! - [`set_labels`]: `set-labels` v0.1.5, v0.2.0, v0.2.1.
//! - [`set_namespace`]: `set-namespace` v0.4.
//! - [`starlark`]: `starlark` v0.4.3, v0.5.0 to v0.5.5.
//! - [`upsert_resource`]: `upsert-resource` v0.1.0, v0.2.0.

pub mod apply_replacements;
pub mod apply_setters;
pub mod catalog;
pub mod create_setters;
pub mod ensure_name_substring;
mod go;
mod kustomize;
pub mod labels;
pub mod object;
pub mod remove_local_config_resources;
pub mod result;
pub mod scope;
pub mod search_replace;
pub mod set_image;
pub mod set_namespace;
pub mod starlark;
pub mod upsert_resource;

pub use labels::{set_annotations, set_labels};
pub use porch_krm::ResourceList;
pub use result::{FnResult, ResourceRef, Severity};

/// What a run reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Its results, in the order it made them.
    pub results: Vec<FnResult>,
    /// 0 when it succeeded; otherwise its items must not be used.
    pub exit_code: i32,
}

/// A KRM function run in-process.
pub trait Function: Send + Sync {
    /// Runs over `list`, changing its items in place.
    fn run(&self, list: &mut ResourceList) -> Outcome;
}
