//! Values between the resources and the script: the ResourceList as JSON into starlark values,
//! what the script leaves back into JSON as the catalog's `util.Unmarshal` takes it (with its
//! errors), and that JSON back into the items' documents.

use std::collections::BTreeMap;

use porch_krm::{Document, Node, ResourceList, annotations};
use serde_json::{Map, Number, Value as Json};
use starlark::values::dict::{AllocDict, DictRef};
use starlark::values::float::StarlarkFloat;
use starlark::values::list::{AllocList, ListRef};
use starlark::values::tuple::TupleRef;
use starlark::values::{Heap, UnpackValue, Value, ValueLike};

use super::order;

/// Deeper values are refused (a value that contains itself never ends).
const MAX_DEPTH: usize = 200;

/// What the script starts from (plain data: it crosses to the interpreter's thread).
#[derive(Debug, Clone)]
pub(super) struct Input {
    /// The items, as JSON.
    pub(super) items: Vec<Json>,
    /// The function config, as JSON.
    pub(super) function_config: Json,
    /// `ctx.environment`.
    pub(super) environment: BTreeMap<String, String>,
}

/// An item the script left: its JSON, and which input item it is (if it is one).
#[derive(Debug, Clone)]
pub(super) struct Item {
    /// The item as JSON.
    pub(super) json: Json,
    /// The index of the input item the script kept (the same dict), if any.
    pub(super) origin: Option<usize>,
}

/// The ResourceList as JSON.
pub(super) fn input(list: &ResourceList, environment: &BTreeMap<String, String>) -> Result<Input, String> {
    let items =
        list.items.iter().map(|d| d.to_json().map_err(|e| e.to_string())).collect::<Result<_, _>>()?;
    let function_config = match &list.function_config {
        Some(config) => config.to_json().map_err(|e| e.to_string())?,
        None => Json::Object(Map::new()),
    };
    Ok(Input { items, function_config, environment: environment.clone() })
}

/// A JSON value as a starlark value (mutable dicts and lists).
pub(super) fn to_starlark<'v>(heap: Heap<'v>, json: &Json) -> Value<'v> {
    match json {
        Json::Null => Value::new_none(),
        Json::Bool(b) => Value::new_bool(*b),
        Json::Number(n) => number(heap, n),
        Json::String(s) => heap.alloc(s.as_str()),
        Json::Array(items) => heap.alloc(AllocList(items.iter().map(|i| to_starlark(heap, i)))),
        Json::Object(map) => {
            heap.alloc(AllocDict(map.iter().map(|(k, v)| (k.as_str(), to_starlark(heap, v)))))
        }
    }
}

/// A JSON number as a starlark int or float (text that is neither stays text).
fn number<'v>(heap: Heap<'v>, n: &Number) -> Value<'v> {
    if let Some(i) = n.as_i64() {
        heap.alloc(i)
    } else if let Some(u) = n.as_u64() {
        heap.alloc(u)
    } else if let Some(f) = n.as_f64() {
        heap.alloc(f)
    } else {
        heap.alloc(n.to_string())
    }
}

/// The items of the ResourceList dict the script left, each with the input item it is.
/// Errors are the catalog's: the whole ResourceList is converted first (so a bad value
/// anywhere in it fails the run).
pub(super) fn output<'v>(resource_list: Value<'v>, origins: &[Value<'v>]) -> Result<Vec<Item>, String> {
    let json = unmarshal(resource_list, 0)?;
    let Some(dict) = DictRef::from_value(resource_list) else {
        return Err(format!("wrong node kind: expected MappingNode but got {}", node_kind(&json)));
    };
    let (value, json) = match (dict.get_str("items"), json.get("items")) {
        (Some(value), Some(json)) => (value, json),
        _ => return Ok(Vec::new()),
    };
    let values: Vec<Value> = match (ListRef::from_value(value), TupleRef::from_value(value)) {
        (Some(list), _) => list.content().to_vec(),
        (None, Some(tuple)) => tuple.content().to_vec(),
        (None, None) if value.is_none() => return Ok(Vec::new()),
        (None, None) => {
            return Err(format!("wrong node kind: expected SequenceNode but got {}", node_kind(json)));
        }
    };
    let jsons = json.as_array().cloned().unwrap_or_default();
    values
        .into_iter()
        .zip(jsons)
        .enumerate()
        .map(|(i, (value, json))| {
            if !json.is_object() {
                return Err(format!(
                    "failed to parse item {i}: expected a mapping, got {}",
                    node_kind(&json)
                ));
            }
            let origin = origins.iter().position(|o| o.ptr_eq(value));
            Ok(Item { json, origin })
        })
        .collect()
}

/// How go-yaml names the node a JSON value becomes.
fn node_kind(json: &Json) -> &'static str {
    match json {
        Json::Array(_) => "SequenceNode",
        Json::Object(_) => "MappingNode",
        _ => "ScalarNode",
    }
}

