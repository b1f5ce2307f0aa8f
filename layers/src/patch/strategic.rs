//! Strategic merge patch (`application/strategic-merge-patch+json`), as documented for
//! k8s.io/apimachinery's `strategicpatch`, over JSON objects.
//!
//! - Maps merge key by key, recursively; a `null` value deletes the key.
//! - A list is replaced by the patch's list, unless the field's patch strategy is `merge`
//!   ([`StrategicSchema`]): then a list of maps merges element by element, matched by the
//!   field's `patchMergeKey`, and a list of primitives merges as a set; the merged list is
//!   ordered as kube-apiserver orders it (the patch's elements in the patch's order, new ones
//!   before the object's others; see `set_element_order`).
//! - Directives:
//!   - `$patch: replace` in a map replaces the whole map; as an element of a merge list, the
//!     whole list becomes the patch's other elements;
//!   - `$patch: delete` in a map deletes the map; as an element of a list merged by key, it
//!     deletes the element with that key;
//!   - `$patch: merge` is the default;
//!   - `$deleteFromPrimitiveList/<field>: [values]` removes the values from the primitive list
//!     `<field>`;
//!   - `$setElementOrder/<field>: [keys]` orders the merge list `<field>`: its elements named
//!     in the directive come in that order, the others keep their place relative to the
//!     elements that were in the list before;
//!   - `$retainKeys: [keys]` removes from the map every key it does not name (the patch may
//!     only set keys it names).
//!
//! A new value (a key or element the object did not have) is merged into an empty one, so that
//! no directive and no `null` is ever stored.

use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use thiserror::Error;

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";

/// How a list field merges (its Go `patchStrategy:"merge"` tag); a list not described is
/// replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListMerge {
    /// A list of maps merged element by element, matched by this key (`patchMergeKey`).
    ByKey(&'static str),
    /// A list of primitives merged as a set.
    Set,
}

/// A list field with a merge strategy, by its path of field names from the object's root
/// (list elements add no segment), e.g. `status.conditions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListField {
    /// Dot-separated field names.
    pub path: &'static str,
    /// How it merges.
    pub merge: ListMerge,
}

/// `ObjectMeta`'s merge lists (k8s.io/apimachinery `metav1.ObjectMeta`): `finalizers`
/// (`patchStrategy:"merge"`) and `ownerReferences` (`patchMergeKey:"uid"`);
/// `managedFields` has no strategy and is replaced.
const OBJECT_META: &[ListField] = &[
    ListField { path: "metadata.finalizers", merge: ListMerge::Set },
    ListField { path: "metadata.ownerReferences", merge: ListMerge::ByKey("uid") },
];

/// The fields of one kind whose lists merge rather than being replaced: the part of a Go
/// type's `patchStrategy`/`patchMergeKey` tags a strategic merge patch needs. `ObjectMeta`'s
/// are always included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrategicSchema {
    lists: &'static [ListField],
}

impl StrategicSchema {
    /// A kind with only `ObjectMeta`'s merge lists (a type whose own fields have no tags).
    pub const OBJECT_META: Self = Self { lists: &[] };

    /// A kind whose merge lists are `ObjectMeta`'s and `lists`.
    pub const fn new(lists: &'static [ListField]) -> Self {
        Self { lists }
    }

    /// The merge strategy of the list at `path`, if it has one.
    fn list_merge(&self, path: &[&str]) -> Option<ListMerge> {
        OBJECT_META
            .iter()
            .chain(self.lists)
            .find(|f| f.path.split('.').eq(path.iter().copied()))
            .map(|f| f.merge)
    }
}

