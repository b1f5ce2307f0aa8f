//! list: a consistent read of the in-memory index with selectors and `limit`/`continue` paging.

use std::ops::Bound;

use bytes::Bytes;
use porch_api::labels::INTERNAL_REPOSITORY_LABEL;
use porch_layers::LabelSelector;
use porch_layers::paging::{Page, take_page, token};
use porch_layers::selector::{LabelOperator, LabelRequirement};

use super::filter::Filter;
use super::state::{Key, Shared};
use super::{ListOptions, SharedListPage, StoreError, StoredKind};
use crate::crdstore::Result;
use crate::json_object::JsonObject;

/// Decodes a `continue` token (surrounding whitespace ignored) back into the key to continue
/// after; a bad one is a 400 naming the base64 or JSON error.
fn decode_token(token: &str) -> Result<Key> {
    let [ns, name]: [String; 2] =
        token::decode(token.trim()).map_err(|e| StoreError::BadRequest(e.to_string()))?;
    Ok((ns, name))
}

/// The requirement of a PackageRev list's label selector that pins one repository with
/// `internal.porch.kpt.dev/repository=X` (or `in (X)`), which the index answers without scanning
/// every PackageRev.
fn pinned_repository(kind: StoredKind, selector: Option<&LabelSelector>) -> Option<&LabelRequirement> {
    if kind != StoredKind::PackageRev {
        return None;
    }
    selector?.requirements().iter().find(|r| {
        r.key() == INTERNAL_REPOSITORY_LABEL
            && r.values().len() == 1
            && matches!(r.operator(), LabelOperator::Equals | LabelOperator::In)
    })
}

/// Lists `kind` in `namespace` (all namespaces when `None`), sorted by (namespace, name), at the
/// current resourceVersion if it serves `opts.read_at` (checked under the read lock, so an exact
/// read is served at exactly its version or not at all).
pub(crate) fn list(
    shared: &Shared,
    kind: StoredKind,
    namespace: Option<&str>,
    opts: &ListOptions,
) -> Result<SharedListPage> {
    let namespace = namespace.filter(|_| kind.namespaced());
    // One namespace's PackageRevs of one repository come from the label index, which answers the
    // pinned requirement: only the rest of the selector is checked against each object (most
    // such lists have no rest, and then no object is decoded).
    let pinned = namespace.and(pinned_repository(kind, opts.label_selector.as_ref()));
    let labels = match (pinned, &opts.label_selector) {
        (Some(met), Some(selector)) => Some(selector.without(met)),
        _ => opts.label_selector.clone(),
    };
    let filter = Filter::new(kind, labels.as_ref(), opts.field_selector.as_ref())?;
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

    let state = shared.read();
    let resource_version = state.rv;
    opts.read_at.check(resource_version)?;
    let map = state.index.map(kind);
    let candidates: Box<dyn Iterator<Item = (&Key, &JsonObject)>> = match (namespace, pinned) {
        // One repository's PackageRevs: only those, from the label index.
        (Some(ns), Some(repository)) => Box::new(
            state
                .index
                .package_revs_of(ns, &repository.values()[0])
                .into_iter()
                .filter(move |key| after.as_ref().is_none_or(|after| key > after))
                .filter_map(|key| map.get_key_value(&key)),
        ),
        _ => Box::new(
            map.range((lower, Bound::Unbounded))
                .take_while(|((ns, _), _)| namespace.is_none_or(|want| ns == want)),
        ),
    };
    // Objects are decoded only for selectors to look at.
    let matching = candidates.filter(|(_, obj)| filter.is_everything() || filter.matches(&obj.object()));
    let Page { items, continue_token, remaining } =
        take_page(matching, opts.limit, |((ns, name), _)| [ns, name]);
    let items: Vec<Bytes> = items.into_iter().map(|(_, v)| v.json().clone()).collect();
    drop(state);

    Ok(SharedListPage { items, resource_version, continue_token, remaining_item_count: remaining })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_rejected() {
        let k = ("ns".to_string(), "a/b\"c".to_string());
        assert_eq!(decode_token(&format!(" {} ", token::encode(&k))).unwrap(), k);
        let e = decode_token("!!").unwrap_err().to_string();
        assert!(e.starts_with("continue key is not valid"), "{e}");
        let e = decode_token(&token::encode(&[1])).unwrap_err().to_string();
        assert!(e.starts_with("continue key is not valid: invalid type: integer"), "{e}");
    }
}
