//! What the function tests share: ResourceList text around their fixtures, and running a
//! function over it.
#![allow(dead_code)] // each test crate uses part of it

use porch_functions::{FnResult, Function, ResourceList};

/// The start of a ResourceList, up to its `items:`.
pub(crate) const HEADER: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n";

/// A list with `items` (indented as list items) and a ConfigMap config named `setters` with
/// `data` (its entries indented four spaces).
pub(crate) fn config_map_list(items: &str, data: &str) -> String {
    format!(
        "{HEADER}{items}functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: setters\n  \
         data:\n{data}"
    )
}

/// Runs `function` over the ResourceList `input`: the whole list written after, the results,
/// the exit code.
pub(crate) fn run_list(function: &dyn Function, input: &str) -> (String, Vec<FnResult>, i32) {
    let mut list = ResourceList::parse(input).unwrap();
    let outcome = function.run(&mut list);
    (list.to_text(), outcome.results, outcome.exit_code)
}

/// Runs `function` over the ResourceList `input`: its items written after (as a YAML stream),
/// the results, the exit code.
pub(crate) fn run_items(function: &dyn Function, input: &str) -> (String, Vec<FnResult>, i32) {
    let mut list = ResourceList::parse(input).unwrap();
    let outcome = function.run(&mut list);
    (porch_krm::Stream::new(list.items).to_text(), outcome.results, outcome.exit_code)
}
