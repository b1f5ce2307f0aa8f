//! Fuzzing entry points: the code paths that take untrusted bytes, each driven with arbitrary
//! input and checked against the server's one promise about bad input — **no panic and no 5xx**
//! (a 4xx `Status` is always fine; the exact code is not checked, it changes as validation
//! grows).
//!
//! Used by the cargo-fuzz targets in `fuzz/` (one target per entry point) and by
//! `tests/fuzz_corpus.rs`, which replays the committed corpus `fuzz/corpus/<target>/` on every
//! `cargo test`, so what the fuzzer once found stays fixed on machines without cargo-fuzz.
//! Not part of the server's API.
//!
//! Every entry point takes a [`Harness`] — a real [`App`](crate::App) on a temporary data
//! directory, served in-process through its tower service, with a `file://` git remote holding
//! packages, a Ready Repository, a draft PackageRevision and a Secret — and the input bytes:
//!
//! | entry point | what the bytes are | path driven |
//! | --- | --- | --- |
//! | [`http`] | a whole request in HTTP/1 text form | routing, query, negotiation, every verb |
//! | [`decode`] | content type and target selectors, then a body | JSON, YAML and protobuf decoding, identity checks, validation (dry run) |
//! | [`selectors`] | `labelSelector`, newline, `fieldSelector` | the parsers, matching, lists of every resource |
//! | [`continue_tokens`] | a mode byte, then a token | `continue` decoding in the store and the engine |
//! | [`names`] | an object name or file path | name parsing, path validation, gets, creates |
//! | [`patch`] | target and patch-type bytes, then a patch | merge, JSON patch, apply, strategic merge |
//! | [`kptfile`] | a Kptfile | Kptfile parsing and writing, a PackageRevisionResources update |
//!
//! [`Harness::check`] holds the invariant: a status of 500 or above fails, except the two
//! answers about things outside the request that kube-apiserver also gives ([`acceptable`]).

mod harness;
mod invariant;
mod request_text;
mod targets;

pub use harness::{Exchange, Harness};
pub use invariant::acceptable;
pub use targets::{continue_tokens, decode, http, kptfile, names, patch, selectors};

/// The names of the entry points, as the fuzz targets and corpus directories are named.
pub const TARGETS: &[&str] = &["http", "decode", "selectors", "continue_tokens", "names", "patch", "kptfile"];

/// Runs the entry point named `target` (one of [`TARGETS`]) on `data`.
///
/// # Panics
/// On an unknown target name, and whenever the entry point finds the invariant broken.
pub fn run(target: &str, harness: &Harness, data: &[u8]) {
    match target {
        "http" => http(harness, data),
        "decode" => decode(harness, data),
        "selectors" => selectors(harness, data),
        "continue_tokens" => continue_tokens(harness, data),
        "names" => names(harness, data),
        "patch" => patch(harness, data),
        "kptfile" => kptfile(harness, data),
        other => panic!("unknown fuzz target {other:?}; known: {TARGETS:?}"),
    }
}
