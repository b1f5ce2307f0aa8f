//! A step's `functionConfig`: the resource at its `configPath` (looked up among the resources
//! of its package as they are now, so an earlier step's change is seen), or its `configMap` as
//! the ConfigMap `function-input` with string values.

use porch_krm::{Document, Node, annotations};

use super::pipeline::PipelineFunction;

/// The name kpt gives the ConfigMap made from a step's `configMap`.
const CONFIG_MAP_NAME: &str = "function-input";

/// The configuration of `function` of the package at `package_path` (`/`, `/sub`), given the
/// resources the package sees.
pub(crate) fn of(
    function: &PipelineFunction,
    package_path: &str,
    items: &[Document],
) -> Result<Option<Node>, String> {
    if !function.config_path.is_empty() {
        let wanted = function.config_path.trim_start_matches("./");
        let found = items.iter().find(|doc| {
            let Some(resource) = doc.root.as_ref() else { return false };
            annotations::of(resource, annotations::PACKAGE_PATH).unwrap_or("/") == package_path
                && annotations::path_of(resource) == Some(wanted)
        });
        return match found.cloned() {
            Some(mut config) => {
                // The function sees its configuration as written, without kpt's bookkeeping.
                annotations::strip(&mut config);
                Ok(config.root)
            }
            None => Err(format!("missing function config {:?}", function.config_path)),
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
