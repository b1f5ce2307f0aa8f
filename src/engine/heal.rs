//! Comments healed on a PackageRevisionResources update (render-upgrade.md §1.6; Porch's
//! `healConfig`): clients that edit resources as JSON or through typed objects drop YAML
//! comments, and comments such as `# kpt-merge: ns/name` and `# kpt-set:` are semantics. So
//! each resource of the new files gets the comments of the previous version of the resource
//! with the same apiVersion, kind, namespace and name (in any file), wherever its own comments
//! are empty ([`porch_krm::comments::copy_comments`]). Resources holding ytt template comments
//! (`#@`, `#!`) on either side are left alone, as Porch does.
//!
//! Unlike Porch, which writes every YAML file of the package back through its serializer, a
//! file is rewritten only when a comment was filled in; every other file keeps its exact bytes.
//! A rewritten file changes where comments were added, and otherwise only where its layout is
//! not kpt's (the emitter's normalizations, such as indentation, see `porch_krm`).

use std::collections::HashMap;

use porch_krm::comments::copy_comments;
use porch_krm::package::is_resource_file;
use porch_krm::{Node, Stream};

use super::Files;

/// The identity a previous version is found by: apiVersion, kind, namespace and name.
type Identity = (String, String, String, String);

fn identity(root: &Node) -> Identity {
    let text = |path: &[&str]| root.get_path(path).and_then(Node::as_str).unwrap_or("").to_string();
    (text(&["apiVersion"]), text(&["kind"]), text(&["metadata", "namespace"]), text(&["metadata", "name"]))
}

/// Whether `text` holds ytt template comments, which must not move.
fn is_template(text: &str) -> bool {
    text.contains("#@") || text.contains("#!")
}

/// The YAML resource files among `files`, as streams; JSON files carry no comments, and files
/// that do not parse are skipped (render reports them).
fn yaml_streams<'a>(
    files: impl Iterator<Item = (&'a String, &'a Vec<u8>)>,
) -> impl Iterator<Item = (&'a String, Stream)> {
    files.filter(|(path, _)| is_resource_file(path) && !path.ends_with(".json")).filter_map(
        |(path, bytes)| {
            let text = std::str::from_utf8(bytes).ok()?;
            Some((path, Stream::parse(text).ok()?))
        },
    )
}

/// Fills the empty comments of the resources in `new` from their previous versions in `old`
/// (see the module documentation). Mutates `new` only where a comment was added; a file the
/// user sent unchanged from `old` is never touched.
pub(crate) fn heal_comments(old: &Files, new: &mut Files) {
    let mut previous: HashMap<Identity, Vec<Node>> = HashMap::new();
    for (_, stream) in yaml_streams(old.iter()) {
        for doc in stream.documents.into_iter().filter(|d| !is_template(&d.to_text())) {
            if let Some(root) = doc.root {
                previous.entry(identity(&root)).or_default().push(root);
            }
        }
    }
    if previous.is_empty() {
        return;
    }
    let mut healed = Vec::new();
    let changed = new.iter().filter(|(path, bytes)| old.get(*path) != Some(*bytes));
    for (path, mut stream) in yaml_streams(changed) {
        let mut filled = false;
        for doc in &mut stream.documents {
            let before = doc.to_text();
            let Some(root) = doc.root.as_mut().filter(|_| !is_template(&before)) else { continue };
            for version in previous.get(&identity(root)).into_iter().flatten() {
                copy_comments(version, root);
            }
            filled |= doc.to_text() != before;
        }
        if filled {
            healed.push((path.clone(), stream.to_text().into_bytes()));
        }
    }
    new.extend(healed);
}

#[cfg(test)]
#[path = "heal_tests.rs"]
mod tests;
