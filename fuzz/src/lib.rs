//! What every fuzz target shares: one [`Harness`] per fuzzer process, opened on the first input
//! and only inside a network namespace that has nothing but loopback.
//!
//! The harness's server clones and fetches whatever git URL an input names, so a fuzzer left
//! free would send traffic to any address it made up. `run.sh` starts each fuzzer under
//! `unshare --net`; a target started any other way refuses to run unless
//! `PORCH_FUZZ_ALLOW_NETWORK=1` says the caller has seen to it.

use std::sync::OnceLock;

pub use porch_server::fuzzing::{self, Harness};

/// The network interfaces this process sees (`/proc/self/net/dev`, per network namespace).
fn interfaces() -> Vec<String> {
    let dev = std::fs::read_to_string("/proc/self/net/dev").unwrap_or_default();
    dev.lines().skip(2).filter_map(|l| l.split(':').next()).map(|n| n.trim().to_string()).collect()
}

fn check_network() {
    if std::env::var_os("PORCH_FUZZ_ALLOW_NETWORK").is_some() {
        return;
    }
    let other: Vec<String> = interfaces().into_iter().filter(|i| i != "lo").collect();
    if !other.is_empty() {
        eprintln!(
            "refusing to fuzz with network interfaces {other:?}: run the targets through fuzz/run.sh, \
             which starts them in a network namespace with only loopback (or set PORCH_FUZZ_ALLOW_NETWORK=1)"
        );
        std::process::exit(2);
    }
}

/// The process's harness, opened on first use.
pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        check_network();
        Harness::new()
    })
}
