//! The Prometheus recorder behind `/metrics`: every histogram is exported with buckets (never as
//! a summary), in seconds from half a millisecond to 30 s, and from 5 ms to 10 min for git
//! transfers and repository syncs, which take as long as the remote and the repository's size
//! make them.
//!
//! Each concern records its own metrics through the `metrics` facade, next to the code it
//! measures (`metrics.rs` in `server/`, `rest/`, `git/`, `cache/`, `rv_window/`,
//! `engine/render/`); the README lists them all.

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder};

/// The buckets of request, engine, render and function durations, in seconds.
pub const DURATION_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The buckets of git fetches and pushes and repository syncs, in seconds.
pub const TRANSFER_BUCKETS: &[f64] =
    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];

/// The histograms that take [`TRANSFER_BUCKETS`].
const TRANSFER_HISTOGRAMS: &[&str] = &[
    crate::git::metrics::FETCH_DURATION,
    crate::git::metrics::PUSH_DURATION,
    crate::cache::metrics::SYNC_DURATION,
];

/// The recorder's configuration, to install (`main.rs`) or build (tests).
///
/// # Errors
/// Never for these buckets (the builder refuses only empty ones).
pub fn prometheus() -> Result<PrometheusBuilder, BuildError> {
    let mut builder = PrometheusBuilder::new().set_buckets(DURATION_BUCKETS)?;
    for name in TRANSFER_HISTOGRAMS {
        builder = builder.set_buckets_for_metric(Matcher::Full((*name).to_string()), TRANSFER_BUCKETS)?;
    }
    Ok(builder)
}

/// The process-wide recorder of the crate's unit tests, installed on first use: metrics recorded
/// on any thread (the blocking pool included) land in it. Tests tell their series apart by
/// labels of their own (a repository name, a window name).
#[cfg(test)]
pub(crate) fn test_recorder() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE.get_or_init(|| {
        prometheus().and_then(PrometheusBuilder::install_recorder).expect("the test recorder installs")
    })
}

/// The value of the series `name{labels…}` in `text` (the exposition format), where every
/// `key="value"` of `labels` is among the series' labels; `None` when there is no such series.
#[cfg(test)]
pub(crate) fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        let all = labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
        (metric == name && all).then(|| value.parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_exported_with_buckets() {
        let handle = test_recorder();
        metrics::histogram!("porch_test_seconds", "case" => "buckets").record(0.003);
        metrics::histogram!(crate::git::metrics::FETCH_DURATION, "repository" => "test/buckets").record(90.0);
        let text = handle.render();
        let bucket = "porch_test_seconds_bucket";
        assert_eq!(sample(&text, bucket, &[("case", "buckets"), ("le", "0.0025")]), Some(0.0), "{text}");
        assert_eq!(sample(&text, bucket, &[("case", "buckets"), ("le", "0.005")]), Some(1.0), "{text}");
        let fetch = format!("{}_bucket", crate::git::metrics::FETCH_DURATION);
        let long = [("repository", "test/buckets"), ("le", "120")];
        assert_eq!(sample(&text, &fetch, &long), Some(1.0), "{text}");
        assert!(!text.contains("quantile=\""), "no summaries: {text}");
    }
}
