//! The server's log: `RUST_LOG` (default `info`), text or JSON lines on stdout — and a few
//! targets that never reach it, whatever `RUST_LOG` says, because they write response bodies
//! into their events.
//!
//! kube-client's `kube_client::client` module logs the whole response text when it does not
//! decode into the requested type (at WARN), every Status body (at TRACE) and unparsed error
//! bodies (at DEBUG). For a Secret that is its data. The server reads every object as a
//! `porch_controllers::Stored` one, so that decode can no longer fail on a stored object; this
//! filter is the second line, for any read that is not (kube-client's own calls, a future one).
//! Nothing of value is lost: every failure of a call also comes back as the call's error, which
//! the caller logs without the body.

use tracing::Metadata;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterFn, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::LogFormat;

/// Targets whose events are dropped at every level, whatever `RUST_LOG` enables.
pub const SILENCED_TARGETS: &[&str] = &["kube_client::client"];

/// Whether an event or span of `metadata` may be logged: not from a [`SILENCED_TARGETS`] one.
pub fn loggable(metadata: &Metadata<'_>) -> bool {
    !SILENCED_TARGETS.contains(&metadata.target())
}

/// The filter that drops what [`loggable`] refuses; layer it on top of any subscriber.
pub fn no_response_bodies() -> FilterFn<fn(&Metadata<'_>) -> bool> {
    filter_fn(loggable)
}

/// Installs the global subscriber: `RUST_LOG` (default `info`) in `format`, without the
/// [`SILENCED_TARGETS`].
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.finish().with(no_response_bodies()).init(),
        LogFormat::Json => builder.json().finish().with(no_response_bodies()).init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn kube_client_bodies_are_dropped_even_at_trace() {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("trace,kube_client=trace,kube_client::client=trace"))
            .with_writer(move || writer.clone())
            .finish()
            .with(no_response_bodies());
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(target: "kube_client::client", "{{\"data\":{{\"password\":\"c2VjcmV0\"}}}}");
            tracing::trace!(target: "kube_client::client", "Status from c2VjcmV0");
            tracing::warn!(target: "kube_client::client::builder", "kept: another module");
            tracing::warn!("kept: our own");
        });
        let log = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(!log.contains("c2VjcmV0"), "{log}");
        assert!(log.contains("kept: another module") && log.contains("kept: our own"), "{log}");
    }
}
