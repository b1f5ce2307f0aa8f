//! The `continue_tokens` target: `continue` tokens for every list, as given or wrapped the way
//! the server wraps its own.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::Method;

use super::super::harness::Harness;
use super::{LISTS, query_value};

/// `limit` values (bits 1–2 of the first byte pick one).
const LIMITS: &[&str] = &["&limit=1", "", "&limit=0", "&limit=-1"];

/// The first byte's lowest bit says whether the rest is the token itself (0) or the JSON inside
/// one (1: sent base64url-encoded, as the server encodes its tokens, so mutations reach the
/// decoder behind the base64); bits 1–2 pick a `limit`. Every list gets the token.
///
/// # Panics
/// As [`super::http`].
pub fn continue_tokens(harness: &Harness, data: &[u8]) {
    let [mode, rest @ ..] = data else { return };
    let token = if mode & 1 == 1 { URL_SAFE_NO_PAD.encode(rest).into_bytes() } else { rest.to_vec() };
    let limit = LIMITS[usize::from(mode >> 1) % LIMITS.len()];
    for list in LISTS {
        harness.send(
            Method::GET,
            &format!("{list}?continue={}{limit}", query_value(&token)),
            &[],
            Vec::new(),
        );
    }
}
