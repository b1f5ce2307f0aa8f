//! kpt's package update (Porch's `upgrade` task) as a pure function over file sets.
//!
//! [`update`] takes three versions of one package — `original` (the old upstream revision the
//! local package was made from), `updated` (the new upstream revision) and `local` (the
//! downstream revision, with local edits) — and returns the new local files, as kpt's updaters
//! (`internal/util/update`, kpt v1.0.0-beta.62.1) leave the local directory when Porch runs
//! them with `IsRoot: true`. [`Strategy`] picks the updater.
//!
//! What the caller does afterwards, as Porch does: write the new `upstream` / `upstreamLock`
//! into the root Kptfile (this module leaves the local root Kptfile's `upstream` and
//! `upstreamLock` as they were), run [`ensure_merge_keys`], render.
//!
//! Layout:
//! - `strategy`: the four strategies ([`Strategy`]) over packages and subpackages;
//! - `files`: package layout (which files belong to which package), non-KRM files, package
//!   diffs;
//! - `resources`: resource matching, the per-resource table, writing merged resources back;
//! - `fields`: kyaml merge3's field walk (maps, scalars, non-associative lists);
//! - `lists`: associative lists (patch strategy `merge`);
//! - `schema`: which lists are associative (built-in kinds from a table generated from a
//!   kube-apiserver, plus the package's CRDs);
//! - `kptfile`: the Kptfile merge (`kptfileutil.merge`);
//! - `merge_key`: [`ensure_merge_keys`].
//!
//! Text: files that the update does not change come out byte-identical; a changed resource
//! file keeps the local text of every node the merge left alone (comments, quoting,
//! sequence style); resources taken from `updated` keep `updated`'s text.
//!
//! Where this differs from kpt on purpose is said at each place, under "Differs from kpt".

mod fields;
mod files;
mod kptfile;
mod lists;
mod merge_key;
mod resources;
mod schema;
mod strategy;

pub use merge_key::{UPSTREAM_IDENTIFIER, ensure_merge_keys};
pub use strategy::Strategy;

/// A package's files: path relative to the package root (`/`-separated, may include
/// subpackage directories) → bytes.
pub type Files = std::collections::BTreeMap<String, Vec<u8>>;

/// Why an update failed. The messages are kpt's where kpt has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// fast-forward found local changes; the paths are sorted, relative to the package root,
    /// with `<subpackage> (Package)` for a subpackage that exists on one side only.
    #[error("local package files have been modified: [{}].\n  use a different update --strategy.", .0.join(" "))]
    LocalChanges(Vec<String>),
    /// resource-merge: a subpackage is in `updated` and in `local` but not in `original`.
    #[error("subpackage {0:?} added in both upstream and local")]
    SubpackageAddedBoth(String),
    /// Two resources of one version (`origin`: `original`, `updated` or `dest`) have the same
    /// group, kind, namespace, name and file.
    #[error(
        "found duplicate {origin:?} resources in file {file:?}, please refer to \"update\" documentation for the fix"
    )]
    DuplicateResource {
        /// `original`, `updated` or `dest` (the local package), as kpt names them.
        origin: &'static str,
        /// The file, relative to the package root.
        file: String,
    },
    /// A resource file (YAML or Kptfile) of one version does not parse.
    #[error("{version} package: file {file:?}: {message}")]
    Parse {
        /// `original`, `updated` or `local`.
        version: &'static str,
        /// The file, relative to the package root.
        file: String,
        /// The parser's message (`yaml: line 3: ...`).
        message: String,
    },
    /// The three versions of a resource cannot be merged (a field is a mapping in one and a
    /// scalar in another, or the merge keys of a Kptfile list conflict).
    #[error("failed to merge {file:?}: {message}")]
    Merge {
        /// The file, relative to the package root.
        file: String,
        /// What did not fit.
        message: String,
    },
}

/// Updates `local` from `original` to `updated` with `strategy`; returns the new local files.
///
/// # Errors
/// See [`UpdateError`]; nothing is returned half-done.
pub fn update(
    strategy: Strategy,
    original: &Files,
    updated: &Files,
    local: &Files,
) -> Result<Files, UpdateError> {
    strategy::run(strategy, original, updated, local)
}
