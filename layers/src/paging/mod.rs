//! `limit`/`continue` paging of a list served in a fixed order.
//!
//! A list is sorted by a key (a tuple of strings and numbers, whatever the resource sorts by).
//! A page is at most `limit` items; when more follow, its `continue` token is the key of its last
//! item, as JSON encoded in unpadded base64url, and the next page starts after that key. The token
//! is opaque to clients and needs no server state, so any replica can serve the next page.
//!
//! [`token`] is the codec; [`page`] cuts a page out of a sorted `Vec`, and [`take_page`] out of an
//! iterator the caller has already positioned after the token's key (a `BTreeMap` range, say).
//!
//! ```
//! use porch_layers::paging::{page, token};
//!
//! let items = vec!["a", "b", "c"];
//! let first = page(items.clone(), |s: &&str| s.to_string(), Some(2), None).unwrap();
//! assert_eq!(first.items, ["a", "b"]);
//! assert_eq!(first.remaining, Some(1));
//! let next = first.continue_token.unwrap();
//! assert_eq!(token::decode::<String>(&next).unwrap(), "b");
//! let second = page(items, |s: &&str| s.to_string(), Some(2), Some(&next)).unwrap();
//! assert_eq!((second.items, second.continue_token), (vec!["c"], None));
//! ```

mod cut;
pub mod token;

#[cfg(test)]
mod tests;

pub use cut::{Page, page, take_page};
pub use token::InvalidToken;
