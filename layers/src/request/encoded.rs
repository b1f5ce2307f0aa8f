//! Objects kept as their JSON: a storage that shares one object between many lists (and
//! watch events) encodes it once and keeps only the bytes; a list body is then written from
//! those bytes — shared into the body when they are large, copied when small ([`Frames`]) —
//! instead of serializing every object of the page again, and an object is decoded from them
//! only where one is needed. Consecutive items may be kept as one [`EncodedChunk`] (a
//! repository's revisions, say), whose Table rows are kept beside it once built.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::ObjectList;
use super::frames::Frames;

/// The JSON `serde_json` writes for `value`, in a buffer of exactly its length: the buffer a
/// writer grows has up to twice the capacity it needs, and `Bytes::from` keeps all of it for as
/// long as the bytes are held (objects kept as their JSON are held for their lifetime).
///
/// # Errors
/// When `value` does not serialize to JSON.
pub fn json_to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Bytes, serde_json::Error> {
    let mut json = serde_json::to_vec(value)?;
    json.shrink_to_fit();
    Ok(Bytes::from(json))
}

/// An API object as its JSON encoding, and its Table row once a Table showed it.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedObject {
    /// Its JSON, as `serde_json` writes the object.
    pub json: Bytes,
    /// Its Table row (see [`EncodedChunk::rows`]).
    pub row: Arc<OnceLock<Bytes>>,
}

impl EncodedObject {
    /// The encoding of `typed`: the bytes `serde_json` writes for it, which are those it writes
    /// for `typed` turned into a JSON value first.
    ///
    /// # Errors
    /// When `typed` does not serialize to JSON.
    pub fn of<T: Serialize>(typed: &T) -> Result<Self, serde_json::Error> {
        Ok(Self { json: json_to_bytes(typed)?, row: Arc::default() })
    }

    /// The object, decoded from its encoding.
    ///
    /// # Errors
    /// When the bytes are not JSON (never for an encoding made by [`of`](Self::of)).
    pub fn object(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.json)
    }

    /// This object as a chunk of one.
    pub fn chunk(&self) -> EncodedChunk {
        EncodedChunk { count: 1, json: self.json.clone(), rows: Arc::clone(&self.row) }
    }
}

/// The encoding of `count` consecutive items of a list.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedChunk {
    /// How many items it encodes (at least one).
    pub count: usize,
    /// Their JSON, separated by commas (`{…},{…}`).
    pub json: Bytes,
    /// Their `meta.k8s.io/v1` Table rows with `includeObject=Metadata` (kubectl's default), as
    /// the resource's strategy builds them, separated by commas: built by the first Table of
    /// these items and kept while the chunk is, for resources whose rows do not change with
    /// time ([`Strategy::stable_table_rows`](crate::Strategy::stable_table_rows)).
    pub rows: Arc<OnceLock<Bytes>>,
}

impl EncodedChunk {
    /// One chunk of `objects` (none if there are none): their JSON copied into one buffer.
    pub fn join(objects: &[EncodedObject]) -> Option<Self> {
        if objects.is_empty() {
            return None;
        }
        let mut json = Vec::with_capacity(objects.iter().map(|o| o.json.len() + 1).sum());
        for (i, object) in objects.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            json.extend_from_slice(&object.json);
        }
        Some(Self { count: objects.len(), json: Bytes::from(json), rows: Arc::default() })
    }

    /// The objects, decoded (`count` of them: a `null` for each, should the bytes not be the
    /// JSON objects they are made of).
    pub fn objects(&self) -> Vec<Arc<Value>> {
        let mut array = Vec::with_capacity(self.json.len() + 2);
        array.push(b'[');
        array.extend_from_slice(&self.json);
        array.push(b']');
        match serde_json::from_slice::<Vec<Value>>(&array) {
            Ok(objects) if objects.len() == self.count => objects.into_iter().map(Arc::new).collect(),
            _ => (0..self.count).map(|_| Arc::new(Value::Null)).collect(),
        }
    }
}

