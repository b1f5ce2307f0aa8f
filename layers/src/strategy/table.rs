//! `meta.k8s.io/v1 Table` building blocks: columns, options and the table itself.

use super::duration::human_duration;
use crate::json_pointer::at;
use crate::request::Frames;
use bytes::Bytes;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json};
use std::sync::Arc;

/// One print column: its definition and how to compute its cell from an object.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The header, e.g. `Lifecycle`.
    pub name: &'static str,
    /// The OpenAPI type: `string`, `integer`, `number`, `boolean` or `date` (sent as `string`,
    /// the cell already being a human age).
    pub kind: &'static str,
    /// The OpenAPI format, e.g. `name`; usually empty.
    pub format: &'static str,
    /// The column's description.
    pub description: &'static str,
    /// 0 = always shown, >0 = only with `-o wide`.
    pub priority: i32,
    /// The cell; `Value::Null` prints as `<none>`.
    pub cell: fn(&Value) -> Value,
    /// Whether the cell of an unchanged object changes as time passes (`Age`): rows with such a
    /// column are never kept ([`Strategy::stable_table_rows`](crate::Strategy::stable_table_rows)).
    pub changes_with_time: bool,
}

impl Column {
    /// `Age`: the time since `metadata.creationTimestamp`, as kubectl prints it (`5m`, `3d2h`).
    pub const AGE: Self = Self {
        name: "Age",
        kind: "date",
        format: "",
        description: "CreationTimestamp is a timestamp representing the server time when this object was \
                      created.",
        priority: 0,
        cell: age,
        changes_with_time: true,
    };

    /// A column with no format or description, always shown.
    pub const fn new(name: &'static str, kind: &'static str, cell: fn(&Value) -> Value) -> Self {
        Self { name, kind, format: "", description: "", priority: 0, cell, changes_with_time: false }
    }

    /// This column's `TableColumnDefinition` as JSON.
    pub fn definition(&self) -> Value {
        let kind = if self.kind == "date" { "string" } else { self.kind };
        json!({
            "name": self.name, "type": kind, "format": self.format,
            "description": self.description, "priority": self.priority,
        })
    }
}

fn age(o: &Value) -> Value {
    at(o, "/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| human_duration(t, now()?))
        .map_or(Value::Null, Value::String)
}

/// The current time (jiff's `Timestamp::now` needs a feature this crate does not enable).
fn now() -> Option<k8s_openapi::jiff::Timestamp> {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?;
    k8s_openapi::jiff::Timestamp::from_second(i64::try_from(since_epoch.as_secs()).ok()?).ok()
}

/// What a row carries besides its cells (the `includeObject` query parameter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IncludeObject {
    /// No object.
    None,
    /// A `PartialObjectMetadata` with the object's metadata (the default).
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// From the `includeObject` query parameter; anything unknown is the default, `Metadata`.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("None") => Self::None,
            Some("Object") => Self::Object,
            _ => Self::Metadata,
        }
    }
}

/// Options of one Table conversion (`metav1.TableOptions`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// What each row carries besides its cells.
    pub include_object: IncludeObject,
    /// Leave out the column definitions (every watch event after the first).
    pub no_headers: bool,
}

/// The `Name` column every Table starts with.
fn name_definition() -> Value {
    json!({
        "name": "Name", "type": "string", "format": "name", "priority": 0,
        "description": "Name must be unique within a namespace. Is required when creating resources, although \
                        some resources may allow a client to request the generation of an appropriate name \
                        automatically. Name is primarily intended for creation idempotence and configuration \
                        definition. Cannot be updated."
    })
}

fn cells(columns: &[Column], object: &Value) -> Vec<Value> {
    let mut cells = Vec::with_capacity(columns.len() + 1);
    cells.push(at(object, "/metadata/name").cloned().unwrap_or(Value::Null));
    cells.extend(columns.iter().map(|c| (c.cell)(object)));
    cells
}

fn definitions(columns: &[Column], options: TableOptions) -> Vec<Value> {
    if options.no_headers {
        Vec::new()
    } else {
        std::iter::once(name_definition()).chain(columns.iter().map(Column::definition)).collect()
    }
}

/// A `meta.k8s.io/v1 Table`, ready to serialize, whose rows share their objects (an `Arc` each)
/// instead of copying them: a Table of thousands of rows costs its cells only — or nothing but
/// the write, when its rows were kept encoded ([`TableList::from_encoded_rows`]).
#[derive(Clone, Debug, PartialEq)]
pub struct TableList {
    /// The list's `ListMeta` (`resourceVersion`, `continue`, `remainingItemCount`), or the
    /// `resourceVersion` of a single object's Table; empty from [`TableList::build`].
    pub metadata: Value,
    definitions: Vec<Value>,
    rows: Vec<TableRow>,
    /// Rows kept encoded (chunks of comma-separated rows), after `rows`.
    encoded_rows: Vec<Bytes>,
    encoded_count: usize,
    include: IncludeObject,
}

#[derive(Clone, Debug, PartialEq)]
struct TableRow {
    cells: Vec<Value>,
    object: Arc<Value>,
}

