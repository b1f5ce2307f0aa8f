//! The builtin runtime: a pipeline function that `porch-functions` implements runs in-process,
//! as Porch runs its builtins.
//!
//! For one step it reads the resources of the package directory (every resource file below it,
//! subpackages included, as kpt hands a parent its subpackages' output) into a ResourceList
//! with kpt's path and index annotations, adds the function's configuration (`configMap` as
//! the ConfigMap `function-input`, or the item at `configPath`), runs the function and writes
//! the items back into the files (unchanged files keep their text). A function that no builtin
//! serves fails as kpt says it (`function "<image>" not found`); so does an `exec` step, which
//! needs `--allow-exec`.

use std::collections::BTreeMap;

use porch_api::porch::{FileRef, FunctionResult, ResourceIdentifier, ResultItem};
use porch_functions::catalog::Catalog;
use porch_functions::{FnResult, ResourceList};
use porch_krm::{Node, annotations, package};

use super::Files;
use super::pipeline::PipelineFunction;
use super::render::{FunctionFailure, FunctionOutput, FunctionRegistry};

/// The name kpt gives the ConfigMap made from a step's `configMap`.
const CONFIG_MAP_NAME: &str = "function-input";

/// The functions built into the server.
#[derive(Debug, Clone)]
pub(crate) struct Builtins {
    catalog: Catalog,
}

impl Builtins {
    /// Builtins under `default_prefix`; `floating_tags`: also answer `latest` and `unstable`.
    pub(crate) fn new(default_prefix: &str, floating_tags: bool) -> Self {
        Self { catalog: Catalog::new(default_prefix, floating_tags) }
    }
}

impl FunctionRegistry for Builtins {
    fn run(
        &self,
        package_dir: &str,
        function: &PipelineFunction,
        files: &Files,
    ) -> Result<FunctionOutput, FunctionFailure> {
        if function.image.is_empty() {
            return Err(FunctionFailure::not_run(
                "must run with `--allow-exec` option to allow running function binaries".into(),
            ));
        }
        let image = self.catalog.complete(&function.image);
        let builtin = self
            .catalog
            .find(&function.image)
            .ok_or_else(|| FunctionFailure::not_run(format!("function {image:?} not found")))?;
        let prefix = if package_dir.is_empty() { String::new() } else { format!("{package_dir}/") };
        let texts = resource_texts(files, &prefix)?;
        let items = package::read(&texts).map_err(|e| FunctionFailure::not_run(e.to_string()))?;
        let mut list = ResourceList::new(items);
        list.function_config = function_config(function, &list).map_err(FunctionFailure::not_run)?;
        let outcome = builtin.run(&mut list);
        let result = FunctionResult {
            image: image.clone(),
            exit_code: outcome.exit_code,
            results: outcome.results.iter().map(result_item).collect(),
            ..FunctionResult::default()
        };
        if outcome.exit_code != 0 {
            let errors: Vec<&str> =
                outcome.results.iter().filter(|r| r.is_error()).map(|r| r.message.as_str()).collect();
            return Err(FunctionFailure {
                message: format!("pipeline.run: func eval {image:?} failed: {}", errors.join("; ")),
                result: Some(Box::new(result)),
            });
        }
        let written = package::write(list.items, &texts).map_err(|e| FunctionFailure {
            message: format!("failed to write the output of {image:?}: {e}"),
            result: Some(Box::new(result.clone())),
        })?;
        let mut out: Files = files
            .iter()
            .filter(|(path, _)| !in_package_resource(path, &prefix))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect();
        out.extend(written.into_iter().map(|(path, text)| (format!("{prefix}{path}"), text.into_bytes())));
        Ok(FunctionOutput { files: out, result })
    }
}

/// Whether `path` is a resource file of the package at `prefix`.
fn in_package_resource(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(package::is_resource_file)
}

/// The resource files of the package at `prefix`, relative to it, as text.
fn resource_texts(files: &Files, prefix: &str) -> Result<BTreeMap<String, String>, FunctionFailure> {
    let mut texts = BTreeMap::new();
    for (path, bytes) in files {
        let Some(relative) = path.strip_prefix(prefix).filter(|r| package::is_resource_file(r)) else {
            continue;
        };
        let text = String::from_utf8(bytes.clone())
            .map_err(|_| FunctionFailure::not_run(format!("failed to read {path}: not UTF-8 text")))?;
        texts.insert(relative.to_string(), text);
    }
    Ok(texts)
}

/// The step's configuration: its `configPath` item, or its `configMap` as a ConfigMap.
fn function_config(function: &PipelineFunction, list: &ResourceList) -> Result<Option<Node>, String> {
    if !function.config_path.is_empty() {
        let wanted = function.config_path.trim_start_matches("./");
        let found =
            list.items.iter().find(|doc| doc.root.as_ref().and_then(annotations::path_of) == Some(wanted));
        return match found.cloned() {
            Some(mut config) => {
                // The function sees its configuration as written, without kpt's bookkeeping.
                annotations::strip(&mut config);
                Ok(config.root)
            }
            None => {
                Err(format!("functionConfig must exist in the current package: {}", function.config_path))
            }
        };
    }
    if function.config_map.is_empty() {
        return Ok(None);
    }
    let mut config = Node::mapping();
    let mut data = Node::mapping();
    let mut metadata = Node::mapping();
    // Fresh mappings take any key.
    let _ = metadata.set("name", Node::string(CONFIG_MAP_NAME));
    for (key, value) in &function.config_map {
        let _ = data.set(key, Node::string(value.as_str()));
    }
    let _ = config.set("apiVersion", Node::string("v1"));
    let _ = config.set("kind", Node::string("ConfigMap"));
    let _ = config.set("metadata", metadata);
    let _ = config.set("data", data);
    Ok(Some(config))
}

/// A function's result as the render status shows it.
fn result_item(result: &FnResult) -> ResultItem {
    ResultItem {
        message: result.message.clone(),
        severity: result.severity.as_str().to_string(),
        resource_ref: result.resource_ref.as_ref().map(|r| ResourceIdentifier {
            api_version: r.api_version.clone(),
            kind: r.kind.clone(),
            name: r.name.clone(),
            namespace: r.namespace.clone(),
        }),
        file: result
            .file
            .as_ref()
            .map(|f| FileRef { path: f.path.clone(), index: i32::try_from(f.index).unwrap_or(-1) }),
        ..ResultItem::default()
    }
}

#[cfg(test)]
#[path = "builtins_tests.rs"]
mod tests;
