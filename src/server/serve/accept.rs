//! Accepting connections without spinning. When `accept` fails for want of resources (out of file
//! descriptors, `EMFILE`/`ENFILE`, or of kernel memory) the connection stays in the listen
//! backlog and the next `accept` would fail at once; so the loop backs off, 10 ms doubling up to
//! 1 s, and logs once per episode, naming the cause, then once more when accepting works again.
//! A connection the peer dropped before it was accepted is skipped at once.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// The first pause after a failed `accept`.
const FIRST_DELAY: Duration = Duration::from_millis(10);
/// The longest pause between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(1);

/// The state of an episode of failed `accept`s.
#[derive(Debug, Default)]
pub(super) struct Backoff {
    failures: u64,
    delay: Duration,
}

impl Backoff {
    /// Counts a failure; returns the pause before the next attempt and whether the failure starts
    /// an episode (the one to log).
    fn failed(&mut self) -> (Duration, bool) {
        let first = self.failures == 0;
        self.failures += 1;
        self.delay = if first { FIRST_DELAY } else { (self.delay * 2).min(MAX_DELAY) };
        (self.delay, first)
    }

    /// Ends the episode, if any; returns how many attempts failed in it.
    fn recovered(&mut self) -> u64 {
        std::mem::take(self).failures
    }
}

/// Whether an `accept` error concerns only the connection being accepted (the peer gave up).
fn lost_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
    )
}

/// The next connection, waiting out failures as [the module](self) describes. Cancel-safe.
pub(super) async fn next(listener: &TcpListener, backoff: &mut Backoff) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(conn) => {
                let failures = backoff.recovered();
                if failures > 0 {
                    tracing::info!(failures, "accepting connections again");
                }
                return conn;
            }
            Err(e) if lost_connection(&e) => {
                tracing::debug!(error = %e, "a connection was lost before it was accepted");
            }
            Err(e) => {
                let (delay, first) = backoff.failed();
                if first {
                    tracing::warn!(error = %e, "failed to accept connections; retrying with backoff until it works");
                }
                tokio::time::sleep(delay).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_exponentially_and_only_the_first_is_logged() {
        let mut backoff = Backoff::default();
        let delays: Vec<(Duration, bool)> = (0..10).map(|_| backoff.failed()).collect();
        assert_eq!(delays[0], (FIRST_DELAY, true));
        assert_eq!(delays[1], (FIRST_DELAY * 2, false));
        assert!(delays.windows(2).all(|w| w[1].0 >= w[0].0 && !w[1].1));
        assert_eq!(delays[9].0, MAX_DELAY);
        assert_eq!(backoff.recovered(), 10);
        assert_eq!(backoff.recovered(), 0);
        assert_eq!(backoff.failed(), (FIRST_DELAY, true), "a new episode is logged again");
    }

    #[test]
    fn only_lost_peers_are_skipped_without_backoff() {
        assert!(lost_connection(&io::Error::from(io::ErrorKind::ConnectionAborted)));
        assert!(!lost_connection(&io::Error::from_raw_os_error(24)), "EMFILE backs off");
    }
}