impl ObjectList {
    /// The list's JSON body as frames: `apiVersion`, `kind`, `metadata`, `items`, in that order.
    ///
    /// # Errors
    /// When an item does not serialize.
    pub fn to_frames(&self) -> Result<Frames, serde_json::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Head<'a> {
            api_version: &'a str,
            kind: &'a str,
            metadata: &'a Value,
        }
        let mut head = serde_json::to_vec(&Head {
            api_version: &self.api_version,
            kind: &self.kind,
            metadata: &self.metadata,
        })?;
        // `{…}` becomes `{…,"items":[` and the items follow.
        head.pop();
        head.extend_from_slice(b",\"items\":[");
        let mut frames = Frames::new();
        frames.copy(&head);
        match self.chunks() {
            Some(chunks) => {
                for (i, chunk) in chunks.iter().enumerate() {
                    if i > 0 {
                        frames.copy(b",");
                    }
                    frames.share(&chunk.json);
                }
            }
            None => {
                for (i, item) in self.items().iter().enumerate() {
                    let before = frames.buffer().len();
                    if i > 0 {
                        frames.buffer().push(b',');
                    }
                    serde_json::to_writer(frames.buffer(), item.as_ref())?;
                    frames.wrote(before);
                }
            }
        }
        frames.copy(b"]}");
        Ok(frames)
    }

    /// The list's JSON body in one buffer (see [`to_frames`](Self::to_frames)).
    ///
    /// # Errors
    /// When an item does not serialize.
    pub fn to_vec(&self) -> Result<Vec<u8>, serde_json::Error> {
        Ok(self.to_frames()?.concat())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn list(items: Vec<Value>) -> ObjectList {
        ObjectList::new(
            "v1",
            "ThingList",
            json!({"resourceVersion": "7"}),
            items.into_iter().map(Arc::new).collect(),
        )
    }

    fn encoded(chunks: Vec<EncodedChunk>) -> ObjectList {
        ObjectList::encoded("v1", "ThingList", json!({"resourceVersion": "7"}), chunks)
    }

    fn items() -> Vec<Value> {
        vec![json!({"metadata": {"name": "a"}}), json!({"metadata": {"name": "b", "x": [1, "\"", 2.5]}})]
    }

    #[test]
    fn the_body_is_the_serialized_list_from_objects_or_encodings() {
        let items = items();
        let expected = serde_json::to_vec(&list(items.clone()).to_json()).unwrap();
        assert_eq!(list(items.clone()).to_vec().unwrap(), expected);
        let objects: Vec<_> = items.iter().map(|i| EncodedObject::of(i).unwrap()).collect();
        let one_each = encoded(objects.iter().map(EncodedObject::chunk).collect());
        assert_eq!(one_each.to_vec().unwrap(), expected);
        assert_eq!(one_each.to_json(), list(items.clone()).to_json());
        let joined = encoded(EncodedChunk::join(&objects).into_iter().collect());
        assert_eq!(joined.to_vec().unwrap(), expected);
        assert_eq!(joined.to_json(), list(items).to_json());
        assert_eq!(
            list(Vec::new()).to_vec().unwrap(),
            serde_json::to_vec(&list(Vec::new()).to_json()).unwrap()
        );
        assert_eq!(encoded(Vec::new()).to_vec().unwrap(), list(Vec::new()).to_vec().unwrap());
    }

    #[test]
    fn an_encoded_list_decodes_its_items_in_order() {
        let items = items();
        let objects: Vec<_> = items.iter().map(|i| EncodedObject::of(i).unwrap()).collect();
        let l = encoded(vec![objects[0].chunk(), EncodedChunk::join(&objects[1..]).unwrap()]);
        assert_eq!((l.len(), l.is_empty()), (2, false));
        assert_eq!(l.items().iter().map(|i| (**i).clone()).collect::<Vec<_>>(), items);
        assert_eq!(l.chunks().map(<[_]>::len), Some(2));
        assert_eq!(list(items).chunks(), None);
        assert!(encoded(Vec::new()).is_empty());
    }

    #[test]
    fn a_chunk_that_is_not_its_objects_decodes_to_nulls() {
        let two = EncodedChunk { count: 2, json: Bytes::from_static(b"{}"), rows: Arc::default() };
        assert_eq!(two.objects(), [Arc::new(Value::Null), Arc::new(Value::Null)]);
    }

    #[test]
    fn an_encoding_is_what_the_object_as_json_encodes_to() {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Typed {
            z_last: Option<u32>,
            a_first: std::collections::BTreeMap<String, f64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            absent: Option<String>,
            text: String,
        }
        let typed = Typed {
            z_last: Some(7),
            a_first: [("b".to_string(), 0.1), ("a".to_string(), -3.0)].into(),
            absent: None,
            text: "\u{1F600} \"q\" \\ \n".into(),
        };
        let e = EncodedObject::of(&typed).unwrap();
        assert_eq!(e.json, serde_json::to_vec(&serde_json::to_value(&typed).unwrap()).unwrap());
        assert_eq!(e.object().unwrap(), serde_json::to_value(&typed).unwrap());
    }
}
