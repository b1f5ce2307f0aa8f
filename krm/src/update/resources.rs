//! The resource merge of one package (kpt's `merge3.Merge` over the package's `*.yaml` and
//! `*.yml` files, subpackages excluded).
//!
//! Matching (`resource_matcher.go`): resources are the same when group, kind, namespace, name
//! and file agree; namespace and name come from the `metadata:` line comment
//! `# kpt-merge: <namespace>/<name>` when there is one. Two resources of one version that
//! match are an error.
//!
//! Per resource (`strategy.go`):
//!
//! | original | updated | local | result |
//! |---|---|---|---|
//! | – | – | ✓ | kept |
//! | – | ✓ | – | updated's |
//! | any | – | – | none |
//! | ✓ | – | ✓ | none when local equals original (kpt's bookkeeping annotations aside), else kept |
//! | ✓ | ✓ | – | none |
//! | otherwise | | | field merge (`fields`), with the local package's CRDs as schemas |
//!
//! Files: the resources of each file are ordered by their index in it as kpt orders them
//! (local's index, or updated's when upstream moved the resource; updated's for a new one; on
//! a tie, resources known to original first, then new upstream ones, then local ones), so a
//! resource added upstream lands where upstream put it relative to the others. A file whose
//! resources all come out as they were is returned as it was, byte for byte; a local file left
//! without resources is deleted. A new file from upstream with exactly updated's resources is
//! updated's file.
//!
//! Differs from kpt (which rewrites every file with kyaml): a changed local file keeps its
//! comment-only documents when its resources stay in place, and its line ends.

use std::collections::BTreeMap;

use super::fields::{Sources, Walker};
use super::files::{BLUEPRINT, is_yaml, join, own_files};
use super::schema::Schema;
use super::{Files, UpdateError};
use crate::{Document, Node, Stream};

/// One resource of one version.
#[derive(Debug)]
struct Resource {
    /// Its file, relative to the package.
    file: String,
    /// Its place among the resources of the file.
    index: usize,
    /// Its place among the documents of the file.
    position: usize,
    doc: Document,
    id: ResId,
}

/// What identifies a resource across versions.
#[derive(Debug, PartialEq, Eq)]
struct ResId {
    group: String,
    kind: String,
    namespace: String,
    name: String,
    file: String,
}

impl Resource {
    fn root(&self) -> &Node {
        self.doc.root.as_ref().expect("resources have a root")
    }
}

/// The namespace and name of a `# kpt-merge: <namespace>/<name>` comment.
pub(super) fn merge_comment(comment: &str) -> Option<(&str, &str)> {
    let c = comment.trim_start_matches('#').trim().strip_prefix("kpt-merge:")?;
    c.trim().split_once('/')
}

/// The line comment on a resource's `metadata:` key (for a flow `metadata: {...} # c`, where
/// the parser puts it on the value, the value's).
pub(super) fn metadata_comment(root: &Node) -> Option<&str> {
    let pair = root.pair("metadata")?;
    pair.key.comments.line.as_deref().or(pair.value.comments.line.as_deref())
}

/// A scalar field's value, `""` when missing or not a scalar.
pub(super) fn text<'n>(root: &'n Node, path: &[&str]) -> &'n str {
    root.get_path(path).filter(|n| !n.is_null()).and_then(Node::as_str).unwrap_or("")
}

/// The group of an apiVersion (`""` for the core group).
pub(super) fn group(api_version: &str) -> &str {
    api_version.split_once('/').map_or("", |(g, _)| g)
}

fn res_id(root: &Node, file: &str) -> ResId {
    let (namespace, name) = metadata_comment(root)
        .and_then(merge_comment)
        .unwrap_or((text(root, &["metadata", "namespace"]), text(root, &["metadata", "name"])));
    ResId {
        group: group(text(root, &["apiVersion"])).to_string(),
        kind: text(root, &["kind"]).to_string(),
        namespace: namespace.to_string(),
        name: name.to_string(),
        file: file.to_string(),
    }
}

/// The parsed resource files of a package and their bytes, by path relative to it.
type Streams = BTreeMap<String, (Stream, Vec<u8>)>;

