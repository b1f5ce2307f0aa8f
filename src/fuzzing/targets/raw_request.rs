//! The `http` target: any request, as text, against the whole server.

use super::super::harness::Harness;
use super::super::request_text;
use super::{substitute, with_resource_version};

/// Sends the request `data` holds (HTTP/1 text form: request line, headers, empty line, body;
/// placeholders as in the other targets, `@RV@` filled in from the target object) to the server.
/// Inputs that are not a request hyper could receive are skipped.
///
/// # Panics
/// When the answer is a 5xx other than the acceptable ones, or anything in the server panics.
pub fn http(harness: &Harness, data: &[u8]) {
    let Some(data) = substitute(harness, data) else { return };
    let Some(request) = request_text::parse(&data) else { return };
    let body = with_resource_version(harness, &request.target, request.body);
    harness.send(request.method, &request.target, &request.headers, body);
}
