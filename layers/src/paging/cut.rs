//! Cutting one page out of a list in key order.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::token::{self, InvalidToken};

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of the page, in list order.
    pub items: Vec<T>,
    /// The token of the next page: present exactly when items follow the page.
    pub continue_token: Option<String>,
    /// How many items follow the page (`remainingItemCount`), when any do.
    pub remaining: Option<u64>,
}

/// The first page of `rest`, items in list order that start where the page starts: at most
/// `limit` items (`None` or `Some(0)`: all of them), and when more follow, their count and the
/// token of the last item's `key`.
pub fn take_page<I, K: Serialize>(
    rest: impl Iterator<Item = I>,
    limit: Option<usize>,
    key: impl Fn(&I) -> K,
) -> Page<I> {
    let mut rest = rest;
    let limit = limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
    let items: Vec<I> = rest.by_ref().take(limit).collect();
    let remaining = if items.len() == limit { rest.count() as u64 } else { 0 };
    let continue_token = match items.last() {
        Some(last) if remaining > 0 => Some(token::encode(&key(last))),
        _ => None,
    };
    Page { items, continue_token, remaining: (remaining > 0).then_some(remaining) }
}

/// The page of `items` (sorted by `key`) that starts after the key of `continue_token`, if any;
/// see [`take_page`]. `key` is computed only to find where the page starts and ends.
///
/// # Errors
/// [`InvalidToken`] when `continue_token` does not decode to a `K`.
pub fn page<I, K>(
    items: Vec<I>,
    key: impl Fn(&I) -> K,
    limit: Option<usize>,
    continue_token: Option<&str>,
) -> Result<Page<I>, InvalidToken>
where
    K: Ord + Serialize + DeserializeOwned,
{
    let mut rest = items;
    if let Some(after) = continue_token.map(token::decode::<K>).transpose()? {
        let skip = rest.partition_point(|item| key(item) <= after);
        rest.drain(..skip);
    }
    Ok(take_page(rest.into_iter(), limit, key))
}
