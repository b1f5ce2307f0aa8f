//! [`Held`]: an object a published change holds — its JSON, and the object itself only while
//! the change is recent. The window and the current state of every name keep thousands of
//! changes, most of them never read again; as `serde_json::Value` trees they were several times
//! the size of their JSON. A change is cooled ([`Held::cool`]) once newer ones followed it: a
//! watcher that reads it later (resuming from an older resourceVersion, initial events) decodes
//! it, and readers at the same time share that decoding while any of them holds it.

use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;
use serde_json::Value;

/// An object of a change, as its JSON. Cheap to clone (the clones share one state).
#[derive(Clone)]
pub struct Held(Arc<Inner>);

struct Inner {
    /// The object as `serde_json` writes it.
    json: Bytes,
    /// The object while it is recent; then the one a reader holds, if any.
    object: Mutex<Slot>,
}

struct Slot {
    /// The object, held while the change is recent (once decoded).
    kept: Option<Arc<Value>>,
    /// Whether the change is recent: a decoding is then kept, not only shared.
    recent: bool,
    /// The decoding a reader holds.
    shared: Weak<Value>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Held").field(&String::from_utf8_lossy(&self.0.json)).finish()
    }
}

impl From<Arc<Value>> for Held {
    /// `object` encoded, and kept until [`cool`](Held::cool)ed.
    fn from(object: Arc<Value>) -> Self {
        // A `Value` always serializes (its keys are strings).
        let json =
            porch_layers::json_to_bytes(object.as_ref()).unwrap_or_else(|_| Bytes::from_static(b"null"));
        let slot = Slot { shared: Arc::downgrade(&object), kept: Some(object), recent: true };
        Self(Arc::new(Inner { json, object: Mutex::new(slot) }))
    }
}

impl Held {
    /// The object whose JSON is `json` (shared, not copied): recent, decoded when first read and
    /// kept from then until [`cool`](Self::cool)ed.
    pub fn encoded(json: Bytes) -> Self {
        let slot = Slot { kept: None, recent: true, shared: Weak::new() };
        Self(Arc::new(Inner { json, object: Mutex::new(slot) }))
    }

    /// The object's JSON.
    pub fn json(&self) -> &Bytes {
        &self.0.json
    }

    /// The object: kept, held by another reader, or decoded now — and then kept if the change
    /// is recent (`null` should the bytes not be JSON, which they always are: they were written
    /// from an object).
    pub fn object(&self) -> Arc<Value> {
        let mut slot = self.0.object.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(object) = slot.kept.clone().or_else(|| slot.shared.upgrade()) {
            return object;
        }
        let object = Arc::new(serde_json::from_slice(&self.0.json).unwrap_or(Value::Null));
        slot.shared = Arc::downgrade(&object);
        if slot.recent {
            slot.kept = Some(Arc::clone(&object));
        }
        object
    }

    /// Takes the change as recent again: its object is kept once decoded (or now, if a reader
    /// holds it), until [`cool`](Self::cool)ed.
    pub fn keep(&self) {
        let mut slot = self.0.object.lock().unwrap_or_else(|e| e.into_inner());
        slot.recent = true;
        if slot.kept.is_none() {
            slot.kept = slot.shared.upgrade();
        }
    }

    /// Stops keeping the object (its JSON stays): it is decoded again when next read.
    pub fn cool(&self) {
        let mut slot = self.0.object.lock().unwrap_or_else(|e| e.into_inner());
        slot.recent = false;
        slot.kept = None;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object() -> Value {
        json!({"metadata": {"name": "a", "labels": {"z": "1", "a": "2"}}, "spec": {"n": [1, 2.5, null]}})
    }

    #[test]
    fn an_object_is_kept_until_cooled_then_decoded_as_it_was() {
        let original = Arc::new(object());
        let held = Held::from(original.clone());
        assert_eq!(*held.json(), serde_json::to_vec(&object()).unwrap());
        drop(original);
        let kept = held.object();
        assert!(Arc::ptr_eq(&kept, &held.clone().object()), "kept while recent");
        held.cool();
        assert!(Arc::ptr_eq(&kept, &held.object()), "shared while a reader holds it");
        drop(kept);
        let decoded = held.object();
        assert_eq!(*decoded, object(), "the same object, key order included");
        assert_eq!(serde_json::to_vec(decoded.as_ref()).unwrap(), *held.json());
        drop(decoded);
        held.keep();
        assert!(Arc::ptr_eq(&held.object(), &held.object()), "kept again");
    }

    #[test]
    fn an_encoded_object_shares_its_bytes_and_is_decoded_once_while_recent() {
        let json = Bytes::from(serde_json::to_vec(&object()).unwrap());
        let held = Held::encoded(json.clone());
        assert_eq!(held.json().as_ptr(), json.as_ptr(), "the bytes are shared, not copied");
        let decoded = held.object();
        assert_eq!(*decoded, object());
        let weak = Arc::downgrade(&decoded);
        drop(decoded);
        assert!(Arc::ptr_eq(&weak.upgrade().unwrap(), &held.object()), "kept once decoded while recent");
        held.cool();
        assert!(weak.upgrade().is_none(), "let go once cool");
        let again = held.object();
        drop(again);
        assert!(held.0.object.lock().unwrap().kept.is_none(), "a cool change's decoding is not kept");
        held.keep();
        let kept = held.object();
        assert!(Arc::ptr_eq(&kept, &held.object()), "recent again: kept once decoded");
    }
}
