//! Render metrics, through the `metrics` facade (rendered on `/metrics`):
//! - `porch_render_duration_seconds{outcome}`: one render of a package and its subpackages,
//!   `outcome` `success` or `failure`;
//! - `porch_function_duration_seconds{function, runtime}`: one function run, `function` the
//!   image's name without registry and tag (`set-namespace`) or `exec`, `runtime` the runtime
//!   that ran it (`builtin`, …). Labels stay few: no package or repository names.

use std::time::Duration;

/// The histogram of whole renders.
pub(crate) const RENDER_DURATION: &str = "porch_render_duration_seconds";
/// The histogram of function runs.
pub(crate) const FUNCTION_DURATION: &str = "porch_function_duration_seconds";

/// Records one render.
pub(crate) fn render(elapsed: Duration, success: bool) {
    let outcome = if success { "success" } else { "failure" };
    metrics::histogram!(RENDER_DURATION, "outcome" => outcome).record(elapsed.as_secs_f64());
}

/// Records one function run of `image` (empty for exec) by `runtime`.
pub(crate) fn function(image: &str, runtime: &'static str, elapsed: Duration) {
    let name = image.rsplit('/').next().unwrap_or_default();
    let name = name.split(['@', ':']).next().unwrap_or_default();
    let function = if image.is_empty() { "exec".to_string() } else { name.to_string() };
    metrics::histogram!(FUNCTION_DURATION, "function" => function, "runtime" => runtime)
        .record(elapsed.as_secs_f64());
}
