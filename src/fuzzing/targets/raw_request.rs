//! The `http` target: any request, as text, against the whole server.

use super::super::harness::Harness;
use super::super::request_text;
use super::{substitute, with_resource_version};

/// Most requests one input sends.
const MAX_REQUESTS: usize = 8;

/// Sends the requests `data` holds to the server, in order: each in HTTP/1 text form (request
/// line, headers, empty line, body), separated by lines `###` (as in `.http` files), so that a
/// corpus file can hold a write and the read it breaks. Placeholders as in the other targets;
/// `@RV@` is filled in from the target object. A part that is not a request hyper could
/// receive is skipped.
///
/// # Panics
/// When an answer is a 5xx other than the acceptable ones, or anything in the server panics.
pub fn http(harness: &Harness, data: &[u8]) {
    let Some(data) = substitute(harness, data) else { return };
    for part in request_text::split(&data).into_iter().take(MAX_REQUESTS) {
        let Some(request) = request_text::parse(part) else { continue };
        let body = with_resource_version(harness, &request.target, request.body);
        harness.send(request.method, &request.target, &request.headers, body);
    }
}
