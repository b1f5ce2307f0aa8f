//! Objects kept with their JSON: a storage that shares one object between many lists (and
//! watch events) encodes it once, and a list body is then written from those bytes — shared
//! into the body when they are large, copied when small ([`Frames`]) — instead of serializing
//! every object of the page again. Consecutive items may be kept as one [`EncodedChunk`] (a
//! repository's revisions, say), whose Table rows are kept beside it once built.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::ObjectList;
use super::frames::Frames;

/// An API object and its JSON encoding (the same content), and its Table row once a Table
/// showed it.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedObject {
    /// The object.
    pub object: Arc<Value>,
    /// Its JSON, as `serde_json` writes `object`.
    pub json: Bytes,
    /// Its Table row (see [`EncodedChunk::rows`]).
    pub row: Arc<OnceLock<Bytes>>,
}

impl EncodedObject {
    /// `typed` as a JSON object and that object's encoding.
    ///
    /// # Errors
    /// When `typed` does not serialize to JSON.
    pub fn of<T: Serialize>(typed: &T) -> Result<Self, serde_json::Error> {
        let object = serde_json::to_value(typed)?;
        let json = serde_json::to_vec(&object)?;
        Ok(Self { object: Arc::new(object), json: Bytes::from(json), row: Arc::default() })
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
}

impl ObjectList {
    /// The list with the encodings of its items, in order (the chunks' counts add up to the
    /// number of items), which the body is then written from instead of serializing the items.
    /// Ignored unless the counts add up.
    #[must_use]
    pub fn with_encoded(mut self, encoded: Vec<EncodedChunk>) -> Self {
        let valid = encoded.iter().all(|c| c.count > 0)
            && encoded.iter().map(|c| c.count).sum::<usize>() == self.items.len();
        self.encoded = valid.then_some(encoded);
        self
    }

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
        match self.encoded.as_deref() {
            Some(encoded) => {
                for (i, chunk) in encoded.iter().enumerate() {
                    if i > 0 {
                        frames.copy(b",");
                    }
                    frames.share(&chunk.json);
                }
            }
            None => {
                for (i, item) in self.items.iter().enumerate() {
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

    #[test]
    fn the_body_is_the_serialized_list_with_or_without_encodings() {
        let items =
            vec![json!({"metadata": {"name": "a"}}), json!({"metadata": {"name": "b", "x": [1, "\""]}})];
        let expected = serde_json::to_vec(&list(items.clone()).to_json()).unwrap();
        assert_eq!(list(items.clone()).to_vec().unwrap(), expected);
        let encoded: Vec<_> = items.iter().map(|i| EncodedObject::of(i).unwrap()).collect();
        let one_each = encoded.iter().map(EncodedObject::chunk).collect();
        assert_eq!(list(items.clone()).with_encoded(one_each).to_vec().unwrap(), expected);
        let joined = EncodedChunk::join(&encoded).into_iter().collect();
        assert_eq!(list(items).with_encoded(joined).to_vec().unwrap(), expected);
        assert_eq!(
            list(Vec::new()).to_vec().unwrap(),
            serde_json::to_vec(&list(Vec::new()).to_json()).unwrap()
        );
    }

    #[test]
    fn encodings_that_do_not_match_the_items_are_not_used() {
        let two = EncodedChunk { count: 2, json: Bytes::from_static(b"{},{}"), rows: Arc::default() };
        let l = list(vec![json!({"a": 1})]).with_encoded(vec![two]);
        assert_eq!(l.encoded, None);
        assert_eq!(
            l.to_vec().unwrap(),
            br#"{"apiVersion":"v1","kind":"ThingList","metadata":{"resourceVersion":"7"},"items":[{"a":1}]}"#
        );
    }

    #[test]
    fn an_encoded_object_holds_what_its_bytes_say() {
        let e = EncodedObject::of(&json!({"b": 1, "a": "x"})).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&e.json).unwrap(), *e.object);
    }
}
