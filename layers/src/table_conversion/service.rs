use super::{ResponseFuture, TableConversionLayer};
use crate::request::{StorageRequest, StorageResponse};
use crate::strategy::Strategy;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::Service;

/// Converts the response of a Table request through the strategy's `convert_to_table`. See the
/// [module docs](crate::table_conversion).
///
/// **When:** on the way back, for requests whose context asks for a Table. **Mutates:** the
/// response's payload only (`Object`/`List` become `Table`; watch events carry Tables).
pub struct TableConversion<S, St: ?Sized> {
    inner: S,
    strategy: Arc<St>,
}

define_strategy_service!(TableConversion, TableConversionLayer);

impl<S, St> Service<StorageRequest> for TableConversion<S, St>
where
    S: Service<StorageRequest, Response = StorageResponse>,
    St: Strategy + ?Sized,
{
    type Response = StorageResponse;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, St>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: StorageRequest) -> Self::Future {
        let convert = req.ctx.table.map(|options| (Arc::clone(&self.strategy), options));
        ResponseFuture::new(self.inner.call(req), convert)
    }
}
