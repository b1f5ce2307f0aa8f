use super::IntoApiError;
use super::translate;
use crate::request::StorageResponse;
use pin_project_lite::pin_project;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pin_project! {
    /// Response future of [`ErrorTranslation`](super::ErrorTranslation).
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
        Future { #[pin] future: F },
        Ready { response: Option<StorageResponse> },
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn future(future: F) -> Self {
        Self { kind: Kind::Future { future } }
    }

    pub(crate) fn ready(response: StorageResponse) -> Self {
        Self { kind: Kind::Ready { response: Some(response) } }
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<StorageResponse, E>>,
    E: IntoApiError,
{
    type Output = Result<StorageResponse, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Future { future } => Poll::Ready(Ok(match ready!(future.poll(cx)) {
                Ok(response) => response,
                Err(e) => translate(&e),
            })),
            KindProj::Ready { response } => {
                Poll::Ready(Ok(response.take().expect("ResponseFuture polled after completion")))
            }
        }
    }
}
