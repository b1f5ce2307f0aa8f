//! `upsert-resource` (catalog v0.1.0, v0.2.0): puts the function config into the package,
//! replacing the resources it matches or adding it.
//!
//! Configuration: the function config is the resource to upsert; from v0.2.0 a `kind: List`
//! config upserts each of its `items` in turn (an item added by one can be replaced by a later
//! one). No results are reported.
//!
//! An item matches when its kind, name and namespace (missing = empty) equal the resource's and,
//! from v0.2.0, its API group too (v0.1.0 compares the resource's group with itself, so any group
//! matches) and, when the resource has `config.kubernetes.io/target-path`, its legacy
//! `config.kubernetes.io/path` equals that. Items annotated `config.kubernetes.io/function` or
//! `config.k8s.io/function` (kpt 0.x function configs) never match.
//!
//! Every matching item is replaced by a copy of the resource whose annotations are the
//! resource's, plus the matched item's legacy `config.kubernetes.io/path` and
//! `config.kubernetes.io/index` (written even when empty), minus the function annotations (and,
//! from v0.2.0, the target path). Without a match the resource is appended, its function, legacy
//! path and legacy index annotations removed; from v0.2.0 its target path becomes its legacy
//! `config.kubernetes.io/path` and is removed itself. As kyaml writes them, the annotations of a
//! replaced or added copy are rewritten: sorted, as the last field of `metadata` (made when
//! missing), their comments lost, and removed altogether when none are left.
//!
//! Errors (exit 1, one error result; the catalog prints it to stderr and reports none):
//! `failed to upsert resource: missing Resource metadata` for a config, a List item or an item
//! kyaml reads no metadata from (a missing config counts as `{}`).

use std::collections::BTreeMap;

use porch_krm::{Document, Node, SeqIndent, annotations};

use crate::object;
use crate::result::{FnResult, Severity};
use crate::{Function, Outcome};

/// The path a new resource is to be written to.
const TARGET_PATH: &str = "config.kubernetes.io/target-path";
/// The annotations that mark kpt 0.x function configs.
const FUNCTION_ANNOTATIONS: [&str; 2] = ["config.kubernetes.io/function", "config.k8s.io/function"];
const MISSING_META: &str = "missing Resource metadata";

/// The function.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpsertResource {
    /// v0.1.0: the config is one resource (even a `List`), groups are not compared and target
    /// paths are not read.
    pub v0_1: bool,
}

impl Function for UpsertResource {
    fn run(&self, list: &mut porch_krm::ResourceList) -> Outcome {
        let config = list.function_config.clone().unwrap_or_else(Node::mapping);
        let result = self.resources(&config).and_then(|resources| {
            resources.iter().try_for_each(|resource| self.upsert(resource, &mut list.items))
        });
        match result {
            Ok(()) => Outcome { results: Vec::new(), exit_code: 0 },
            Err(reason) => Outcome {
                results: vec![FnResult::general(
                    format!("failed to upsert resource: {reason}"),
                    Severity::Error,
                )],
                exit_code: 1,
            },
        }
    }
}

impl UpsertResource {
    /// The resources the config names: itself, or (v0.2.0) the items of a List.
    fn resources(&self, config: &Node) -> Result<Vec<Node>, String> {
        if !object::has_meta(config) {
            return Err(MISSING_META.into());
        }
        if self.v0_1 || object::kind(config) != "List" {
            return Ok(vec![config.clone()]);
        }
        let items = config.get("items");
        Ok(match items.map(|i| &i.content) {
            Some(porch_krm::Content::Sequence(items)) => items.clone(),
            // kyaml takes a mapping's keys and values alike as the entries.
            Some(porch_krm::Content::Mapping(pairs)) => {
                pairs.iter().flat_map(|p| [p.key.clone(), p.value.clone()]).collect()
            }
            _ => Vec::new(),
        })
    }

