//! What kpt restores after a function that rewrites its resources (one behind the function
//! runner, re-serialized by its SDK): each resource is numbered with kpt's id annotations before
//! the run, and the output resource with the same id gets back the comments it lost and its key
//! order. Runtimes that edit resources in place ([`Runtime::keeps_comments`]) skip this.

use porch_functions::ResourceList;
use porch_krm::comments::copy_comments;
use porch_krm::order::sync_order;
use porch_krm::{Document, annotations};

use super::pipeline::PipelineFunction;
use super::runtime::{Exit, RunError, Runtime};

/// Runs `function` on `runtime`, restoring comments and key order by id when the runtime does
/// not keep them.
pub(crate) fn run(
    runtime: &dyn Runtime,
    function: &PipelineFunction,
    list: &mut ResourceList,
) -> Result<Exit, RunError> {
    if runtime.keeps_comments() {
        return runtime.run(function, list);
    }
    for (n, item) in list.items.iter_mut().enumerate() {
        for key in [annotations::ID, annotations::LEGACY_ID] {
            // Items are mappings (the package reader only makes those).
            let _ = annotations::set(item, key, &n.to_string());
        }
    }
    let before = list.items.clone();
    let outcome = runtime.run(function, list);
    if matches!(outcome, Ok(Exit { code: 0, .. })) {
        for item in &mut list.items {
            let id = annotations::get(item, annotations::ID)
                .or_else(|| annotations::get(item, annotations::LEGACY_ID));
            let Some(source) = id.and_then(|id| id.parse::<usize>().ok()).and_then(|n| before.get(n)) else {
                continue;
            };
            if let (Some(from), Some(to)) = (source.root.as_ref(), item.root.as_mut()) {
                copy_comments(from, to);
                sync_order(from, to);
            }
        }
    }
    clear_ids(&mut list.items);
    outcome
}

/// Removes the id annotations (and an `annotations` map left empty by that).
fn clear_ids(items: &mut [Document]) {
    for item in items {
        annotations::remove(item, &[annotations::ID, annotations::LEGACY_ID]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runtime that re-serializes every resource without comments, keys sorted.
    #[derive(Debug)]
    struct Reserialize;

    impl Runtime for Reserialize {
        fn run(&self, _: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
            for item in &mut list.items {
                let Some(root) = item.root.as_mut() else { continue };
                let mut json = root.to_json().unwrap();
                json["metadata"]["labels"] = serde_json::json!({"app": "shop"});
                let mut fresh = porch_krm::Node::from_json(&json);
                fresh.sort_keys();
                *root = fresh;
            }
            Ok(Exit::default())
        }
    }

    #[test]
    fn comments_and_key_order_come_back_by_id_and_the_ids_go() {
        let text = "# the web tier\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # the name\nspec:\n  replicas: 2 # two\n";
        let mut list = ResourceList::new(porch_krm::parse(text).unwrap().documents);
        run(&Reserialize, &PipelineFunction::default(), &mut list).unwrap();
        assert_eq!(
            porch_krm::Stream::new(list.items).to_text(),
            "# the web tier\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # the name\n  labels:\n    \
             app: shop\nspec:\n  replicas: 2 # two\n"
        );
    }
}
