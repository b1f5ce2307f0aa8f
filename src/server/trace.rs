//! The span of each request, `request`, at INFO so that the lines logged while it is served
//! (`--log-format json`: under `spans`) say which request they belong to: `method` and `path`
//! (without the query) from the start, and once the answer is known `verb` and `resource` (for a
//! resource request, as in the metrics) and `code`. The engine, render and git steps of the
//! request run in child spans (`engine`, `git_fetch`, `git_push`, …).

use http::Request;
use tracing::Span;
use tracing::field::Empty;

/// The span of `req`.
pub(crate) fn request_span<B>(req: &Request<B>) -> Span {
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        verb = Empty,
        resource = Empty,
        code = Empty,
    )
}

/// Records the answer in the current request span: `verb` and `resource` (empty for a request
/// that is not for a resource) and the status `code`.
pub(crate) fn record_answer(verb: &str, resource: &str, code: u16) {
    let span = Span::current();
    if !resource.is_empty() {
        span.record("verb", verb);
        span.record("resource", resource);
    }
    span.record("code", code);
}
