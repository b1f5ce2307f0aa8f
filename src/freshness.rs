//! Serving a get or list at the resourceVersion it asks for: a version the server has not
//! reached yet is waited for, at most [`FRESHNESS_WAIT`] (kube-apiserver's watch cache waits the
//! same), then the read is checked against the current version ([`ReadAt::check`]).
//!
//! The embedded store and the engine share one resourceVersion counter, so a version a client
//! saw on one resource may be asked of another; the engine's view lags the counter by the event
//! pump, which the wait covers.

use porch_layers::request::{FRESHNESS_WAIT, ReadAt, Unservable};
use std::time::Duration;
use tokio::time::Instant;

/// How often the current resourceVersion is looked at while waiting.
const POLL: Duration = Duration::from_millis(20);

/// Waits until `current()` has reached `min`, or [`FRESHNESS_WAIT`] has passed.
pub(crate) async fn reach(min: u64, current: impl Fn() -> u64) {
    if current() >= min {
        return;
    }
    let deadline = Instant::now() + FRESHNESS_WAIT;
    loop {
        let now = Instant::now();
        if current() >= min || now >= deadline {
            return;
        }
        tokio::time::sleep(POLL.min(deadline - now)).await;
    }
}

/// The resourceVersion a read at `read_at` is served at: the current one, once it has reached
/// what the read asks for.
///
/// # Errors
/// [`Unservable::TooLarge`] when the version is still not reached after the wait,
/// [`Unservable::Expired`] for an exact read of an older state.
pub(crate) async fn settle(read_at: ReadAt, current: impl Fn() -> u64) -> Result<u64, Unservable> {
    reach(read_at.minimum(), &current).await;
    let now = current();
    read_at.check(now).map(|()| now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_version_reached_while_waiting_is_served() {
        let counter = Arc::new(AtomicU64::new(5));
        let bump = counter.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            bump.store(8, Ordering::SeqCst);
        });
        let served = settle(ReadAt::NotOlderThan(7), || counter.load(Ordering::SeqCst)).await;
        assert_eq!(served, Ok(8));
    }

    #[tokio::test(start_paused = true)]
    async fn a_version_never_reached_is_too_large_after_the_wait() {
        let started = Instant::now();
        let served = settle(ReadAt::NotOlderThan(9), || 5).await;
        assert_eq!(served, Err(Unservable::TooLarge { requested: 9, current: 5 }));
        assert_eq!(started.elapsed(), FRESHNESS_WAIT);
    }

    #[tokio::test(start_paused = true)]
    async fn reached_versions_and_exact_reads_do_not_wait() {
        let started = Instant::now();
        assert_eq!(settle(ReadAt::Any, || 5).await, Ok(5));
        assert_eq!(settle(ReadAt::Exact(5), || 5).await, Ok(5));
        assert_eq!(settle(ReadAt::Exact(4), || 5).await, Err(Unservable::Expired));
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
