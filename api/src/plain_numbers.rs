//! `serde_json::Value` for serializers other than serde_json's own.
//!
//! With serde_json's `arbitrary_precision` feature on (the `starlark` crate turns it on for the
//! whole build), a `Number` serializes as a private one-field struct that only serde_json
//! understands, so a YAML serializer would write `{"$serde_json::private::Number": "0"}` for
//! `0`. [`PlainNumbers`] serializes every number as the integer or float it holds.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

/// A value whose numbers serialize as plain integers and floats.
#[derive(Debug, Clone, Copy)]
pub struct PlainNumbers<'a>(pub &'a Value);

impl Serialize for PlainNumbers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => serializer.serialize_u64(u),
                (None, Some(i), _) => serializer.serialize_i64(i),
                (None, None, Some(f)) => serializer.serialize_f64(f),
                // A number no integer or float holds exactly is written as its text.
                (None, None, None) => serializer.serialize_str(&n.to_string()),
            },
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&PlainNumbers(item))?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, value) in map {
                    out.serialize_entry(key, &PlainNumbers(value))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_numbers_in_yaml() {
        let value: Value =
            serde_json::from_str(r#"{"a": 0, "b": -3, "c": 1.5, "d": [18446744073709551615, "x"]}"#).unwrap();
        let yaml = serde_saphyr::to_string(&PlainNumbers(&value)).unwrap();
        assert_eq!(yaml, "a: 0\nb: -3\nc: 1.5\nd:\n- 18446744073709551615\n- x\n");
    }
}
