//! `remove-local-config-resources` (catalog v0.1.0): drops the resources marked as local
//! configuration.
//!
//! No configuration is read. An item whose `config.kubernetes.io/local-config` annotation is
//! `true` in any letter case (`True`, `TRUE`) is removed; any other value (`false`, `yes`, empty)
//! keeps it. Empty items (null, `{}`) are dropped silently, as kyaml's `IsNilOrEmpty` skips them.
//! Kept items are left as they were, in their order.
//!
//! Results: `Number of resources pruned: <n>` first, then `Resource name: [<name>]` with
//! `file.path` (internal path annotation, else legacy) for each removed item, all info; when
//! none is removed, the warning `Found no resources to prune with the local config annotation`.
//! The run always exits 0.

use porch_krm::Node;

use crate::object::{self, LOCAL_CONFIG};
use crate::result::{FileRef, FnResult, Severity};
use crate::{Function, Outcome};

/// The function.
#[derive(Debug, Clone, Copy, Default)]
pub struct RemoveLocalConfigResources;

impl Function for RemoveLocalConfigResources {
    fn run(&self, list: &mut porch_krm::ResourceList) -> Outcome {
        let mut pruned = Vec::new();
        let items = std::mem::take(&mut list.items);
        for doc in items {
            let Some(root) = doc.root.as_ref().filter(|r| !empty(r)) else { continue };
            if object::annotation(root, LOCAL_CONFIG).is_some_and(|v| v.to_lowercase() == "true") {
                pruned.push(removed(root));
            } else {
                list.items.push(doc);
            }
        }
        let results = if pruned.is_empty() {
            vec![FnResult::general(
                "Found no resources to prune with the local config annotation",
                Severity::Warning,
            )]
        } else {
            let count =
                FnResult::general(format!("Number of resources pruned: {}", pruned.len()), Severity::Info);
            std::iter::once(count).chain(pruned).collect()
        };
        Outcome { results, exit_code: 0 }
    }
}

/// The result naming a removed item and its file.
fn removed(root: &Node) -> FnResult {
    let path = porch_krm::annotations::path_of(root).unwrap_or_default().to_string();
    FnResult {
        file: Some(FileRef { path, index: 0 }),
        ..FnResult::general(format!("Resource name: [{}]", object::name(root)), Severity::Info)
    }
}

/// Null, or an empty mapping or sequence.
fn empty(root: &Node) -> bool {
    root.is_null()
        || root.as_mapping().is_some_and(Vec::is_empty)
        || root.as_sequence().is_some_and(Vec::is_empty)
}
