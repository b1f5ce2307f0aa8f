//! Process-wide libgit2 settings, applied once before the first mirror is opened.
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
//! [`Once`], from [`init_libgit2`], which [`GitRepository::open`](super::GitRepository::open)
//! calls before it touches libgit2.

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
/// do nothing. Call it at start-up, before any libgit2 work, to choose other values than the
/// defaults [`GitRepository::open`](super::GitRepository::open) applies.
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

/// Sets libgit2's process-wide object cache limit.
#[allow(unsafe_code)]
fn set_cache_max_size(bytes: isize) -> Result<(), git2::Error> {
    // SAFETY: the setter writes a global integer of libgit2 without synchronisation; it is
    // unsound only if another thread uses libgit2's cache at the same moment. It runs once,
    // inside `INIT.call_once`, which `GitRepository::open` enters before the process opens its
    // first mirror — the server does no libgit2 work before that — and every later caller
    // waits for `call_once` to finish, so no libgit2 call of ours runs concurrently with it.
    unsafe { git2::opts::set_cache_max_size(bytes) }
}

/// Sets libgit2's process-wide connect and read/write timeouts for network transports.
#[allow(unsafe_code)]
fn set_timeouts(connect_ms: i32, io_ms: i32) -> Result<(), git2::Error> {
    // SAFETY: as for `set_cache_max_size`: two global integers, written once inside
    // `INIT.call_once` before the first mirror is opened, so no transport reads them
    // concurrently.
    unsafe {
        git2::opts::set_server_connect_timeout_in_milliseconds(connect_ms)?;
        git2::opts::set_server_timeout_in_milliseconds(io_ms)
    }
}
