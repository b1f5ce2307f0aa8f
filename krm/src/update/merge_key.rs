//! Porch's `ensureMergeKey` (kpt's `addmergecomment` filter), run after clone and upgrade.

use super::Files;
use super::resources::{group, merge_comment, metadata_comment, text};
use crate::{Document, Node, Stream};

/// The annotation that records a resource's upstream: `<group>|<Kind>|<namespace>|<name>`.
pub const UPSTREAM_IDENTIFIER: &str = "internal.kpt.dev/upstream-identifier";

/// kyaml's namespace of resources it knows to be cluster-scoped.
const NOT_A_NAMESPACE: &str = "_non_namespaceable_";

/// Porch's `ensureMergeKey` after clone and upgrade: in every `*.yaml`, `*.yml` and `Kptfile`
/// (subpackages included), each resource with a name, namespace or labels
/// - gets the line comment `# kpt-merge: <namespace>/<name>` on its `metadata:` key unless
///   that key's line comment already contains `kpt-merge:` (another line comment there is
///   replaced, as kpt does);
/// - gets annotation `internal.kpt.dev/upstream-identifier` set to
///   `<group>|<Kind>|<namespace>|<name>`: the group of its apiVersion (`""` for the core
///   group), the namespace and name from the `kpt-merge` comment (else the resource's), an
///   empty namespace written `default`, `~C` for kyaml's cluster-scoped placeholder namespace.
///
/// The Kptfile gets `kpt.dev|Kptfile|default|<name>`. Files that change nothing, and all other
/// files, stay byte-identical; a changed file keeps the text of everything else in it.
/// Returns `(path, message)` for each file that does not parse (left as it was; Porch logs
/// it). Differs from Porch: Porch re-serializes every YAML file with kyaml and gives up on the
/// whole package at the first file that does not parse.
pub fn ensure_merge_keys(files: &mut Files) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    for (path, bytes) in files.iter_mut() {
        let name = path.rsplit('/').next().unwrap_or(path);
        if !(name == "Kptfile" || name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        let parsed = std::str::from_utf8(bytes)
            .map_err(|e| format!("not UTF-8: {e}"))
            .and_then(|t| Stream::parse(t).map_err(|e| e.to_string()));
        let mut stream = match parsed {
            Ok(s) => s,
            Err(message) => {
                problems.push((path.clone(), message));
                continue;
            }
        };
        let before = stream.clone();
        for doc in stream.documents.iter_mut() {
            if let Err(e) = add_merge_key(doc) {
                problems.push((path.clone(), e.to_string()));
            }
        }
        if stream != before {
            *bytes = stream.to_text().into_bytes();
        }
    }
    problems
}

/// The comment and the annotation on one resource.
fn add_merge_key(doc: &mut Document) -> crate::Result<()> {
    let Some(root) = doc.root.as_mut().filter(|r| r.as_mapping().is_some()) else { return Ok(()) };
    if root.get("metadata").is_some_and(|m| m.as_mapping().is_none() && !m.is_null()) {
        return Ok(());
    }
    let namespace = text(root, &["metadata", "namespace"]).to_string();
    let name = text(root, &["metadata", "name"]).to_string();
    let labels =
        root.get_path(&["metadata", "labels"]).and_then(Node::as_mapping).is_some_and(|l| !l.is_empty());
    if namespace.is_empty() && name.is_empty() && !labels {
        return Ok(());
    }
    let comment = format!("# kpt-merge: {namespace}/{name}");
    let has_key = metadata_comment(root).is_some_and(|c| c.contains("kpt-merge:"));
    if !has_key && let Some(pair) = root.pair_mut("metadata") {
        if pair.key.comments.line.is_none() && pair.value.comments.line.is_some() {
            pair.value.comments.line = Some(comment);
        } else {
            pair.key.comments.line = Some(comment);
        }
    }
    let (object_namespace, object_name) = (namespace, name);
    let (mut namespace, name) = match metadata_comment(root).and_then(merge_comment) {
        Some((ns, n)) => (ns.to_string(), n.to_string()),
        None => (object_namespace.clone(), object_name),
    };
    if namespace.is_empty() {
        namespace = "default".to_string();
    } else if object_namespace == NOT_A_NAMESPACE {
        namespace = "~C".to_string();
    }
    let value =
        format!("{}|{}|{namespace}|{name}", group(text(root, &["apiVersion"])), text(root, &["kind"]));
    if crate::annotations::of(root, UPSTREAM_IDENTIFIER) == Some(value.as_str()) {
        return Ok(());
    }
    crate::annotations::set(doc, UPSTREAM_IDENTIFIER, &value)
}