/// Why a strategic merge patch could not be applied.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum StrategicMergeError {
    /// The patch is not a JSON object.
    #[error("invalid JSON document")]
    NotAnObject,
    /// `$patch` has a value other than `replace`, `merge` or `delete`.
    #[error("unknown patch type: {0}")]
    UnknownPatchType(String),
    /// `$deleteFromPrimitiveList/…` is not a list, or its field is not a list.
    #[error("invalid patch format of primitive list")]
    PrimitiveList,
    /// `$setElementOrder/…` is not a list.
    #[error("invalid patch format of setElementOrder list")]
    SetElementOrder,
    /// `$retainKeys` is not a list of strings.
    #[error("invalid patch format of retainKeys")]
    RetainKeys,
    /// The patch sets a key its `$retainKeys` does not name.
    #[error("patch content doesn't match retainKeys list")]
    NotInRetainKeys,
    /// An element of a list merged by key is not a map, or lacks the key.
    #[error("map: {element} does not contain declared merge key: {key}")]
    MissingMergeKey {
        /// The element, as JSON.
        element: String,
        /// The list's merge key.
        key: &'static str,
    },
    /// A merge list holds lists.
    #[error("lists of lists are not supported")]
    ListOfLists,
}

impl StrategicMergeError {
    /// The HTTP status kube-apiserver answers: 422 for a patch that contradicts itself or holds
    /// lists of lists, 400 for a malformed one.
    pub fn code(&self) -> u16 {
        match self {
            Self::NotInRetainKeys | Self::ListOfLists => 422,
            _ => 400,
        }
    }
}

type Result<T> = std::result::Result<T, StrategicMergeError>;

/// Applies the strategic merge `patch` (a JSON object) to `target` under `schema`.
///
/// # Errors
/// [`StrategicMergeError`] for a malformed patch; `target` is then left unchanged.
pub fn apply(target: &mut Value, patch: &Value, schema: &StrategicSchema) -> Result<()> {
    let Value::Object(patch) = patch else { return Err(StrategicMergeError::NotAnObject) };
    let original = target.as_object().cloned().unwrap_or_default();
    let mut path = Vec::new();
    let merged = Merger { schema }.map(original, patch, &mut path)?;
    *target = Value::Object(merged.unwrap_or_default());
    Ok(())
}

/// One patch application.
struct Merger<'s> {
    schema: &'s StrategicSchema,
}

/// What `$patch` asks of a map.
#[derive(PartialEq, Eq)]
enum MapDirective {
    Merge,
    Replace,
    Delete,
}

fn map_directive(patch: &Map<String, Value>) -> Result<MapDirective> {
    match patch.get(PATCH) {
        None => Ok(MapDirective::Merge),
        Some(Value::String(s)) if s == "merge" => Ok(MapDirective::Merge),
        Some(Value::String(s)) if s == "replace" => Ok(MapDirective::Replace),
        Some(Value::String(s)) if s == "delete" => Ok(MapDirective::Delete),
        Some(other) => Err(StrategicMergeError::UnknownPatchType(other.to_string())),
    }
}

fn is_directive(key: &str) -> bool {
    key == PATCH
        || key == RETAIN_KEYS
        || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
        || key.starts_with(SET_ELEMENT_ORDER)
}