impl TableList {
    /// The Table of `objects` with a `Name` column followed by `columns` and empty metadata.
    pub fn build(columns: &[Column], objects: &[Arc<Value>], options: TableOptions) -> Self {
        let rows =
            objects.iter().map(|o| TableRow { cells: cells(columns, o), object: Arc::clone(o) }).collect();
        Self {
            metadata: json!({}),
            definitions: definitions(columns, options),
            rows,
            encoded_rows: Vec::new(),
            encoded_count: 0,
            include: options.include_object,
        }
    }

    /// The rows of `objects` as [`build`](Self::build) makes them with the default options
    /// (`includeObject=Metadata`), encoded and separated by commas: what a kept chunk of rows
    /// holds ([`EncodedChunk::rows`](crate::EncodedChunk::rows)).
    pub fn encode_rows(columns: &[Column], objects: &[Arc<Value>]) -> Bytes {
        let mut out = Vec::with_capacity(objects.len() * 256);
        for (i, object) in objects.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let row = TableRow { cells: cells(columns, object), object: Arc::clone(object) };
            // Cells and metadata are JSON values already; they always serialize.
            let _ = serde_json::to_writer(&mut out, &RowView(&row, IncludeObject::Metadata));
        }
        Bytes::from(out)
    }

    /// The Table of `count` rows kept encoded in `chunks` ([`encode_rows`](Self::encode_rows)),
    /// with the definitions of `Name` and `columns` and empty metadata.
    pub fn from_encoded_rows(columns: &[Column], chunks: Vec<Bytes>, count: usize) -> Self {
        let options = TableOptions::default();
        Self {
            metadata: json!({}),
            definitions: definitions(columns, options),
            rows: Vec::new(),
            encoded_rows: chunks.into_iter().filter(|c| !c.is_empty()).collect(),
            encoded_count: count,
            include: options.include_object,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len() + self.encoded_count
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The table as a JSON document.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The table's JSON body as frames (kept rows shared, not copied).
    ///
    /// # Errors
    /// When a cell or object does not serialize.
    pub fn to_frames(&self) -> Result<Frames, serde_json::Error> {
        let mut head = serde_json::to_vec(&Head(self))?;
        // `{…}` becomes `{…,"rows":[` and the rows follow.
        head.pop();
        head.extend_from_slice(b",\"rows\":[");
        let mut frames = Frames::new();
        frames.copy(&head);
        let mut first = true;
        for row in &self.rows {
            let before = frames.buffer().len();
            if !std::mem::take(&mut first) {
                frames.buffer().push(b',');
            }
            serde_json::to_writer(frames.buffer(), &RowView(row, self.include))?;
            frames.wrote(before);
        }
        for chunk in &self.encoded_rows {
            if !std::mem::take(&mut first) {
                frames.copy(b",");
            }
            frames.share(chunk);
        }
        frames.copy(b"]}");
        Ok(frames)
    }
}

/// A Table's fields before its rows.
struct Head<'a>(&'a TableList);

impl Serialize for Head<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut map = ser.serialize_map(Some(4))?;
        map.serialize_entry("kind", "Table")?;
        map.serialize_entry("apiVersion", "meta.k8s.io/v1")?;
        map.serialize_entry("metadata", &self.0.metadata)?;
        map.serialize_entry("columnDefinitions", &self.0.definitions)?;
        map.end()
    }
}

/// One row as the Table holds it: cells, and the object as `includeObject` says.
struct RowView<'a>(&'a TableRow, IncludeObject);

impl Serialize for RowView<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let RowView(row, include) = self;
        let mut map = ser.serialize_map(None)?;
        map.serialize_entry("cells", &row.cells)?;
        match include {
            IncludeObject::None => {}
            IncludeObject::Object => map.serialize_entry("object", row.object.as_ref())?,
            IncludeObject::Metadata => map.serialize_entry("object", &PartialMetadata(&row.object))?,
        }
        map.end()
    }
}

/// The `PartialObjectMetadata` of an object.
struct PartialMetadata<'a>(&'a Value);

impl Serialize for PartialMetadata<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut map = ser.serialize_map(Some(3))?;
        map.serialize_entry("kind", "PartialObjectMetadata")?;
        map.serialize_entry("apiVersion", "meta.k8s.io/v1")?;
        map.serialize_entry("metadata", self.0.get("metadata").unwrap_or(&json!({})))?;
        map.end()
    }
}

