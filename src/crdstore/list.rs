//! list: a consistent read of the in-memory index with selectors and `limit`/`continue` paging.

use std::ops::Bound;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::filter::Filter;
use super::state::{Key, Shared};
use super::{ListOptions, SharedListPage, StoreError, StoredKind};

/// Encodes the key a page ended at as an opaque `continue` token.
fn encode_token(key: &Key) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&[&key.0, &key.1]).expect("strings serialize"))
}

/// Decodes a `continue` token back into the key to continue after.
fn decode_token(token: &str) -> Result<Key, StoreError> {
    let bad = |why: String| StoreError::BadRequest(format!("continue key is not valid: {why}"));
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|e| bad(e.to_string()))?;
    let [ns, name]: [String; 2] = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    Ok((ns, name))
}

/// Lists `kind` in `namespace` (all namespaces when `None`), sorted by (namespace, name), at the
/// current resourceVersion if it serves `opts.read_at` (checked under the read lock, so an exact
/// read is served at exactly its version or not at all).
pub(crate) fn list(
    shared: &Shared,
    kind: StoredKind,
    namespace: Option<&str>,
    opts: &ListOptions,
) -> Result<SharedListPage, StoreError> {
    let filter = Filter::new(kind, opts.label_selector.as_ref(), opts.field_selector.as_ref())?;
    let namespace = namespace.filter(|_| kind.namespaced());
    let after = opts.continue_token.as_deref().filter(|t| !t.is_empty()).map(decode_token).transpose()?;
    if let (Some(ns), Some((token_ns, _))) = (namespace, &after)
        && ns != token_ns
    {
        return Err(StoreError::BadRequest("continue key is not valid: wrong namespace".into()));
    }
    let lower = match (&after, namespace) {
        (Some(k), _) => Bound::Excluded(k.clone()),
        (None, Some(ns)) => Bound::Included((ns.to_string(), String::new())),
        (None, None) => Bound::Unbounded,
    };
    let limit = opts.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);

    let state = shared.read();
    let resource_version = state.rv;
    opts.read_at.check(resource_version)?;
    let mut matching = state
        .index
        .map(kind)
        .range((lower, Bound::Unbounded))
        .take_while(|((ns, _), _)| namespace.is_none_or(|want| ns == want))
        .filter(|(_, obj)| filter.matches(obj));
    let page: Vec<(&Key, &Arc<Value>)> = matching.by_ref().take(limit).collect();
    let remaining = if page.len() == limit { matching.count() as u64 } else { 0 };
    let continue_token = (remaining > 0).then(|| encode_token(page[page.len() - 1].0));
    let items: Vec<Arc<Value>> = page.into_iter().map(|(_, v)| v.clone()).collect();
    drop(state);

    Ok(SharedListPage {
        items,
        resource_version,
        continue_token,
        remaining_item_count: (remaining > 0).then_some(remaining),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_rejected() {
        let k = ("ns".to_string(), "a/b\"c".to_string());
        assert_eq!(decode_token(&encode_token(&k)).unwrap(), k);
        let e = decode_token("!!").unwrap_err().to_string();
        assert!(e.starts_with("continue key is not valid"), "{e}");
        assert!(decode_token(&URL_SAFE_NO_PAD.encode("[1]")).is_err());
    }
}
