//! The writer's view while it computes a batch: committed state, plus the changes of earlier requests in
//! the batch, plus the current request's own changes. Nothing here touches disk or the shared state.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::state::{Index, LogEntry};
use super::{StoredKind, WatchEventType, meta};
use crate::json_object::JsonObject;

/// A staged object (or its removal), by (kind, namespace, name).
pub(crate) type Overlay = BTreeMap<(StoredKind, String, String), Option<JsonObject>>;

/// One staged change: the event it emits (which also names the object).
#[derive(Debug, Clone)]
pub(crate) struct Change {
    /// The event, with the resourceVersion the change takes.
    pub(crate) entry: LogEntry,
    /// The object name.
    pub(crate) name: String,
}

/// What a request staged.
#[derive(Debug, Default)]
pub(crate) struct Staged {
    overlay: Overlay,
    pub(crate) changes: Vec<Change>,
}

/// The changes of one group commit so far.
#[derive(Debug)]
pub(crate) struct Batch {
    /// Staged objects of earlier requests.
    pub(crate) overlay: Overlay,
    /// Their changes, in resourceVersion order.
    pub(crate) changes: Vec<Change>,
    /// The next free resourceVersion.
    pub(crate) next_rv: u64,
}

impl Batch {
    /// An empty batch after resourceVersion `rv`.
    pub(crate) fn new(rv: u64) -> Batch {
        Batch { overlay: Overlay::new(), changes: Vec::new(), next_rv: rv + 1 }
    }

    /// Keeps a successful request's changes.
    pub(crate) fn absorb(&mut self, staged: Staged) {
        self.next_rv += staged.changes.len() as u64;
        self.overlay.extend(staged.overlay);
        self.changes.extend(staged.changes);
    }
}

/// One request's view and scratch space.
#[derive(Debug)]
pub(crate) struct Txn<'a> {
    base: &'a Index,
    batch: &'a Overlay,
    staged: Staged,
    next_rv: u64,
    dry_run: bool,
}

