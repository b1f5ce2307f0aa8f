//! Process-wide libgit2 settings, applied once, before any libgit2 work that reads them.
//!
//! - The object cache: libgit2 keeps parsed commits and trees of every open repository in
//!   memory, up to a process-wide 256 MiB by default. Each Repository holds its mirror open (the
//!   writer and a few pooled read handles), so with many Repositories that cache — not the
//!   index — dominates resident memory. Discovery reads each commit and tree a handful of times
//!   at most, so a small cache costs little time.
//! - Network timeouts: without them a remote that accepts the connection and then stops
//!   answering blocks a fetch or push — and so the repository's single writer — forever.
//!
//! The `git2` setters are `unsafe` because they write C globals without synchronisation. This
//! module is the only place allowed unsafe code; it calls them exactly once, through a
//! [`Once`], from [`init_libgit2`]. Who calls that first:
//!
//! - the binary, on a thread `main` starts before anything else (before the async runtime, so
//!   no libgit2 work can start ahead of it unless it calls this first and waits);
//! - [`GitRepository::open`](super::GitRepository::open), before it touches libgit2, for every
//!   other user of the library (tests, benches);
//! - code that uses `git2` directly beside the library: the benches' fixtures
//!   (`benches/support/mod.rs`, `benches/git_cache.rs`) and the unit tests of `src/git` that
//!   create repositories (`init_for_tests`). The integration tests' fixtures
//!   (`tests/support/git.rs`) build repositories with the git CLI and use no `git2`.

use std::sync::Once;

/// The settings [`init_libgit2`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Libgit2Options {
    /// Upper bound of libgit2's object cache, over all repositories, in bytes.
    pub cache_max_bytes: usize,
    /// Timeout for connecting to a remote, in milliseconds.
    pub connect_timeout_ms: u32,
    /// Timeout for each read from / write to a remote, in milliseconds.
    pub io_timeout_ms: u32,
}

impl Default for Libgit2Options {
    /// 16 MiB of object cache; 15 s to connect; 60 s per read or write.
    fn default() -> Self {
        Self { cache_max_bytes: 16 << 20, connect_timeout_ms: 15_000, io_timeout_ms: 60_000 }
    }
}

static INIT: Once = Once::new();

/// Applies `options` to libgit2 if no settings were applied yet in this process; later calls
/// do nothing (a call while another is applying them waits until it is done). Call it at
/// start-up, before any libgit2 work (the binary does, in `main`); otherwise the first
/// [`GitRepository::open`](super::GitRepository::open) applies the defaults.
pub fn init_libgit2(options: Libgit2Options) {
    INIT.call_once(|| {
        let cache = isize::try_from(options.cache_max_bytes).unwrap_or(isize::MAX);
        let clamp = |ms: u32| i32::try_from(ms).unwrap_or(i32::MAX);
        if let Err(error) = set_cache_max_size(cache) {
            tracing::warn!(%error, "could not limit libgit2's object cache");
        }
        if let Err(error) = set_timeouts(clamp(options.connect_timeout_ms), clamp(options.io_timeout_ms)) {
            tracing::warn!(%error, "could not set libgit2's network timeouts");
        }
    });
}

/// [`init_libgit2`] with the defaults: what a unit test that creates repositories with `git2`
/// calls first (see the module docs).
#[cfg(test)]
pub(crate) fn init_for_tests() {
    init_libgit2(Libgit2Options::default());
}

/// Sets libgit2's process-wide object cache limit.
#[allow(unsafe_code)]
fn set_cache_max_size(bytes: isize) -> Result<(), git2::Error> {
    // SAFETY: the setter writes a global integer of libgit2 without synchronisation; it is
    // unsound only if another thread uses libgit2's object cache (reads objects of a repository)
    // at the same moment. It runs once, inside `INIT.call_once`, and every path that reads
    // objects enters `init_libgit2` before its first libgit2 call (the module docs list them:
    // `main`'s first thread, `GitRepository::open`, the fixtures and tests that use `git2`
    // directly). A caller that arrives while the write is under way waits for `call_once` to
    // finish, so no libgit2 work of ours runs concurrently with it. Before that, at most value
    // operations run (parsing or printing an `Oid`), which use neither global.
    unsafe { git2::opts::set_cache_max_size(bytes) }
}

/// Sets libgit2's process-wide connect and read/write timeouts for network transports.
#[allow(unsafe_code)]
fn set_timeouts(connect_ms: i32, io_ms: i32) -> Result<(), git2::Error> {
    // SAFETY: as for `set_cache_max_size`: two global integers, written once inside
    // `INIT.call_once`, which every path that fetches or pushes enters first (only
    // `GitRepository` fetches and pushes), so no transport reads them concurrently.
    unsafe {
        git2::opts::set_server_connect_timeout_in_milliseconds(connect_ms)?;
        git2::opts::set_server_timeout_in_milliseconds(io_ms)
    }
}