/// A starlark value as the catalog's `util.Unmarshal` makes Go data of it: `None`, bools,
/// ints (64-bit), floats, strings, lists and tuples, dicts (an error inside a dict value is
/// prefixed `unmarshaling starlark value: `, inside a key `unmarshaling starlark key: `);
/// sets and anything else are errors.
pub(super) fn unmarshal(value: Value, depth: usize) -> Result<Json, String> {
    if depth > MAX_DEPTH {
        return Err(format!("value nested more than {MAX_DEPTH} deep (does it contain itself?)"));
    }
    let json = match value.get_type() {
        "NoneType" => Json::Null,
        "bool" => Json::Bool(value.unpack_bool().unwrap_or_default()),
        "int" => match i64::unpack_value(value).ok().flatten() {
            Some(i) => Json::from(i),
            None => {
                return Err(format!("{} out of range (want value in signed 64-bit range)", value.to_str()));
            }
        },
        "float" => {
            let f = value.downcast_ref::<StarlarkFloat>().map_or(f64::NAN, |f| f.0);
            Json::Number(
                Number::from_f64(f).ok_or_else(|| format!("cannot write the float {}", value.to_str()))?,
            )
        }
        "string" => Json::String(value.unpack_str().unwrap_or_default().to_string()),
        "list" | "tuple" => {
            let items = ListRef::from_value(value)
                .map(|l| l.content().to_vec())
                .or_else(|| TupleRef::from_value(value).map(|t| t.content().to_vec()))
                .unwrap_or_default();
            Json::Array(items.into_iter().map(|i| unmarshal(i, depth + 1)).collect::<Result<_, _>>()?)
        }
        "dict" => {
            let Some(dict) = DictRef::from_value(value) else { return Ok(Json::Null) };
            let mut map = Map::new();
            for (k, v) in dict.iter() {
                let v = unmarshal(v, depth + 1).map_err(|e| format!("unmarshaling starlark value: {e}"))?;
                let k = key_text(k, depth).map_err(|e| format!("unmarshaling starlark key: {e}"))?;
                map.insert(k, v);
            }
            Json::Object(map)
        }
        "set" => return Err("sets aren't yet supported".into()),
        other => return Err(format!("unrecognized starlark type: {other}")),
    };
    Ok(json)
}

/// A dict key as text: a string as it is, `None`, a bool or a number as YAML writes it.
fn key_text(key: Value, depth: usize) -> Result<String, String> {
    match unmarshal(key, depth + 1)? {
        Json::String(s) => Ok(s),
        Json::Null => Ok("null".into()),
        Json::Bool(b) => Ok(b.to_string()),
        Json::Number(n) => Ok(n.to_string()),
        _ => Err(format!("a {} cannot be a mapping key", key.get_type())),
    }
}

/// The output documents: an input item the script kept (the same dict, else one with the
/// same kpt id or file and index annotations, as kpt matches a function's output to its input)
/// is its input document with what differs merged in (the rest keeps its text); another item
/// is a new document.
pub(super) fn write_back(originals: &[Document], items: Vec<Item>) -> Vec<Document> {
    items
        .into_iter()
        .map(|Item { mut json, origin }| {
            let original = origin.and_then(|i| originals.get(i)).or_else(|| same_place(originals, &json));
            order::arrange(&mut json, original.and_then(|d| d.root.as_ref()));
            if let Some(original) = original {
                let mut doc = original.clone();
                if doc.merge_from_json(&json).is_ok() {
                    return doc;
                }
            }
            Document::new(Node::from_json(&json))
        })
        .collect()
}

/// The input document with the same kpt id as `json`, else with the same file and index.
fn same_place<'a>(originals: &'a [Document], json: &Json) -> Option<&'a Document> {
    let place = Place::of(|key| {
        json.pointer(&format!("/metadata/annotations/{}", key.replace('/', "~1")))?.as_str()
    })?;
    originals.iter().find(|d| {
        d.root.as_ref().is_some_and(|root| Place::of(|key| annotations::of(root, key)) == Some(place))
    })
}

/// Where kpt's annotations place a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place<'a> {
    /// Its id in a function call.
    Id(&'a str),
    /// Its file and index there.
    File(&'a str, &'a str),
}

impl<'a> Place<'a> {
    /// The place the annotations read by `get` give: the id, else the file and index
    /// (internal keys, else legacy ones).
    fn of(get: impl Fn(&str) -> Option<&'a str>) -> Option<Self> {
        let either = |key: &str, legacy: &str| get(key).or_else(|| get(legacy));
        if let Some(id) = either(annotations::ID, annotations::LEGACY_ID) {
            return Some(Self::Id(id));
        }
        let path = either(annotations::PATH, annotations::LEGACY_PATH)?;
        Some(Self::File(path, either(annotations::INDEX, annotations::LEGACY_INDEX)?))
    }
}
