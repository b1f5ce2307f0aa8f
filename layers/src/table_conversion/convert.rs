//! Turning a response's payload into a Table.

use crate::request::{EncodedChunk, Payload, StorageResponse, WatchEvent};
use crate::strategy::{Strategy, TableList, TableOptions};
use futures::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;

/// `response` with its object, list or watch events converted by `strategy`; tables and
/// `Status` responses are returned unchanged.
pub(super) fn convert<St>(
    strategy: &Arc<St>,
    options: TableOptions,
    mut response: StorageResponse,
) -> StorageResponse
where
    St: Strategy + ?Sized,
{
    response.payload = match response.payload {
        Payload::Object(object) => Payload::Table(one(strategy.as_ref(), Arc::new(object), options)),
        Payload::List(list) => {
            let mut table = match list.chunks() {
                Some(chunks) if options == TableOptions::default() && strategy.stable_table_rows() => {
                    kept_rows(strategy.as_ref(), chunks)
                }
                _ => strategy.convert_to_table(&list.items(), options),
            };
            table.metadata = list.metadata;
            Payload::Table(table)
        }
        Payload::Watch(events) => {
            let strategy = Arc::clone(strategy);
            let mut options = options;
            Payload::Watch(
                events
                    .map(move |event| {
                        if !event.event_type.carries_object() {
                            return event;
                        }
                        let table = one(strategy.as_ref(), event.object, options);
                        // Column definitions go with the first row only, as kube-apiserver sends them.
                        options.no_headers = true;
                        WatchEvent::new(event.event_type, table.to_json())
                    })
                    .boxed(),
            )
        }
        other @ (Payload::Table(_) | Payload::Status(_)) => other,
    };
    response
}

/// The Table of the items of `chunks` from the rows kept with them, building the missing ones
/// from the chunks' objects (decoded for that).
fn kept_rows<St: Strategy + ?Sized>(strategy: &St, chunks: &[EncodedChunk]) -> TableList {
    let rows = chunks
        .iter()
        .map(|chunk| {
            chunk.rows.get_or_init(|| TableList::encode_rows(strategy.columns(), &chunk.objects())).clone()
        })
        .collect();
    TableList::from_encoded_rows(strategy.columns(), rows, chunks.iter().map(|c| c.count).sum())
}

/// A one-row Table of `object`, carrying its resourceVersion.
fn one<St: Strategy + ?Sized>(strategy: &St, object: Arc<Value>, options: TableOptions) -> TableList {
    let mut table = strategy.convert_to_table(std::slice::from_ref(&object), options);
    if let Some(rv) = object.pointer("/metadata/resourceVersion") {
        table.metadata = json!({ "resourceVersion": rv });
    }
    table
}
