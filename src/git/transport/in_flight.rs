//! Pushes in progress, counted process-wide, so that shutdown can let them finish: a push that
//! has begun may already have changed the remote, and the mirror records it only when the push
//! returns. Fetches are not counted: a fetch cut short leaves the mirror as it was (a damaged
//! mirror is found and cloned again, see `integrity.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static PUSHES: AtomicUsize = AtomicUsize::new(0);

/// Counts one push while it lives.
pub(crate) struct Push(());

impl Push {
    pub(crate) fn begin() -> Self {
        PUSHES.fetch_add(1, Ordering::SeqCst);
        Self(())
    }
}

impl Drop for Push {
    fn drop(&mut self) {
        PUSHES.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Blocks until no push is in progress or `limit` has passed; returns how many are still running.
pub fn wait_for_pushes(limit: Duration) -> usize {
    let deadline = Instant::now() + limit;
    loop {
        let running = PUSHES.load(Ordering::SeqCst);
        if running == 0 || Instant::now() >= deadline {
            return running;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_is_waited_for_until_it_ends() {
        let push = Push::begin();
        let ender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(push);
        });
        assert_eq!(wait_for_pushes(Duration::from_secs(10)), 0);
        ender.join().unwrap();
    }

    #[test]
    fn a_push_that_does_not_end_is_given_up_on_at_the_limit() {
        let _push = Push::begin();
        let started = Instant::now();
        assert!(wait_for_pushes(Duration::from_millis(100)) >= 1);
        assert!(started.elapsed() >= Duration::from_millis(100));
    }
}
