//! JSON Pointer (RFC 6901) lookups that do not allocate.
//!
//! `serde_json::Value::pointer` builds a `String` per reference token (to unescape `~1` and
//! `~0`), which shows in lists that look up a handful of fields on each of thousands of
//! objects (print columns, field selectors). [`at`] borrows its tokens and allocates only for a
//! token that holds an escape.

use serde_json::Value;
use std::borrow::Cow;

/// The value `pointer` (e.g. `/metadata/labels/kpt.dev~1latest-revision`) refers to in
/// `value`: the same answer as [`Value::pointer`].
pub fn at<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(value);
    }
    pointer.strip_prefix('/')?.split('/').try_fold(value, |target, token| {
        let token: Cow<'_, str> = if token.contains('~') {
            token.replace("~1", "/").replace("~0", "~").into()
        } else {
            token.into()
        };
        match target {
            Value::Object(map) => map.get(token.as_ref()),
            Value::Array(items) => index(&token).and_then(|i| items.get(i)),
            _ => None,
        }
    })
}

/// An array index token: digits without a leading zero (RFC 6901 §4).
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_like_serde_json_pointer() {
        let doc = json!({
            "metadata": {"labels": {"kpt.dev/latest-revision": "true", "a~b": "tilde"}},
            "spec": {"items": [10, 20, {"x": 1}], "": "empty key"},
            "n": null,
        });
        for pointer in [
            "",
            "/",
            "/metadata",
            "/metadata/labels/kpt.dev~1latest-revision",
            "/metadata/labels/a~0b",
            "/metadata/labels/missing",
            "/spec/items/0",
            "/spec/items/2/x",
            "/spec/items/3",
            "/spec/items/01",
            "/spec/items/+1",
            "/spec/items/-",
            "/spec/",
            "/n",
            "/n/x",
            "no-slash",
            "/metadata/labels/kpt.dev/latest-revision",
        ] {
            assert_eq!(at(&doc, pointer), doc.pointer(pointer), "{pointer:?}");
        }
    }
}
