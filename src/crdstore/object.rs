//! [`StoredObject`]: how the store holds an object in memory — its JSON, the same bytes it
//! writes to disk — rather than a `serde_json::Value` tree (several times the size of its JSON,
//! and the bulk of the store's memory with thousands of PackageRevs). The index, the staged
//! writes and the event window share one `StoredObject` per object state; a reader that needs
//! the object decodes it, and readers at the same time (the watchers of one change) share that
//! decoding while any of them holds it.

use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;
use serde_json::Value;

/// One state of a stored object, as its JSON. Cheap to clone.
#[derive(Clone)]
pub(crate) struct StoredObject(Arc<Inner>);

struct Inner {
    /// The object as `serde_json` writes it.
    json: Bytes,
    /// The object, while a reader holds it.
    decoded: Mutex<Weak<Value>>,
    /// The object as written, kept while the change is among the newest (see [`StoredObject::cool`]):
    /// the watchers of a change and the next update of the object read it soon after the write.
    hot: Mutex<Option<Arc<Value>>>,
}

impl std::fmt::Debug for StoredObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StoredObject").field(&String::from_utf8_lossy(&self.0.json)).finish()
    }
}

impl StoredObject {
    /// `object` encoded; `object` itself is what readers get while it is held elsewhere.
    pub(crate) fn of(object: &Arc<Value>) -> Self {
        // A `Value` always serializes (its keys are strings).
        let json =
            porch_layers::json_to_bytes(object.as_ref()).unwrap_or_else(|_| Bytes::from_static(b"null"));
        Self(Arc::new(Inner {
            json,
            decoded: Mutex::new(Arc::downgrade(object)),
            hot: Mutex::new(Some(Arc::clone(object))),
        }))
    }

    /// The object whose JSON is `json` (checked to be JSON, decoded when first read).
    ///
    /// # Errors
    /// When `json` is not JSON.
    pub(crate) fn from_json(json: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice::<serde::de::IgnoredAny>(json)?;
        Ok(Self(Arc::new(Inner {
            json: Bytes::copy_from_slice(json),
            decoded: Mutex::new(Weak::new()),
            hot: Mutex::new(None),
        })))
    }

    /// The object's JSON.
    pub(crate) fn json(&self) -> &Bytes {
        &self.0.json
    }

    /// The object: the one another reader holds, or decoded now (`null` should the bytes not
    /// be JSON, which they always are: they were written from an object).
    pub(crate) fn value(&self) -> Arc<Value> {
        if let Some(object) = self.0.hot.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            return Arc::clone(object);
        }
        let mut decoded = self.0.decoded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(object) = decoded.upgrade() {
            return object;
        }
        let object = Arc::new(serde_json::from_slice(&self.0.json).unwrap_or(Value::Null));
        *decoded = Arc::downgrade(&object);
        object
    }

    /// Stops keeping the object as written (it is decoded again when read, unless a reader
    /// still holds it): the change is no longer among the newest.
    pub(crate) fn cool(&self) {
        self.0.hot.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object() -> Value {
        json!({"apiVersion": "v1", "kind": "Secret", "z": 1, "a": [1.5, "x", null, true],
               "metadata": {"name": "s", "labels": {"b": "2", "a": "1"}, "managedFields": [
                   {"manager": "m", "fieldsV1": {"f:data": {".": {}, "f:k": {}}}}]},
               "data": {"k": "dg=="}, "n": 12345678901234567890u64, "f": -0.000001})
    }

    #[test]
    fn a_written_object_stays_decoded_until_it_cools() {
        let original = Arc::new(object());
        let stored = StoredObject::of(&original);
        let weak = Arc::downgrade(&original);
        drop(original);
        assert!(weak.upgrade().is_some(), "kept as written while hot");
        stored.cool();
        assert!(weak.upgrade().is_none(), "let go once cool");
        assert_eq!(*stored.value(), object());
    }

    #[test]
    fn an_object_is_kept_as_its_json_and_read_back_as_it_was() {
        let original = Arc::new(object());
        let stored = StoredObject::of(&original);
        assert_eq!(*stored.json(), serde_json::to_vec(original.as_ref()).unwrap());
        assert!(Arc::ptr_eq(&stored.value(), &original), "the object itself while it is held");
        drop(original);
        stored.cool();
        let decoded = stored.value();
        assert_eq!(*decoded, object(), "decoded: the same object, key order included");
        assert_eq!(serde_json::to_vec(decoded.as_ref()).unwrap(), *stored.json());
        assert!(Arc::ptr_eq(&stored.clone().value(), &decoded), "readers share a decoding");
        let again = StoredObject::from_json(stored.json()).unwrap();
        assert_eq!((again.json(), &*again.value()), (stored.json(), &object()));
        assert!(StoredObject::from_json(b"{").is_err());
    }
}
