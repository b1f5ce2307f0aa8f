use crate::request::StorageResponse;
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pin_project! {
    /// Response future of [`Validation`](super::Validation).
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<F> {
        // Valid: the inner call, whose response gets the strategy's warnings first.
        Future { #[pin] future: F, warnings: Vec<String> },
        // Invalid: the 422, answered without calling the inner service.
        Invalid { response: Option<StorageResponse> },
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn future(future: F, warnings: Vec<String>) -> Self {
        Self { kind: Kind::Future { future, warnings } }
    }

    pub(crate) fn invalid(response: StorageResponse) -> Self {
        Self { kind: Kind::Invalid { response: Some(response) } }
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<StorageResponse, E>>,
{
    type Output = Result<StorageResponse, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Future { future, warnings } => {
                let mut res = ready!(future.poll(cx))?;
                if !warnings.is_empty() {
                    warnings.append(&mut res.warnings);
                    res.warnings = std::mem::take(warnings);
                }
                Poll::Ready(Ok(res))
            }
            KindProj::Invalid { response } => {
                Poll::Ready(Ok(response.take().expect("ResponseFuture polled after completion")))
            }
        }
    }
}