    fn upsert(&self, resource: &Node, items: &mut Vec<Document>) -> Result<(), String> {
        if !object::has_meta(resource) {
            return Err(MISSING_META.into());
        }
        let given = annotation_map(resource);
        let target = given.get(TARGET_PATH).cloned().unwrap_or_default();
        let mut replaced = false;
        for doc in items.iter_mut() {
            let Some(item) = doc.root.as_ref() else { continue };
            if !object::has_meta(item) {
                return Err(MISSING_META.into());
            }
            if FUNCTION_ANNOTATIONS.iter().any(|a| object::annotation(item, a).is_some_and(|v| !v.is_empty()))
            {
                continue;
            }
            if !self.same(resource, item, &target) {
                continue;
            }
            let mut merged = given.clone();
            for key in [annotations::LEGACY_PATH, annotations::LEGACY_INDEX] {
                merged.insert(key.into(), annotation_map(item).remove(key).unwrap_or_default());
            }
            FUNCTION_ANNOTATIONS.iter().for_each(|a| drop(merged.remove(*a)));
            if !self.v0_1 {
                merged.remove(TARGET_PATH);
            }
            *doc = document(with_annotations(resource, &merged)?);
            replaced = true;
        }
        if replaced {
            return Ok(());
        }
        let mut kept = given;
        for key in
            FUNCTION_ANNOTATIONS.into_iter().chain([annotations::LEGACY_PATH, annotations::LEGACY_INDEX])
        {
            kept.remove(key);
        }
        if !self.v0_1 {
            if !target.is_empty() {
                kept.insert(annotations::LEGACY_PATH.into(), target);
            }
            kept.remove(TARGET_PATH);
        }
        items.push(document(with_annotations(resource, &kept)?));
        Ok(())
    }

    /// Whether `item` is the one `resource` names.
    fn same(&self, resource: &Node, item: &Node, target: &str) -> bool {
        let same_group = self.v0_1
            || object::group(object::api_version(resource)) == object::group(object::api_version(item));
        let in_target = self.v0_1
            || target.is_empty()
            || object::annotation(item, annotations::LEGACY_PATH).is_some_and(|p| p == target);
        same_group
            && object::kind(resource) == object::kind(item)
            && object::name(resource) == object::name(item)
            && object::namespace(resource).unwrap_or_default() == object::namespace(item).unwrap_or_default()
            && in_target
    }
}

/// The annotations of `object` as kyaml's `GetMeta` reads them (null and non-scalar values are
/// empty; a repeated key keeps its last value), sorted by key.
fn annotation_map(object: &Node) -> BTreeMap<String, String> {
    let text =
        |n: &Node| if n.is_null() { String::new() } else { n.as_str().unwrap_or_default().to_string() };
    let pairs = object.get_path(&["metadata", "annotations"]).and_then(Node::as_mapping);
    pairs.into_iter().flatten().map(|p| (text(&p.key), text(&p.value))).collect()
}

/// A copy of `resource` with its annotations rewritten as kyaml's `SetAnnotations` writes them:
/// the old field removed, then (when any are left) a new one last in `metadata`, sorted.
fn with_annotations(resource: &Node, values: &BTreeMap<String, String>) -> Result<Node, String> {
    let mut copy = resource.clone();
    let metadata = copy.mapping_entry("metadata").map_err(|e| e.to_string())?;
    metadata.remove("annotations");
    if !values.is_empty() {
        let annotations = metadata.mapping_entry("annotations").map_err(|e| e.to_string())?;
        for (key, value) in values {
            annotations.set(key, Node::string(value)).map_err(|e| e.to_string())?;
        }
    }
    Ok(copy)
}

/// An item document for `node`, in the sequence style its annotation names.
fn document(node: Node) -> Document {
    let style = object::annotation(&node, annotations::SEQ_INDENT).map(SeqIndent::from_annotation);
    let mut doc = Document::new(node);
    if let Some(style) = style {
        doc.seq_indent = style;
    }
    doc
}