/// Parses the resource files of package `pkg` of one version.
fn read(files: &Files, pkg: &str, version: &'static str) -> Result<(Vec<Resource>, Streams), UpdateError> {
    let mut resources = Vec::new();
    let mut streams = BTreeMap::new();
    for (rel, bytes) in own_files(files, pkg).into_iter().filter(|(rel, _)| is_yaml(rel)) {
        let stream = parse(version, &join(pkg, rel), bytes)?;
        let docs = stream.documents.iter().enumerate().filter(|(_, d)| d.root.is_some());
        for (index, (position, doc)) in docs.enumerate() {
            let id = res_id(doc.root.as_ref().expect("filtered"), rel);
            resources.push(Resource { file: rel.to_string(), index, position, doc: doc.clone(), id });
        }
        streams.insert(rel.to_string(), (stream, bytes.clone()));
    }
    Ok((resources, streams))
}

/// Parses a resource file, naming it in the error.
pub(super) fn parse(version: &'static str, path: &str, bytes: &[u8]) -> Result<Stream, UpdateError> {
    let error = |message: String| UpdateError::Parse { version, file: path.to_string(), message };
    let text = std::str::from_utf8(bytes).map_err(|e| error(format!("not UTF-8: {e}")))?;
    Stream::parse(text).map_err(|e| error(e.to_string()))
}

/// The versions of one resource.
#[derive(Debug, Default)]
struct Tuple {
    orig: Option<usize>,
    upd: Option<usize>,
    dest: Option<usize>,
}

/// A resource of the result: its file, index, tuple order, document and, when it replaces a
/// local one, that one's place among the documents of the local file.
#[derive(Debug)]
struct Out {
    file: String,
    index: usize,
    order: usize,
    doc: Document,
    local_position: Option<usize>,
}

/// Merges the resources of package `pkg` into `out` (a copy of the local files).
pub(super) fn merge_package(
    original: &Files,
    updated: &Files,
    local: &Files,
    pkg: &str,
    out: &mut Files,
) -> Result<(), UpdateError> {
    let (orig, _) = read(original, pkg, "original")?;
    let (upd, upd_streams) = read(updated, pkg, "updated")?;
    let (dest, dest_streams) = read(local, pkg, "local")?;
    let schema = Schema::with_crds(dest.iter().map(Resource::root));
    let walker = Walker { schema: &schema, infer: false };

    let tuples = match_tuples(&orig, &upd, &dest).map_err(|e| match e {
        UpdateError::DuplicateResource { origin, file } => {
            UpdateError::DuplicateResource { origin, file: join(pkg, &file) }
        }
        e => e,
    })?;
    let mut results = Vec::new();
    for (order, t) in tuples.iter().enumerate() {
        let (o, u, d) = (t.orig.map(|i| &orig[i]), t.upd.map(|i| &upd[i]), t.dest.map(|i| &dest[i]));
        let keep = |r: &Resource, local: bool| Out {
            file: r.file.clone(),
            index: r.index,
            order,
            doc: r.doc.clone(),
            local_position: local.then_some(r.position),
        };
        match (o, u, d) {
            (None, None, Some(d)) => results.push(keep(d, true)),
            (None, Some(u), None) => results.push(keep(u, false)),
            (_, None, None) | (Some(_), Some(_), None) => {}
            (Some(o), None, Some(d)) => {
                if !equal_resources(&o.doc, &d.doc) {
                    results.push(keep(d, true));
                }
            }
            (o, Some(u), Some(d)) => {
                let sources = Sources {
                    dest: d.doc.root.as_ref(),
                    orig: o.and_then(|o| o.doc.root.as_ref()),
                    upd: u.doc.root.as_ref(),
                };
                let merged = walker
                    .merge_resource(sources)
                    .map_err(|message| UpdateError::Merge { file: join(pkg, &d.file), message })?;
                let Some(mut root) = merged else { continue };
                drop_emptied_annotations(d.root(), &mut root);
                let mut doc = d.doc.clone();
                doc.root = Some(root);
                let index = match o {
                    Some(o) if o.index != u.index => u.index,
                    _ => d.index,
                };
                if let Some(o) = o
                    && o.doc.seq_indent != u.doc.seq_indent
                {
                    doc.seq_indent = u.doc.seq_indent;
                }
                results.push(Out {
                    file: d.file.clone(),
                    index,
                    order,
                    doc,
                    local_position: Some(d.position),
                });
            }
        }
    }

    let mut by_file: BTreeMap<String, Vec<Out>> = BTreeMap::new();
    for r in results {
        by_file.entry(r.file.clone()).or_default().push(r);
    }
    for rel in dest_streams.keys() {
        if !by_file.contains_key(rel) && dest.iter().any(|d| &d.file == rel) {
            out.remove(&join(pkg, rel));
        }
    }
    for (rel, mut docs) in by_file {
        docs.sort_by_key(|d| (d.index, d.order));
        let bytes = match dest_streams.get(&rel) {
            Some((stream, bytes)) => write_local(stream, bytes, docs),
            None => write_new(upd_streams.get(&rel), docs),
        };
        out.insert(join(pkg, &rel), bytes);
    }
    Ok(())
}