impl Merger<'_> {
    /// Merges map `patch` into `original` at `path`; `None` when the map is deleted.
    fn map<'p>(
        &self,
        mut original: Map<String, Value>,
        patch: &'p Map<String, Value>,
        path: &mut Vec<&'p str>,
    ) -> Result<Option<Map<String, Value>>> {
        match map_directive(patch)? {
            MapDirective::Delete => return Ok(None),
            MapDirective::Replace => original.clear(),
            MapDirective::Merge => {}
        }
        if let Some(retain) = patch.get(RETAIN_KEYS) {
            retain_keys(&mut original, patch, retain)?;
        }
        // The lists to order, as they were before the patch.
        let mut to_order = Vec::new();
        for (key, value) in patch {
            if let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
                delete_from_primitive_list(&mut original, field, value)?;
            } else if let Some(field) = key.strip_prefix(SET_ELEMENT_ORDER) {
                let Value::Array(order) = value else { return Err(StrategicMergeError::SetElementOrder) };
                let before = match original.get(field) {
                    Some(Value::Array(list)) => list.clone(),
                    _ => Vec::new(),
                };
                to_order.push((field, order, before));
            }
        }
        for (key, value) in patch.iter().filter(|(k, _)| !is_directive(k)) {
            if value.is_null() {
                original.remove(key);
                continue;
            }
            path.push(key);
            let merged = self.value(original.remove(key), value, path);
            path.pop();
            if let Some(merged) = merged? {
                original.insert(key.clone(), merged);
            }
        }
        for (field, order, before) in to_order {
            path.push(field);
            let merge = self.schema.list_merge(path);
            path.pop();
            if let (Some(merge), Some(Value::Array(list))) = (merge, original.get_mut(field)) {
                set_element_order(list, order, &before, merge);
            }
        }
        Ok(Some(original))
    }

    /// Merges `patch` (not `null`) into the value `original` at `path`; `None` deletes it.
    fn value<'p>(
        &self,
        original: Option<Value>,
        patch: &'p Value,
        path: &mut Vec<&'p str>,
    ) -> Result<Option<Value>> {
        match patch {
            Value::Object(patch) => {
                let original = match original {
                    Some(Value::Object(map)) => map,
                    _ => Map::new(),
                };
                Ok(self.map(original, patch, path)?.map(Value::Object))
            }
            Value::Array(items) => match self.schema.list_merge(path) {
                Some(merge) => {
                    let original = match original {
                        Some(Value::Array(list)) => list,
                        _ => Vec::new(),
                    };
                    self.list(original, items, merge, path).map(|l| Some(Value::Array(l)))
                }
                None => Ok(Some(patch.clone())),
            },
            scalar => Ok(Some(scalar.clone())),
        }
    }

    /// Merges the patch list `items` into the merge list `original` at `path`.
    fn list<'p>(
        &self,
        mut original: Vec<Value>,
        items: &'p [Value],
        merge: ListMerge,
        path: &mut Vec<&'p str>,
    ) -> Result<Vec<Value>> {
        if items.iter().any(Value::is_array) || original.iter().any(Value::is_array) {
            return Err(StrategicMergeError::ListOfLists);
        }
        let mut items: Vec<&Value> = items.iter().collect();
        if let Some(at) = items.iter().position(|v| v.get(PATCH).is_some_and(|d| d == "replace")) {
            items.remove(at);
            original.clear();
        }
        let before = original.clone();
        let order: Vec<Value> = items.iter().map(|v| (*v).clone()).collect();
        match merge {
            ListMerge::Set => {
                let mut seen: HashSet<String> = original.iter().map(Value::to_string).collect();
                original.extend(items.into_iter().filter(|item| seen.insert(item.to_string())).cloned());
            }
            ListMerge::ByKey(key) => {
                let mut elements = Vec::with_capacity(items.len());
                for item in items {
                    let Value::Object(element) = item else { return Err(missing_key(item, key)) };
                    let Some(id) = element.get(key) else { return Err(missing_key(item, key)) };
                    elements.push((id.to_string(), element, map_directive(element)? == MapDirective::Delete));
                }
                // Deletions first, then merges, each element found through an index by key.
                let deleted: HashSet<&str> =
                    elements.iter().filter(|(_, _, delete)| *delete).map(|(id, _, _)| id.as_str()).collect();
                original.retain(|o| o.get(key).is_none_or(|id| !deleted.contains(id.to_string().as_str())));
                let mut index: HashMap<String, usize> = HashMap::new();
                for (at, o) in original.iter().enumerate() {
                    if let Some(id) = o.get(key) {
                        index.entry(id.to_string()).or_insert(at);
                    }
                }
                for (id, element, delete) in elements {
                    if delete {
                        continue;
                    }
                    let at = *index.entry(id).or_insert_with(|| {
                        original.push(Value::Object(Map::new()));
                        original.len() - 1
                    });
                    let base = match std::mem::take(&mut original[at]) {
                        Value::Object(map) => map,
                        _ => Map::new(),
                    };
                    // A merge key is never deleted, so neither is an element merged by key.
                    original[at] = Value::Object(self.map(base, element, path)?.unwrap_or_default());
                }
            }
        }
        // As kube-apiserver orders a merged list: the patch's elements in the patch's order,
        // each element only the object had placed before them when it came first there.
        set_element_order(&mut original, &order, &before, merge);
        Ok(original)
    }
}

