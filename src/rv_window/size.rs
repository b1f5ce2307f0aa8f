//! How many bytes of memory a JSON value holds: what the event budget counts.

use std::mem::size_of;

use serde_json::Value;

/// What one map entry costs beyond its key and value: the entry's hash and its slot in the index.
const MAP_ENTRY_OVERHEAD: usize = 2 * size_of::<usize>();

/// The heap bytes `value` holds, estimated from its tree: the `Value` itself, string capacities,
/// array slots, and per map entry its key, value and index overhead (allocator rounding aside).
pub(crate) fn json_bytes(value: &Value) -> usize {
    size_of::<Value>() + heap_bytes(value)
}

/// The bytes `value` holds outside its own `Value` slot.
fn heap_bytes(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
        Value::String(s) => s.capacity(),
        Value::Array(items) => {
            items.capacity() * size_of::<Value>() + items.iter().map(heap_bytes).sum::<usize>()
        }
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| {
                size_of::<String>()
                    + key.capacity()
                    + size_of::<Value>()
                    + MAP_ENTRY_OVERHEAD
                    + heap_bytes(value)
            })
            .sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_count_their_bytes_and_containers_their_slots() {
        let scalar = json_bytes(&json!(1));
        assert_eq!(scalar, size_of::<Value>());
        let mib = "x".repeat(1 << 20);
        let object = json!({"metadata": {"annotations": {"blob": mib}}});
        let bytes = json_bytes(&object);
        assert!(bytes > 1 << 20 && bytes < (1 << 20) + 1024, "{bytes}");
        let array = json!([1, 2, 3]);
        assert!(json_bytes(&array) >= 4 * size_of::<Value>());
    }

    /// A tree of many small nodes costs far more than its text: the estimate must not count
    /// only string bytes.
    #[test]
    fn small_nodes_count_their_overhead() {
        let map: serde_json::Map<String, Value> = (0..1000).map(|i| (format!("k{i}"), json!(i))).collect();
        let value = Value::Object(map);
        let text = serde_json::to_vec(&value).unwrap().len();
        assert!(json_bytes(&value) > 5 * text, "{} vs {text}", json_bytes(&value));
    }
}
