//! [`JsonObject`]: an API object kept as its JSON — the bytes a list, a watch event or the disk
//! takes as they are — rather than as a `serde_json::Value` tree, several times that size. The
//! embedded store's index, staged writes and event window, and the watch windows and current
//! state of the engine's resources, each hold thousands of objects, most of them never read again.
//!
//! A reader that needs the object decodes it, and readers at the same time (the watchers of one
//! change) share that decoding while any of them holds it. While the object's change is recent
//! (just written, or among the newest of a window) its decoding is also kept, because its watchers
//! and the next write of it read it soon; [`JsonObject::cool`] ends that.

use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;
use serde_json::Value;

/// One state of an object, as its JSON. Cheap to clone (the clones share one state).
#[derive(Clone)]
pub struct JsonObject(Arc<Inner>);

struct Inner {
    /// The object as `serde_json` writes it.
    json: Bytes,
    /// Its decoding, as far as it is kept or held.
    object: Mutex<Slot>,
}

struct Slot {
    /// The decoding, kept while the change is recent (once decoded).
    kept: Option<Arc<Value>>,
    /// Whether the change is recent: a decoding is then kept, not only shared.
    recent: bool,
    /// The decoding a reader holds.
    shared: Weak<Value>,
}

impl std::fmt::Debug for JsonObject {
    /// Its length only: the object may be a Secret, whose data must never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JsonObject({} bytes)", self.0.json.len())
    }
}

impl From<Arc<Value>> for JsonObject {
    /// `object` encoded, and `object` itself kept as the decoding until [`cool`](JsonObject::cool)ed.
    fn from(object: Arc<Value>) -> Self {
        // A `Value` always serializes (its keys are strings).
        let json =
            porch_layers::json_to_bytes(object.as_ref()).unwrap_or_else(|_| Bytes::from_static(b"null"));
        let slot = Slot { shared: Arc::downgrade(&object), kept: Some(object), recent: true };
        Self(Arc::new(Inner { json, object: Mutex::new(slot) }))
    }
}

impl JsonObject {
    /// The object whose JSON is `json` (shared, not copied): recent, decoded when first read and
    /// kept from then until [`cool`](Self::cool)ed.
    pub fn encoded(json: Bytes) -> Self {
        Self::with(json, true)
    }

    /// The object whose JSON is `json` (checked to be JSON), not recent: decoded when read.
    ///
    /// # Errors
    /// When `json` is not JSON.
    pub fn from_json(json: &[u8]) -> Result<Self, serde_json::Error> {
        Self::from_json_reading::<serde::de::IgnoredAny>(json).map(|(object, _)| object)
    }

    /// [`from_json`](Self::from_json), reading a `T` from the JSON in the same pass (a `T` that
    /// ignores the fields it does not name still checks the whole text).
    ///
    /// # Errors
    /// When `json` is not JSON, or not a `T`.
    pub fn from_json_reading<T: serde::de::DeserializeOwned>(
        json: &[u8],
    ) -> Result<(Self, T), serde_json::Error> {
        let read = serde_json::from_slice::<T>(json)?;
        Ok((Self::with(Bytes::copy_from_slice(json), false), read))
    }

    fn with(json: Bytes, recent: bool) -> Self {
        let slot = Slot { kept: None, recent, shared: Weak::new() };
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

    /// Stops keeping the decoding (its JSON stays): the object is decoded again when next read,
    /// unless a reader still holds it.
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

    /// An object whose JSON shows key order, numbers and a Secret's data survive.
    fn object() -> Value {
        json!({"apiVersion": "v1", "kind": "Secret", "z": 1, "a": [1.5, "x", null, true],
               "metadata": {"name": "s", "labels": {"b": "2", "a": "1"}, "managedFields": [
                   {"manager": "m", "fieldsV1": {"f:data": {".": {}, "f:k": {}}}}]},
               "data": {"k": "dg=="}, "n": 12345678901234567890u64, "f": -0.000001})
    }

    #[test]
    fn a_written_object_stays_decoded_until_it_cools() {
        let original = Arc::new(object());
        let held = JsonObject::from(original.clone());
        let weak = Arc::downgrade(&original);
        drop(original);
        assert!(weak.upgrade().is_some(), "kept as written while recent");
        held.cool();
        assert!(weak.upgrade().is_none(), "let go once cool");
        assert_eq!(*held.object(), object());
    }

    #[test]
    fn an_object_is_kept_until_cooled_then_decoded_as_it_was() {
        let original = Arc::new(object());
        let held = JsonObject::from(original.clone());
        assert_eq!(*held.json(), serde_json::to_vec(&object()).unwrap());
        assert!(Arc::ptr_eq(&held.object(), &original), "the object itself while it is held");
        drop(original);
        let kept = held.object();
        assert!(Arc::ptr_eq(&kept, &held.clone().object()), "kept while recent");
        held.cool();
        assert!(Arc::ptr_eq(&kept, &held.object()), "shared while a reader holds it");
        drop(kept);
        let decoded = held.object();
        assert_eq!(*decoded, object(), "the same object, key order included");
        assert_eq!(serde_json::to_vec(decoded.as_ref()).unwrap(), *held.json());
        assert!(Arc::ptr_eq(&held.clone().object(), &decoded), "readers share a decoding");
        drop(decoded);
        held.keep();
        assert!(Arc::ptr_eq(&held.object(), &held.object()), "kept again");
    }

    #[test]
    fn an_encoded_object_shares_its_bytes_and_is_decoded_once_while_recent() {
        let json = Bytes::from(serde_json::to_vec(&object()).unwrap());
        let held = JsonObject::encoded(json.clone());
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

    #[test]
    fn debug_shows_no_content() {
        let held = JsonObject::from(Arc::new(object()));
        let shown = format!("{held:?}");
        assert!(!shown.contains("dg==") && !shown.contains("Secret"), "{shown}");
        assert_eq!(shown, format!("JsonObject({} bytes)", held.json().len()));
    }

    #[test]
    fn an_object_read_from_json_is_checked_and_not_kept_decoded() {
        let json = serde_json::to_vec(&object()).unwrap();
        let read = JsonObject::from_json(&json).unwrap();
        assert_eq!((read.json().as_ref(), &*read.object()), (json.as_slice(), &object()));
        assert!(read.0.object.lock().unwrap().kept.is_none(), "not recent: the decoding is not kept");
        assert!(JsonObject::from_json(b"{").is_err());
    }
}
