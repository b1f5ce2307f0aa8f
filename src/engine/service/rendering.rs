//! Renders off the async workers: a render is synchronous and may block on the function runner
//! (`--function-runner`), so it runs on tokio's blocking threads.

use super::super::render::{self, RenderRequest, Rendered};
use super::super::{EngineError, Files};
use super::Engine;

impl Engine {
    /// [`render::render`] of `files` on a blocking thread. A panic in the render is resumed
    /// here, as if the render had run on the caller's thread.
    pub(super) async fn render(&self, files: Files, request: RenderRequest) -> Result<Rendered, EngineError> {
        let functions = self.functions.clone();
        let span = tracing::Span::current();
        match tokio::task::spawn_blocking(move || {
            span.in_scope(|| render::render(&files, &functions, request))
        })
        .await
        {
            Ok(rendered) => rendered,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(EngineError::internal("the render was cancelled: the server is shutting down")),
        }
    }
}