/// Pairs up the resources of the three versions (kpt's `tuples`): originals first, then
/// updated, then local, each joining the first tuple whose first resource matches it.
fn match_tuples(orig: &[Resource], upd: &[Resource], dest: &[Resource]) -> Result<Vec<Tuple>, UpdateError> {
    fn slot(t: &mut Tuple, v: usize) -> &mut Option<usize> {
        match v {
            0 => &mut t.orig,
            1 => &mut t.upd,
            _ => &mut t.dest,
        }
    }
    let mut tuples: Vec<Tuple> = Vec::new();
    let versions: [(&[Resource], &'static str); 3] = [(orig, "original"), (upd, "updated"), (dest, "dest")];
    for (v, (resources, name)) in versions.into_iter().enumerate() {
        for (i, r) in resources.iter().enumerate() {
            let first = |t: &Tuple| {
                t.orig
                    .map(|j| &orig[j])
                    .or(t.upd.map(|j| &upd[j]))
                    .or(t.dest.map(|j| &dest[j]))
                    .map(|x| &x.id)
            };
            match tuples.iter_mut().find(|t| first(t) == Some(&r.id)) {
                Some(t) => {
                    let s = slot(t, v);
                    if s.is_some() {
                        return Err(UpdateError::DuplicateResource { origin: name, file: r.file.clone() });
                    }
                    *s = Some(i);
                }
                None => {
                    let mut t = Tuple::default();
                    *slot(&mut t, v) = Some(i);
                    tuples.push(t);
                }
            }
        }
    }
    Ok(tuples)
}

/// Whether a local resource still equals its original (kpt's `equals`): same tree, comments and
/// sequence style, kpt's blueprint annotation ignored.
fn equal_resources(a: &Document, b: &Document) -> bool {
    let strip = |d: &Document| {
        let mut d = d.clone();
        crate::annotations::remove(&mut d, &[BLUEPRINT]);
        d
    };
    let (a, b) = (strip(a), strip(b));
    a.root == b.root && a.seq_indent == b.seq_indent
}

/// An `annotations` map the merge emptied goes, as kpt's writer drops it.
fn drop_emptied_annotations(dest: &Node, merged: &mut Node) {
    let was_empty =
        dest.get_path(&["metadata", "annotations"]).and_then(Node::as_mapping).is_some_and(Vec::is_empty);
    let Some(metadata) = merged.get_mut("metadata") else { return };
    if !was_empty && metadata.get("annotations").and_then(Node::as_mapping).is_some_and(Vec::is_empty) {
        metadata.remove("annotations");
    }
}

/// A local file with its new resources: its own bytes when nothing changed.
fn write_local(stream: &Stream, bytes: &[u8], docs: Vec<Out>) -> Vec<u8> {
    let positions: Vec<usize> =
        stream.documents.iter().enumerate().filter(|(_, d)| d.root.is_some()).map(|(i, _)| i).collect();
    let in_place = docs.len() == positions.len()
        && docs.iter().zip(&positions).all(|(d, p)| d.local_position == Some(*p));
    let new = if in_place {
        let mut new = stream.clone();
        for (d, p) in docs.into_iter().zip(positions) {
            new.documents[p] = d.doc;
        }
        if &new == stream {
            return bytes.to_vec();
        }
        new
    } else {
        Stream { documents: docs.into_iter().map(|d| d.doc).collect(), ..stream.clone() }
    };
    new.to_text().into_bytes()
}

/// A file the local package does not have: updated's bytes when it holds exactly these
/// resources.
fn write_new(updated: Option<&(Stream, Vec<u8>)>, docs: Vec<Out>) -> Vec<u8> {
    let docs: Vec<Document> = docs.into_iter().map(|d| d.doc).collect();
    match updated {
        Some((stream, bytes)) => {
            let theirs: Vec<&Document> = stream.documents.iter().filter(|d| d.root.is_some()).collect();
            if theirs.len() == docs.len() && theirs.iter().zip(&docs).all(|(a, b)| *a == b) {
                return bytes.clone();
            }
            Stream { documents: docs, ..stream.clone() }.to_text().into_bytes()
        }
        None => Stream::new(docs).to_text().into_bytes(),
    }
}
