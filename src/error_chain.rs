//! Printing an error with its causes on one line.

use std::error::Error;

/// `err` followed by each of its causes, `outer: inner: innermost` (the `Display` of each error
/// in the chain is its own message only).
pub(crate) fn with_causes(err: &(dyn Error + 'static)) -> String {
    let chain = std::iter::successors(Some(err), |e| (*e).source());
    chain.map(ToString::to_string).collect::<Vec<_>>().join(": ")
}