impl Serialize for TableList {
    /// The same document as [`to_frames`](Self::to_frames) writes; kept rows are read back
    /// (this path serves single-object Tables, watch events and tests, not large lists).
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        struct Rows<'a>(&'a TableList);
        impl Serialize for Rows<'_> {
            fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                let table = self.0;
                let mut kept = Vec::with_capacity(table.encoded_count);
                for chunk in &table.encoded_rows {
                    let text = [&b"["[..], chunk, b"]"].concat();
                    let rows: Vec<Value> =
                        serde_json::from_slice(&text).map_err(serde::ser::Error::custom)?;
                    kept.extend(rows);
                }
                let built = table.rows.iter().map(|r| RowView(r, table.include));
                let mut seq = ser.serialize_seq(Some(table.len()))?;
                for row in built {
                    seq.serialize_element(&row)?;
                }
                for row in &kept {
                    seq.serialize_element(row)?;
                }
                seq.end()
            }
        }
        let mut map = ser.serialize_map(Some(5))?;
        map.serialize_entry("kind", "Table")?;
        map.serialize_entry("apiVersion", "meta.k8s.io/v1")?;
        map.serialize_entry("metadata", &self.metadata)?;
        map.serialize_entry("columnDefinitions", &self.definitions)?;
        map.serialize_entry("rows", &Rows(self))?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj() -> Value {
        json!({"kind": "Thing", "metadata": {"name": "a", "creationTimestamp": "2020-01-01T00:00:00Z"},
               "spec": {"n": 3}})
    }

    #[test]
    fn rows_start_with_the_name_and_follow_the_columns() {
        let cols = [Column::new("N", "integer", |o| o["spec"]["n"].clone()), Column::AGE];
        let t = TableList::build(&cols, &[Arc::new(obj())], TableOptions::default()).to_json();
        let names: Vec<_> = t["columnDefinitions"].as_array().unwrap().iter().map(|c| &c["name"]).collect();
        assert_eq!(names, ["Name", "N", "Age"]);
        assert_eq!(t["columnDefinitions"][2]["type"], "string");
        assert_eq!(t["rows"][0]["cells"][0], "a");
        assert_eq!(t["rows"][0]["cells"][1], 3);
        assert!(t["rows"][0]["cells"][2].as_str().unwrap().contains('y'));
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }

    #[test]
    fn include_object_and_no_headers_are_honoured() {
        let none = TableOptions { include_object: IncludeObject::None, no_headers: true };
        let t = TableList::build(&[], &[Arc::new(obj())], none).to_json();
        assert_eq!(t["columnDefinitions"], json!([]));
        assert!(t["rows"][0].get("object").is_none());
        let whole = TableOptions { include_object: IncludeObject::Object, no_headers: false };
        assert_eq!(
            TableList::build(&[], &[Arc::new(obj())], whole).to_json()["rows"][0]["object"]["kind"],
            "Thing"
        );
    }

    #[test]
    fn the_document_has_the_fields_of_a_meta_v1_table_in_order() {
        let cols = [Column::new("N", "integer", |o| o["spec"]["n"].clone())];
        let t = TableList::build(&cols, &[Arc::new(obj())], TableOptions::default());
        assert_eq!(t.len(), 1);
        let t = t.to_json();
        let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["kind", "apiVersion", "metadata", "columnDefinitions", "rows"]);
        assert_eq!(t["metadata"], json!({}));
        assert_eq!(
            t["columnDefinitions"][1],
            json!({"name": "N", "type": "integer", "format": "", "description": "", "priority": 0})
        );
        let partial = json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj()["metadata"]});
        assert_eq!(t["rows"], json!([{"cells": ["a", 3], "object": partial}]));
        let row_keys: Vec<&str> = t["rows"][0].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(row_keys, ["cells", "object"]);
    }

    #[test]
    fn kept_rows_make_the_same_document_as_built_ones() {
        let cols = [Column::new("N", "integer", |o| o["spec"]["n"].clone())];
        let objects: Vec<_> = (0..5)
            .map(|i| Arc::new(json!({"metadata": {"name": format!("o{i}")}, "spec": {"n": i}})))
            .collect();
        let built = TableList::build(&cols, &objects, TableOptions::default());
        let chunks =
            vec![TableList::encode_rows(&cols, &objects[..2]), TableList::encode_rows(&cols, &objects[2..])];
        let kept = TableList::from_encoded_rows(&cols, chunks, objects.len());
        assert_eq!(kept.len(), 5);
        assert_eq!(kept.to_json(), built.to_json());
        let bytes = |t: &TableList| t.to_frames().unwrap().concat();
        assert_eq!(bytes(&kept), bytes(&built));
        assert_eq!(bytes(&built), serde_json::to_vec(&built).unwrap(), "frames and serde agree");
        let empty = TableList::from_encoded_rows(&cols, Vec::new(), 0);
        assert_eq!(bytes(&empty), serde_json::to_vec(&empty).unwrap());
        assert_eq!(empty.to_json()["rows"], json!([]));
    }

    #[test]
    fn only_age_changes_with_time() {
        let columns = [Column::new("N", "integer", |_| Value::Null), Column::AGE];
        let changing: Vec<_> = columns.iter().filter(|c| c.changes_with_time).map(|c| c.name).collect();
        assert_eq!(changing, ["Age"]);
    }

    #[test]
    fn include_object_parses_the_query_parameter() {
        assert_eq!(IncludeObject::parse(Some("None")), IncludeObject::None);
        assert_eq!(IncludeObject::parse(Some("Object")), IncludeObject::Object);
        assert_eq!(IncludeObject::parse(None), IncludeObject::Metadata);
    }
}
