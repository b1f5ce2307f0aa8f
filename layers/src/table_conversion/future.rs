use super::convert::convert;
use crate::request::StorageResponse;
use crate::strategy::{Strategy, TableOptions};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

pin_project! {
    /// Response future of [`TableConversion`](super::TableConversion).
    pub struct ResponseFuture<F, St: ?Sized> {
        #[pin]
        future: F,
        // `Some` when the request asked for a Table.
        convert: Option<(Arc<St>, TableOptions)>,
    }
}

impl<F, St: ?Sized> ResponseFuture<F, St> {
    pub(crate) fn new(future: F, convert: Option<(Arc<St>, TableOptions)>) -> Self {
        Self { future, convert }
    }
}

impl<F: std::fmt::Debug, St: Strategy + ?Sized> std::fmt::Debug for ResponseFuture<F, St> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("future", &self.future)
            .field("table", &self.convert.as_ref().map(|(_, options)| options))
            .finish()
    }
}

impl<F, E, St> Future for ResponseFuture<F, St>
where
    F: Future<Output = Result<StorageResponse, E>>,
    St: Strategy + ?Sized,
{
    type Output = Result<StorageResponse, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.future.poll(cx))?;
        Poll::Ready(Ok(match this.convert.take() {
            Some((strategy, options)) => convert(&strategy, options, response),
            None => response,
        }))
    }
}