/// Orders the merged `list` (which was `before` the patch) by `order` (the patch's list, or its
/// `$setElementOrder`), as apimachinery's `normalizeElementOrder`: the elements `order` names
/// come in its order; each other element goes before the next named one when both were in the
/// list before and it came first there (so an element new to the list comes before the others).
fn set_element_order(list: &mut Vec<Value>, order: &[Value], before: &[Value], merge: ListMerge) {
    let id = |v: &Value| -> Option<Value> {
        match merge {
            ListMerge::Set => Some(v.clone()),
            ListMerge::ByKey(key) => v.get(key).cloned(),
        }
    };
    let positions = |list: &[Value]| {
        let mut positions = HashMap::new();
        for (at, key) in list.iter().filter_map(id).enumerate() {
            positions.entry(key.to_string()).or_insert(at);
        }
        positions
    };
    let (order, before) = (positions(order), positions(before));
    let rank = |v: &Value| id(v).and_then(|i| order.get(&i.to_string()).copied());
    let place = |v: &Value| id(v).and_then(|i| before.get(&i.to_string()).copied());
    let (mut named, others): (Vec<Value>, Vec<Value>) =
        std::mem::take(list).into_iter().partition(|v| rank(v).is_some());
    named.sort_by_key(rank);
    let (mut named, mut others) = (named.into_iter().peekable(), others.into_iter().peekable());
    while let (Some(n), Some(o)) = (named.peek(), others.peek()) {
        let other_first = matches!((place(o), place(n)), (Some(o), Some(n)) if o < n);
        list.extend(if other_first { others.next() } else { named.next() });
    }
    list.extend(named);
    list.extend(others);
}

fn missing_key(item: &Value, key: &'static str) -> StrategicMergeError {
    StrategicMergeError::MissingMergeKey { element: item.to_string(), key }
}

/// `$retainKeys`: drops the keys of `original` it does not name; the patch may set no others.
fn retain_keys(original: &mut Map<String, Value>, patch: &Map<String, Value>, retain: &Value) -> Result<()> {
    let Value::Array(keys) = retain else { return Err(StrategicMergeError::RetainKeys) };
    let keys: HashSet<&str> =
        keys.iter().map(|k| k.as_str().ok_or(StrategicMergeError::RetainKeys)).collect::<Result<_>>()?;
    let named = |k: &str| keys.contains(&k);
    if patch.iter().any(|(k, v)| !is_directive(k) && !v.is_null() && !named(k)) {
        return Err(StrategicMergeError::NotInRetainKeys);
    }
    original.retain(|k, _| named(k));
    Ok(())
}

/// `$deleteFromPrimitiveList/<field>`: removes `values` from the list `original[field]`.
fn delete_from_primitive_list(original: &mut Map<String, Value>, field: &str, values: &Value) -> Result<()> {
    let Value::Array(values) = values else { return Err(StrategicMergeError::PrimitiveList) };
    match original.get_mut(field) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(list)) => {
            let values: HashSet<String> = values.iter().map(Value::to_string).collect();
            list.retain(|v| !values.contains(&v.to_string()));
            Ok(())
        }
        Some(_) => Err(StrategicMergeError::PrimitiveList),
    }
}

#[cfg(test)]
mod tests;
