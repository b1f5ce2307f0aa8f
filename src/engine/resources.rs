//! PackageRevisionResources content checks (issue 4, porch-api.md §4.5): every file path must
//! be a clean relative path, no path may be both a file and a directory, and the package must
//! have a root `Kptfile` that is a Kptfile. Pure.

use std::collections::{BTreeMap, BTreeSet};

use porch_layers::FieldCause;

use super::kptfile::{self, KPTFILE};
use super::{EngineError, Files};
use crate::engine::Result;

/// Longest accepted file path, in bytes.
pub(crate) const MAX_PATH_BYTES: usize = 4096;
/// Longest accepted path segment (one file or directory name), in bytes: `NAME_MAX` of the
/// usual filesystems, so every package can be checked out.
pub(crate) const MAX_SEGMENT_BYTES: usize = 255;
/// Longest path shown in a cause's field name; longer ones are cut with `…`.
const MAX_SHOWN_CHARS: usize = 256;

/// Whether `c` changes the direction of the text around it (the "Trojan Source" characters):
/// the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, and the marks
/// U+200E, U+200F and U+061C. A file name holding one reads differently from what it is.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// What is wrong with `path` as a package file path, or `None` when it is fine: longer than
/// [`MAX_PATH_BYTES`], NUL or other control characters, bidi control characters, empty,
/// absolute (`/…` or `\…`), a `..` segment, a trailing `/`, an empty or `.` segment, a `.git`
/// segment (any case), or a segment longer than [`MAX_SEGMENT_BYTES`].
pub(crate) fn path_problem(path: &str) -> Option<&'static str> {
    if path.len() > MAX_PATH_BYTES {
        Some("file path must be at most 4096 bytes")
    } else if path.chars().any(char::is_control) {
        Some("file path must not contain NUL or control characters")
    } else if path.chars().any(is_bidi_control) {
        Some("file path must not contain bidirectional control characters")
    } else if path.is_empty() {
        Some("file path must not be empty")
    } else if path.starts_with('/') || path.starts_with('\\') {
        Some("file path must be relative to the package root")
    } else if path.split(['/', '\\']).any(|segment| segment == "..") {
        Some("file path must not contain '..' segments")
    } else if path.ends_with('/') {
        Some("file path must not end with '/'")
    } else {
        path.split('/').find_map(segment_problem)
    }
}

/// What is wrong with one `/`-separated segment of a file path.
fn segment_problem(segment: &str) -> Option<&'static str> {
    if segment.is_empty() {
        Some("file path must not contain empty segments ('//')")
    } else if segment == "." {
        Some("file path must not contain '.' segments")
    } else if segment.eq_ignore_ascii_case(".git") {
        Some("file path must not contain a '.git' segment")
    } else if segment.len() > MAX_SEGMENT_BYTES {
        Some("each file or directory name in a file path must be at most 255 bytes")
    } else {
        None
    }
}

/// The field of a file in causes: `spec.resources[<path>]`, control characters escaped and
/// very long paths shortened.
pub(crate) fn resource_field(path: &str) -> String {
    let shown: String = path.chars().take(MAX_SHOWN_CHARS).collect::<String>().escape_debug().to_string();
    let ellipsis = if path.chars().count() > MAX_SHOWN_CHARS { "…" } else { "" };
    format!("spec.resources[{shown}{ellipsis}]")
}

/// One cause per bad path, in path order. Empty when every path is acceptable.
pub(crate) fn validate_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<FieldCause> {
    paths
        .into_iter()
        .filter_map(|p| path_problem(p).map(|why| FieldCause::invalid(resource_field(p), why)))
        .collect()
}

/// One cause per path that lies under another path of the set that is a file (`notes.txt` and
/// `notes.txt/child.yaml`): git can hold only one of them, so the other would be lost. The
/// cause is on the inner path and names the file it conflicts with. Empty when there is none.
pub(crate) fn file_directory_conflicts(paths: &BTreeSet<&str>) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    for path in paths {
        let file = path.match_indices('/').map(|(at, _)| &path[..at]).find(|dir| paths.contains(dir));
        if let Some(file) = file {
            causes.push(FieldCause::invalid(
                resource_field(path),
                format!(
                    "file path conflicts with {}: {file:?} cannot be both a file and a directory",
                    resource_field(file)
                ),
            ));
        }
    }
    causes
}

/// The path checks of a whole file set: [`validate_paths`], then, when every path is clean,
/// [`file_directory_conflicts`]. Empty when the set can be written as one git tree as it is.
pub(crate) fn validate_file_set<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<FieldCause> {
    let paths: BTreeSet<&str> = paths.into_iter().collect();
    let causes = validate_paths(paths.iter().copied());
    if causes.is_empty() { file_directory_conflicts(&paths) } else { causes }
}

/// The checks of a PackageRevisionResources update: [`validate_file_set`], a root `Kptfile`
/// ("package must contain Kptfile at root") that is a Kptfile ([`kptfile::check_kptfile`]);
/// 422 with every cause. Does not mutate.
pub(crate) fn validate_resources(resources: &BTreeMap<String, String>) -> Result<()> {
    let mut causes = validate_file_set(resources.keys().map(String::as_str));
    match resources.get(KPTFILE) {
        None => {
            causes.push(FieldCause::required(resource_field(KPTFILE), "package must contain Kptfile at root"))
        }
        Some(text) => {
            if let Err(e) = kptfile::check_kptfile(KPTFILE, text.as_bytes()) {
                causes.push(FieldCause::invalid(resource_field(KPTFILE), e.to_string()));
            }
        }
    }
    if causes.is_empty() { Ok(()) } else { Err(EngineError::Invalid { causes }) }
}

/// `spec.resources` as a file set.
pub(crate) fn to_files(resources: &BTreeMap<String, String>) -> Files {
    resources.iter().map(|(k, v)| (k.clone(), v.clone().into_bytes())).collect()
}

/// A file set as `spec.resources`; a file that is not UTF-8 is an internal error (the API
/// cannot carry it).
pub(crate) fn from_files(files: &Files) -> Result<BTreeMap<String, String>> {
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