impl<'a> Txn<'a> {
    /// A view over `base` + `batch`; changes take resourceVersions from `next_rv` (none when `dry_run`).
    pub(crate) fn new(base: &'a Index, batch: &'a Batch, dry_run: bool) -> Txn<'a> {
        Txn { base, batch: &batch.overlay, staged: Staged::default(), next_rv: batch.next_rv, dry_run }
    }

    /// The staged changes (discard them for a dry run or a failed request).
    pub(crate) fn finish(self) -> Staged {
        self.staged
    }

    /// The current state of one object.
    pub(crate) fn get(&self, kind: StoredKind, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.stored(kind, ns, name).map(|o| o.object())
    }

    /// The current state of one object, as stored.
    fn stored(&self, kind: StoredKind, ns: &str, name: &str) -> Option<JsonObject> {
        let k = (kind, ns.to_string(), name.to_string());
        if let Some(v) = self.staged.overlay.get(&k).or_else(|| self.batch.get(&k)) {
            return v.clone();
        }
        self.base.get(kind, ns, name).cloned()
    }

    /// The names of the objects of `kind` in namespace `ns`, sorted.
    pub(crate) fn names_in(&self, kind: StoredKind, ns: &str) -> Vec<String> {
        let lo = (ns.to_string(), String::new());
        let mut present: BTreeMap<String, bool> = self
            .base
            .map(kind)
            .range(lo..)
            .take_while(|((n, _), _)| n == ns)
            .map(|((_, name), _)| (name.clone(), true))
            .collect();
        for layer in [self.batch, &self.staged.overlay] {
            let lo = (kind, ns.to_string(), String::new());
            for ((k, n, name), v) in layer.range(lo..) {
                if *k != kind || n != ns {
                    break;
                }
                present.insert(name.clone(), v.is_some());
            }
        }
        present.into_iter().filter(|(_, p)| *p).map(|(n, _)| n).collect()
    }

    /// Whether any namespaced object lives in `ns`.
    pub(crate) fn namespace_is_empty(&self, ns: &str) -> bool {
        StoredKind::ALL.into_iter().filter(|k| k.namespaced()).all(|k| self.names_in(k, ns).is_empty())
    }

    /// Stages a created (`Added`) or changed (`Modified`) object; returns it as stored.
    ///
    /// Sets `metadata.resourceVersion` to the change's; a dry run instead keeps the previous object's
    /// resourceVersion (none on create) and consumes nothing.
    pub(crate) fn put(&mut self, kind: StoredKind, mut obj: Value, event_type: WatchEventType) -> Arc<Value> {
        let (ns, name) = (meta::namespace(&obj).to_string(), meta::name(&obj).to_string());
        let prev = self.stored(kind, &ns, &name);
        self.stamp(&mut obj, prev.as_ref().map(JsonObject::object).as_deref());
        let obj = Arc::new(obj);
        self.record(kind, ns, name, event_type, JsonObject::from(Arc::clone(&obj)), prev);
        obj
    }

    /// Stages the removal of an object whose last state is `last`; returns `last` with the deletion's
    /// resourceVersion.
    pub(crate) fn remove(&mut self, kind: StoredKind, mut last: Value) -> Arc<Value> {
        let (ns, name) = (meta::namespace(&last).to_string(), meta::name(&last).to_string());
        let prev = self.stored(kind, &ns, &name);
        self.stamp(&mut last, prev.as_ref().map(JsonObject::object).as_deref());
        let last = Arc::new(last);
        self.record(kind, ns, name, WatchEventType::Deleted, JsonObject::from(Arc::clone(&last)), prev);
        last
    }

    fn stamp(&self, obj: &mut Value, prev: Option<&Value>) {
        if !self.dry_run {
            meta::set_resource_version(obj, self.next_rv);
            return;
        }
        match prev.and_then(|p| meta::meta_str(p, "resourceVersion")) {
            Some(rv) => {
                meta::meta_mut(obj).insert("resourceVersion".into(), Value::String(rv.to_string()));
            }
            None => {
                meta::meta_mut(obj).remove("resourceVersion");
            }
        }
    }

    fn record(
        &mut self,
        kind: StoredKind,
        namespace: String,
        name: String,
        event_type: WatchEventType,
        object: JsonObject,
        prev: Option<JsonObject>,
    ) {
        let staged = (event_type != WatchEventType::Deleted).then(|| object.clone());
        self.staged.overlay.insert((kind, namespace.clone(), name.clone()), staged);
        let entry = LogEntry { rv: self.next_rv, kind, namespace, event_type, object, prev };
        self.staged.changes.push(Change { entry, name });
        if !self.dry_run {
            self.next_rv += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(ns: &str, name: &str) -> Value {
        json!({"metadata": {"namespace": ns, "name": name}})
    }

    #[test]
    fn layers_shadow_each_other_and_take_consecutive_versions() {
        let mut base = Index::default();
        base.insert(StoredKind::Secret, ("a".into(), "x".into()), JsonObject::from(Arc::new(obj("a", "x"))));
        base.insert(StoredKind::Secret, ("a".into(), "y".into()), JsonObject::from(Arc::new(obj("a", "y"))));
        let mut batch = Batch::new(10);
        let mut t = Txn::new(&base, &batch, false);
        let s = t.put(StoredKind::Secret, obj("a", "z"), WatchEventType::Added);
        assert_eq!(s["metadata"]["resourceVersion"], "11");
        t.remove(StoredKind::Secret, obj("a", "x"));
        assert_eq!(t.names_in(StoredKind::Secret, "a"), ["y", "z"]);
        batch.absorb(t.finish());
        assert_eq!(batch.next_rv, 13);
        let mut t = Txn::new(&base, &batch, false);
        assert!(t.get(StoredKind::Secret, "a", "x").is_none());
        assert!(t.get(StoredKind::Secret, "a", "z").is_some());
        t.remove(StoredKind::Secret, obj("a", "y"));
        t.remove(StoredKind::Secret, obj("a", "z"));
        assert!(t.namespace_is_empty("a"));
        assert_eq!(t.finish().changes.iter().map(|c| c.entry.rv).collect::<Vec<_>>(), [13, 14]);
    }

    #[test]
    fn a_dry_run_consumes_no_version() {
        let base = Index::default();
        let batch = Batch::new(4);
        let mut t = Txn::new(&base, &batch, true);
        let s = t.put(StoredKind::Secret, obj("a", "z"), WatchEventType::Added);
        assert!(s["metadata"].get("resourceVersion").is_none());
        assert_eq!(t.next_rv, 5);
    }
}
