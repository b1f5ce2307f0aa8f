//! The server's log: `RUST_LOG` (default `info`), text or JSON lines on stdout — and a few
//! targets that never reach it, whatever `RUST_LOG` says, because they write response bodies
//! into their events.
//!
//! A line logged inside spans carries them: in text after the time and level
//! (`request{method=GET path=…}:engine{operation=approve}:git_push{repository=ns/r}: …`), in
//! JSON as `span` (the innermost, with its fields) and `spans` (every one, outermost first).
//! The spans are a request's (`server/trace.rs`), its engine operation's (`rest/metrics.rs`), a
//! render's, a repository sync's (`cache/metrics.rs`) and a git fetch's or push's
//! (`git/metrics.rs`).
//!
//! kube-client's `kube_client::client` module logs the whole response text when it does not
//! decode into the requested type (at WARN), every Status body (at TRACE) and unparsed error
//! bodies (at DEBUG). For a Secret that is its data. The server reads every object as a
//! `porch_controllers::Stored` one, so that decode can no longer fail on a stored object; this
//! filter is the second line, for any read that is not (kube-client's own calls, a future one).
//! Nothing of value is lost: every failure of a call also comes back as the call's error, which
//! the caller logs without the body.

use tracing::{Dispatch, Metadata};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterFn, Targets, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
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
    let filter = LogFilter::parse(std::env::var(EnvFilter::DEFAULT_ENV).ok().as_deref());
    subscriber(format, filter, std::io::stdout).init();
}

/// What `RUST_LOG` enables.
#[derive(Debug)]
enum LogFilter {
    /// Levels by target, the usual `RUST_LOG` (`info`, `porch_server=debug,warn`): decided once
    /// per call site, nothing to do when a span is entered.
    Targets(Box<Targets>),
    /// Directives on spans or their fields (`[request{verb=update}]=debug`): `EnvFilter` looks up
    /// every span entered or left behind a lock all threads share (each chunk a watch writes
    /// enters its request's span), so it is used only when asked for.
    Spans(Box<EnvFilter>),
}

impl LogFilter {
    /// The filter of `spec` (a `RUST_LOG` value); `info` when unset or not understood.
    fn parse(spec: Option<&str>) -> Self {
        let spec = spec.map(str::trim).filter(|spec| !spec.is_empty()).unwrap_or("info");
        // Span and field directives are in brackets; `Targets` would take them for target names.
        if !spec.contains('[')
            && let Ok(targets) = spec.parse::<Targets>()
        {
            return Self::Targets(Box::new(targets));
        }
        match EnvFilter::try_new(spec) {
            Ok(filter) => Self::Spans(Box::new(filter)),
            Err(_) => Self::Targets(Box::new(Targets::new().with_default(tracing::Level::INFO))),
        }
    }
}

/// The subscriber [`init`] installs, writing lines in `format` to `writer`.
fn subscriber<W>(format: LogFormat, filter: LogFilter, writer: W) -> Dispatch
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let (targets, spans) = match filter {
        LogFilter::Targets(targets) => (Some(*targets), None),
        LogFilter::Spans(spans) => (None, Some(*spans)),
    };
    let filtered = tracing_subscriber::registry().with(targets).with(spans).with(no_response_bodies());
    let lines = tracing_subscriber::fmt::layer().with_writer(writer);
    match format {
        LogFormat::Text => Dispatch::new(filtered.with(lines)),
        LogFormat::Json => {
            Dispatch::new(filtered.with(lines.json().with_current_span(true).with_span_list(true)))
        }
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

    /// Logs one line of each level, from the server's target and another one, and a line inside a
    /// `request` span, through `spec`; what came out.
    fn logged_through(spec: &str) -> String {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = subscriber(LogFormat::Text, LogFilter::parse(Some(spec)), move || writer.clone());
        tracing::dispatcher::with_default(&subscriber, || {
            tracing::debug!(target: "porch_server::engine", "engine-debug");
            tracing::info!(target: "porch_server::engine", "engine-info");
            tracing::debug!(target: "kube_runtime", "kube-debug");
            tracing::warn!(target: "kube_runtime", "kube-warn");
            let _request = tracing::info_span!("request", verb = "update").entered();
            tracing::debug!(target: "porch_server::rest", "in-request-debug");
        });
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn rust_log_levels_by_target_are_applied_without_span_lookups() {
        assert!(matches!(LogFilter::parse(Some("porch_server=debug,warn")), LogFilter::Targets(_)));
        let log = logged_through("porch_server=debug,warn");
        for kept in ["engine-debug", "engine-info", "kube-warn", "in-request-debug"] {
            assert!(log.contains(kept), "{kept} missing: {log}");
        }
        assert!(!log.contains("kube-debug"), "{log}");
        let log = logged_through("info");
        assert!(log.contains("engine-info") && !log.contains("engine-debug"), "{log}");
    }

    #[test]
    fn rust_log_directives_on_spans_are_applied() {
        assert!(matches!(LogFilter::parse(Some("info,[request]=debug")), LogFilter::Spans(_)));
        let log = logged_through("info,[request]=debug");
        assert!(log.contains("in-request-debug") && log.contains("engine-info"), "{log}");
        assert!(!log.contains("engine-debug"), "outside the span, info: {log}");
    }

    #[test]
    fn an_unset_or_unreadable_rust_log_means_info() {
        for spec in [None, Some(""), Some("=debug=[")] {
            let filter = LogFilter::parse(spec);
            assert_eq!(format!("{filter:?}"), format!("{:?}", LogFilter::parse(Some("info"))), "{spec:?}");
        }
    }

    /// A line logged during a git push of an approval, in JSON: the request, engine and git
    /// spans with their fields, outermost first, and the innermost as `span`.
    #[test]
    fn json_lines_carry_the_spans_they_are_logged_in() {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = subscriber(LogFormat::Json, LogFilter::parse(None), move || writer.clone());
        tracing::dispatcher::with_default(&subscriber, || {
            let req = http::Request::post(
                "/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions/r.p.ws/approval?x=1",
            )
            .body(())
            .unwrap();
            let request = crate::server::trace::request_span(&req);
            let _request = request.enter();
            crate::server::trace::record_answer("update", "packagerevisions", 200);
            let _engine = crate::rest::metrics::span("approve").entered();
            let _push = crate::git::metrics::Transfer::push("ns/r");
            tracing::info!("pushed");
        });
        let log = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
        assert_eq!(line["fields"]["message"], "pushed", "{log}");
        assert_eq!(line["span"], serde_json::json!({"name": "git_push", "repository": "ns/r"}), "{log}");
        let spans = line["spans"].as_array().unwrap();
        let names: Vec<&str> = spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["request", "engine", "git_push"], "{log}");
        assert_eq!(
            spans[0],
            serde_json::json!({"name": "request", "method": "POST", "verb": "update", "code": 200,
                "path": "/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions/r.p.ws/approval",
                "resource": "packagerevisions"}),
            "{log}"
        );
        assert_eq!(spans[1]["operation"], "approve", "{log}");
    }
}
