//! The Kptfile merge (kpt's `kptfileutil.UpdateKptfile` / `merge`).
//!
//! The three Kptfiles are merged with the field rules (`fields`), no schema, lists of
//! mappings that all have a `name` merged by name (kyaml's `InferAssociativeLists`). When no
//! pipeline function of any version has a name and no list holds the same function twice,
//! each function is first given the synthetic name `_kpt-merge_<exec, or image without its
//! tag>`, so functions merge by image; the synthetic names are removed afterwards. Only
//! `metadata.annotations`, `metadata.labels`, `info`, `pipeline`, `inventory` and `status` are
//! taken from the merge; everything else stays as the local Kptfile has it. For a subpackage
//! (not the root), `upstream` and `upstreamLock` are taken from updated's Kptfile when it has
//! them, as kpt does; the root's are the caller's to set.
//!
//! Differs from kpt: kpt decodes the Kptfiles into Go structs and writes the result back from
//! the struct (dropping comments and unknown fields, and refusing unknown fields); here the
//! merge runs on the local text, which keeps its comments and layout. A package without a local
//! Kptfile gets updated's.

use super::UpdateError;
use super::fields::{Sources, Walker, set_field};
use super::resources::{parse, text};
use super::schema::Schema;
use crate::{Node, Stream};

const SYNTHETIC: &str = "_kpt-merge_";
const FIELDS: [(&[&str], &str); 6] = [
    (&["metadata"], "annotations"),
    (&["metadata"], "labels"),
    (&[], "info"),
    (&[], "pipeline"),
    (&[], "inventory"),
    (&[], "status"),
];

/// The first document's root of a Kptfile.
fn root_of(
    version: &'static str,
    path: &str,
    bytes: Option<&Vec<u8>>,
) -> Result<Option<(Stream, Node)>, UpdateError> {
    let Some(bytes) = bytes else { return Ok(None) };
    let stream = parse(version, path, bytes)?;
    let root = stream.documents.iter().find_map(|d| d.root.clone());
    Ok(root.map(|r| (stream, r)))
}

/// The merged local Kptfile at `path`; `None` when neither local nor updated has one.
pub(super) fn merge(
    path: &str,
    original: Option<&Vec<u8>>,
    updated: Option<&Vec<u8>>,
    local: Option<&Vec<u8>>,
    take_upstream: bool,
) -> Result<Option<Vec<u8>>, UpdateError> {
    let Some((stream, local_root)) = root_of("local", path, local)? else {
        return Ok(updated.cloned());
    };
    let mut o = root_of("original", path, original)?.map(|(_, r)| r);
    let mut u = root_of("updated", path, updated)?.map(|(_, r)| r);
    let mut l = local_root.clone();
    let synthetic =
        [Some(&l), o.as_ref(), u.as_ref()].into_iter().flatten().all(functions_unnamed_and_distinct);
    if synthetic {
        for kf in [Some(&mut l), o.as_mut(), u.as_mut()].into_iter().flatten() {
            name_functions(kf);
        }
    }
    let schema = Schema::none();
    let walker = Walker { schema: &schema, infer: true };
    let sources = Sources { dest: Some(&l), orig: o.as_ref(), upd: u.as_ref() };
    let mut merged = walker
        .merge(sources, None, &mut Vec::new())
        .map_err(|message| UpdateError::Merge { file: path.to_string(), message })?
        .unwrap_or_else(Node::mapping);
    if synthetic {
        unname_functions(&mut merged);
    }
    let mut result = local_root.clone();
    for (parent, key) in FIELDS {
        take(&mut result, &merged, parent, key);
    }
    if take_upstream && let Some(u) = &u {
        for key in ["upstream", "upstreamLock"] {
            if let Some(value) = u.get(key).filter(|v| !v.is_null()) {
                set_field(&mut result, key, Some(value.clone()), u.pair(key).map(|p| p.key.clone()));
            }
        }
    }
    Ok(Some(write(stream, local.cloned().unwrap_or_default(), result)))
}

/// `stream` with its first root replaced; its own bytes when that changes nothing.
pub(super) fn write(stream: Stream, bytes: Vec<u8>, root: Node) -> Vec<u8> {
    let mut new = stream.clone();
    if let Some(doc) = new.documents.iter_mut().find(|d| d.root.is_some()) {
        doc.root = Some(root);
    }
    if new == stream { bytes } else { new.to_text().into_bytes() }
}

/// Sets `parent.key` of `result` as `merged` has it (removed when `merged` lacks it).
fn take(result: &mut Node, merged: &Node, parent: &[&str], key: &str) {
    let from = merged.get_path(parent).and_then(|p| p.pair(key)).filter(|p| !p.value.is_null());
    let target = match (result.get_path(parent).is_some(), from) {
        (true, _) => result.get_path_mut(parent),
        (false, Some(_)) => parent.iter().try_fold(&mut *result, |n, k| n.mapping_entry(k).ok()),
        (false, None) => None,
    };
    let Some(target) = target else { return };
    match from {
        Some(pair) => match target.pair_mut(key) {
            Some(existing) => *existing = pair.clone(),
            None => {
                if let Some(pairs) = target.as_mapping_mut() {
                    pairs.push(pair.clone());
                }
            }
        },
        None => {
            target.remove(key);
        }
    }
}

/// The pipeline's function lists.
fn function_lists(kf: &Node) -> impl Iterator<Item = &Vec<Node>> {
    ["mutators", "validators"].into_iter().filter_map(|k| kf.get_path(&["pipeline", k])?.as_sequence())
}

/// The merge name a function gets: its `exec`, else its image up to the first `:`.
fn function_key(f: &Node) -> &str {
    let exec = text(f, &["exec"]);
    if exec.is_empty() { text(f, &["image"]).split(':').next().unwrap_or("") } else { exec }
}

/// kpt's `shouldAddFnKeyUtil` for every list of a Kptfile.
fn functions_unnamed_and_distinct(kf: &Node) -> bool {
    function_lists(kf).all(|list| {
        let mut seen = std::collections::HashSet::new();
        list.iter().all(|f| text(f, &["name"]).is_empty() && seen.insert(function_key(f)))
    })
}

fn name_functions(kf: &mut Node) {
    for k in ["mutators", "validators"] {
        let Some(list) = kf.get_path_mut(&["pipeline", k]).and_then(Node::as_sequence_mut) else { continue };
        for f in list.iter_mut().filter(|f| f.as_mapping().is_some()) {
            let name = format!("{SYNTHETIC}{}", function_key(f));
            f.remove("name");
            let _ = f.set("name", Node::string(name));
        }
    }
}

fn unname_functions(kf: &mut Node) {
    for k in ["mutators", "validators"] {
        let Some(list) = kf.get_path_mut(&["pipeline", k]).and_then(Node::as_sequence_mut) else { continue };
        for f in list.iter_mut() {
            if text(f, &["name"]).starts_with(SYNTHETIC) {
                f.remove("name");
            }
        }
    }
}

/// kpt's `clearRenderStatus`: removes `status.renderStatus` and the `Rendered` conditions,
/// then `conditions` and `status` when they are left empty.
pub(super) fn clear_render_status(kf: &mut Node) {
    let Some(status) = kf.get_mut("status") else { return };
    status.remove("renderStatus");
    if let Some(conditions) = status.get_mut("conditions").and_then(Node::as_sequence_mut) {
        conditions.retain(|c| text(c, &["type"]) != "Rendered");
        if conditions.is_empty() {
            status.remove("conditions");
        }
    }
    if status.is_null() || status.as_mapping().is_some_and(Vec::is_empty) {
        kf.remove("status");
    }
}
