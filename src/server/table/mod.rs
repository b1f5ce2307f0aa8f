//! Server-side Table conversion (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`).
//!
//! kubectl's default `get` asks for a `meta.k8s.io/v1 Table`: column definitions plus one row of
//! cells per object. Lists, single objects and watch events are all converted here; the columns of
//! each resource live in [`columns`].

pub(crate) mod columns;
mod duration;

pub(crate) use duration::human_duration;

use super::resources::ResourceDef;
use serde_json::{Value, json};

/// One column: its definition and how to compute its cell from an object.
#[derive(Debug)]
pub(crate) struct Column {
    pub(crate) name: &'static str,
    /// OpenAPI type: `string`, `integer`, `boolean`, `number`, `date`.
    pub(crate) kind: &'static str,
    pub(crate) format: &'static str,
    pub(crate) description: &'static str,
    /// 0 = always shown, >0 = only with `-o wide`.
    pub(crate) priority: i32,
    /// The cell; `Value::Null` prints as `<none>`.
    pub(crate) cell: fn(&Value) -> Value,
}

/// What a row carries besides its cells (`includeObject`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum IncludeObject {
    None,
    #[default]
    Metadata,
    Object,
}

impl IncludeObject {
    /// From the `includeObject` query parameter.
    pub(crate) fn parse(value: Option<&str>) -> Self {
        match value {
            Some("None") => Self::None,
            Some("Object") => Self::Object,
            _ => Self::Metadata,
        }
    }
}

/// Options of one conversion.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TableOptions {
    pub(crate) include_object: IncludeObject,
    /// Leave out the column definitions (watch events after the first).
    pub(crate) no_headers: bool,
}

fn column_definitions(def: &ResourceDef) -> Vec<Value> {
    let name = json!({
        "name": "Name", "type": "string", "format": "name", "priority": 0,
        "description": "Name must be unique within a namespace. Is required when creating resources, although \
                        some resources may allow a client to request the generation of an appropriate name \
                        automatically. Name is primarily intended for creation idempotence and configuration \
                        definition. Cannot be updated."
    });
    std::iter::once(name)
        .chain(def.columns.iter().map(|c| {
            let kind = if c.kind == "date" { "string" } else { c.kind };
            json!({"name": c.name, "type": kind, "format": c.format, "description": c.description, "priority": c.priority})
        }))
        .collect()
}

fn row(def: &ResourceDef, object: &Value, include: IncludeObject) -> Value {
    let mut cells = vec![object.pointer("/metadata/name").cloned().unwrap_or(Value::Null)];
    cells.extend(def.columns.iter().map(|c| (c.cell)(object)));
    let mut row = json!({ "cells": cells });
    match include {
        IncludeObject::None => {}
        IncludeObject::Object => row["object"] = object.clone(),
        IncludeObject::Metadata => {
            row["object"] = json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
            });
        }
    }
    row
}

/// A Table of `objects`. `list_metadata` is copied into the Table's metadata (resourceVersion,
/// continue, remainingItemCount).
pub(crate) fn to_table<'a>(
    def: &ResourceDef,
    objects: impl IntoIterator<Item = &'a Value>,
    list_metadata: Value,
    options: TableOptions,
) -> Value {
    let mut table = json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_metadata,
    });
    if !options.no_headers {
        table["columnDefinitions"] = Value::Array(column_definitions(def));
    } else {
        table["columnDefinitions"] = Value::Array(Vec::new());
    }
    table["rows"] = objects.into_iter().map(|o| row(def, o, options.include_object)).collect();
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::resources;

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
        let t = to_table(def, [&repo()], json!({"resourceVersion": "5"}), TableOptions::default());
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
        let t = to_table(def, [&repo()], json!({}), opts);
        assert_eq!(t["columnDefinitions"], json!([]));
        assert_eq!(t["rows"][0]["object"]["kind"], "Repository");
    }
}
