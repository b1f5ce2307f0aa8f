//! Server-side Table conversion (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`).
//!
//! kubectl's default `get` asks for a `meta.k8s.io/v1 Table`: column definitions plus one row of
//! cells per object. Lists, single objects and watch events are all converted here; the columns of
//! each resource live in [`columns`].

pub(crate) mod columns;

pub(crate) use porch_layers::strategy::{Column, IncludeObject, TableList, TableOptions};

use super::resources::ResourceDef;
use serde_json::Value;
use std::sync::Arc;

/// A Table of `objects` in `def`'s columns, its rows sharing the objects. `list_metadata`
/// becomes the Table's metadata (resourceVersion, continue, remainingItemCount).
pub(crate) fn to_table(
    def: &ResourceDef,
    objects: &[Arc<Value>],
    list_metadata: Value,
    options: TableOptions,
) -> TableList {
    let mut table = TableList::build(def.columns, objects, options);
    table.metadata = list_metadata;
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::resources;
    use serde_json::json;

    fn repo() -> Value {
        json!({
            "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
            "metadata": {"name": "blueprints", "namespace": "default", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"type": "git", "content": "Package", "deployment": false,
                     "git": {"repo": "https://example.com/b.git", "branch": "main"}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}
        })
    }

    #[test]
    fn repository_rows_follow_the_crd_print_columns() {
        let def = resources::find("config.porch.kpt.dev", "v1alpha1", "repositories").unwrap();
        let t = to_table(def, &[Arc::new(repo())], json!({"resourceVersion": "5"}), TableOptions::default())
            .to_json();
        let names: Vec<&str> =
            t["columnDefinitions"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            ["Name", "Type", "Content", "Sync schedule", "Deployment", "Ready", "Address", "Branch", "Age"]
        );
        let cells = &t["rows"][0]["cells"];
        assert_eq!(cells[0], "blueprints");
        assert_eq!(cells[1], "git");
        assert_eq!(cells[3], Value::Null);
        assert_eq!(cells[4], false);
        assert_eq!(cells[5], "True");
        assert_eq!(cells[6], "https://example.com/b.git");
        assert_eq!(cells[7], "main");
        assert!(cells[8].as_str().unwrap().ends_with('y') || cells[8].as_str().unwrap().contains('y'));
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert_eq!(t["metadata"]["resourceVersion"], "5");
    }

    #[test]
    fn no_headers_leaves_out_column_definitions() {
        let def = resources::find("config.porch.kpt.dev", "v1alpha1", "repositories").unwrap();
        let opts = TableOptions { no_headers: true, include_object: IncludeObject::Object };
        let t = to_table(def, &[Arc::new(repo())], json!({}), opts).to_json();
        assert_eq!(t["columnDefinitions"], json!([]));
        assert_eq!(t["rows"][0]["object"]["kind"], "Repository");
    }
}
