//! Objects kept with their JSON: a storage that shares one object between many lists (and
//! watch events) encodes it once, and a list body is then written by copying each item's bytes
//! instead of serializing every object of the page again.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::ObjectList;

/// An API object and its JSON encoding (the same content).
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedObject {
    /// The object.
    pub object: Arc<Value>,
    /// Its JSON, as `serde_json` writes `object`.
    pub json: Bytes,
}

impl EncodedObject {
    /// `typed` as a JSON object and that object's encoding.
    ///
    /// # Errors
    /// When `typed` does not serialize to JSON.
    pub fn of<T: Serialize>(typed: &T) -> Result<Self, serde_json::Error> {
        let object = serde_json::to_value(typed)?;
        let json = serde_json::to_vec(&object)?;
        Ok(Self { object: Arc::new(object), json: Bytes::from(json) })
    }
}

impl ObjectList {
    /// The list with the JSON of each item (`encoded[i]` encodes `items[i]`), which
    /// [`to_vec`](Self::to_vec) then copies instead of serializing the items. Ignored unless
    /// there is one encoding per item.
    #[must_use]
    pub fn with_encoded(mut self, encoded: Vec<Bytes>) -> Self {
        self.encoded = (encoded.len() == self.items.len()).then_some(encoded);
        self
    }

    /// The list's JSON body: `apiVersion`, `kind`, `metadata`, `items`, in that order.
    ///
    /// # Errors
    /// When an item does not serialize.
    pub fn to_vec(&self) -> Result<Vec<u8>, serde_json::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Head<'a> {
            api_version: &'a str,
            kind: &'a str,
            metadata: &'a Value,
        }
        let mut out = serde_json::to_vec(&Head {
            api_version: &self.api_version,
            kind: &self.kind,
            metadata: &self.metadata,
        })?;
        // `{…}` becomes `{…,"items":[` and the items follow.
        out.pop();
        let size: usize = self.encoded.iter().flatten().map(|b| b.len() + 1).sum();
        out.reserve(size + 16);
        out.extend_from_slice(b",\"items\":[");
        match self.encoded.as_deref() {
            Some(encoded) => {
                for (i, json) in encoded.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(json);
                }
            }
            None => {
                for (i, item) in self.items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut out, item.as_ref())?;
                }
            }
        }
        out.extend_from_slice(b"]}");
        Ok(out)
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
        let encoded = items.iter().map(|i| EncodedObject::of(i).unwrap().json).collect();
        assert_eq!(list(items).with_encoded(encoded).to_vec().unwrap(), expected);
        assert_eq!(
            list(Vec::new()).to_vec().unwrap(),
            serde_json::to_vec(&list(Vec::new()).to_json()).unwrap()
        );
    }

    #[test]
    fn encodings_that_do_not_match_the_items_are_not_used() {
        let l = list(vec![json!({"a": 1})])
            .with_encoded(vec![Bytes::from_static(b"{}"), Bytes::from_static(b"{}")]);
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
