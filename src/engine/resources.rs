//! PackageRevisionResources content checks (issue 4, porch-api.md §4.5): every file path must
//! be a clean relative path, and the package must have a root `Kptfile`. Pure.

use std::collections::BTreeMap;

use porch_layers::FieldCause;

use super::kptfile::KPTFILE;
use super::{EngineError, Files};

/// Longest accepted file path, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;
/// Longest path shown in a cause's field name; longer ones are cut with `…`.
const MAX_SHOWN_CHARS: usize = 256;

/// What is wrong with `path` as a package file path, or `None` when it is fine: longer than
/// [`MAX_PATH_BYTES`], NUL or other control characters, empty, absolute (`/…` or `\…`), or a
/// `..` segment.
pub fn path_problem(path: &str) -> Option<&'static str> {
    if path.len() > MAX_PATH_BYTES {
        Some("file path must be at most 4096 bytes")
    } else if path.chars().any(char::is_control) {
        Some("file path must not contain NUL or control characters")
    } else if path.is_empty() {
        Some("file path must not be empty")
    } else if path.starts_with('/') || path.starts_with('\\') {
        Some("file path must be relative to the package root")
    } else if path.split(['/', '\\']).any(|segment| segment == "..") {
        Some("file path must not contain '..' segments")
    } else {
        None
    }
}

/// The field of a file in causes: `spec.resources[<path>]`, control characters escaped and
/// very long paths shortened.
pub fn resource_field(path: &str) -> String {
    let shown: String = path.chars().take(MAX_SHOWN_CHARS).collect::<String>().escape_debug().to_string();
    let ellipsis = if path.chars().count() > MAX_SHOWN_CHARS { "…" } else { "" };
    format!("spec.resources[{shown}{ellipsis}]")
}

/// One cause per bad path, in path order. Empty when every path is acceptable.
pub fn validate_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<FieldCause> {
    paths
        .into_iter()
        .filter_map(|p| path_problem(p).map(|why| FieldCause::invalid(resource_field(p), why)))
        .collect()
}

/// The checks of a PackageRevisionResources update: all paths valid and a root `Kptfile`
/// ("package must contain Kptfile at root"); 422 with every cause. Does not mutate.
pub fn validate_resources(resources: &BTreeMap<String, String>) -> Result<(), EngineError> {
    let mut causes = validate_paths(resources.keys().map(String::as_str));
    if !resources.contains_key(KPTFILE) {
        causes.push(FieldCause::required(resource_field(KPTFILE), "package must contain Kptfile at root"));
    }
    if causes.is_empty() { Ok(()) } else { Err(EngineError::Invalid { causes }) }
}

/// `spec.resources` as a file set.
pub fn to_files(resources: &BTreeMap<String, String>) -> Files {
    resources.iter().map(|(k, v)| (k.clone(), v.clone().into_bytes())).collect()
}

/// A file set as `spec.resources`; a file that is not UTF-8 is an internal error (the API
/// cannot carry it).
pub fn from_files(files: &Files) -> Result<BTreeMap<String, String>, EngineError> {
    files
        .iter()
        .map(|(path, bytes)| match std::str::from_utf8(bytes) {
            Ok(text) => Ok((path.clone(), text.to_string())),
            Err(_) => Err(EngineError::internal(format!("file {path:?} of the package is not UTF-8 text"))),
        })
        .collect()
}

#[cfg(test)]
#[path = "resources_tests.rs"]
mod tests;
