//! The input format of the [`http`](super::http) target: one request in HTTP/1 text form, so
//! corpus files can be written and read by hand.
//!
//! ```text
//! PATCH /apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories/@REPO@?dryRun=All
//! Content-Type: application/merge-patch+json
//!
//! {"spec": {"description": "x"}}
//! ```
//!
//! The first line is the method and the request target; header lines follow up to an empty
//! line; the rest is the body. Lines end in `\n` (a `\r` before it is dropped). An input may
//! hold several requests, separated by lines `###`.

use http::{HeaderName, HeaderValue, Method};

/// A request read from its text form.
#[derive(Debug)]
pub(super) struct TextRequest {
    pub(super) method: Method,
    /// Path and query, as sent on the request line.
    pub(super) target: String,
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
    pub(super) body: Vec<u8>,
}

/// The requests of an input: the parts between lines that are exactly `###`.
pub(super) fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < data.len() {
        let end = data[at..].iter().position(|b| *b == b'\n').map_or(data.len(), |i| at + i);
        if line(&data[at..end]) == b"###" {
            parts.push(&data[start..at]);
            start = (end + 1).min(data.len());
        }
        at = end + 1;
    }
    parts.push(&data[start..]);
    parts
}

fn line(text: &[u8]) -> &[u8] {
    text.strip_suffix(b"\r").unwrap_or(text)
}

/// Reads a request; `None` when the input is not one hyper could have received (no method, a
/// target that is not an origin-form URI). Header lines that are not valid headers are skipped.
pub(super) fn parse(data: &[u8]) -> Option<TextRequest> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], data[at + 2..].to_vec()),
        None => (data, Vec::new()),
    };
    let mut lines = head.split(|b| *b == b'\n').map(line);
    let request_line = lines.next()?;
    let mut parts = request_line.splitn(3, |b| *b == b' ');
    let method = Method::from_bytes(parts.next()?).ok()?;
    let target = std::str::from_utf8(parts.next()?).ok()?;
    if !target.starts_with('/') || target.parse::<http::Uri>().is_err() {
        return None;
    }
    let headers = lines
        .filter_map(|l| {
            let colon = l.iter().position(|b| *b == b':')?;
            let name = HeaderName::from_bytes(&l[..colon]).ok()?;
            let value = HeaderValue::from_bytes(l[colon + 1..].trim_ascii()).ok()?;
            Some((name, value))
        })
        .collect();
    Some(TextRequest { method, target: target.to_string(), headers, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_back() {
        let r = parse(b"PUT /api/v1/x?a=b HTTP/1.1\r\nContent-Type: application/yaml\nbad header\n\nk: v\n")
            .unwrap();
        assert_eq!(r.method, Method::PUT);
        assert_eq!(r.target, "/api/v1/x?a=b");
        assert_eq!(r.headers.len(), 1);
        assert_eq!(r.headers[0].1, "application/yaml");
        assert_eq!(r.body, b"k: v\n");
        assert!(parse(b"GET http://host/x\n").is_none());
        let parts = split(b"GET /a\n###\r\nPUT /b\n\nbody\n###\n");
        assert_eq!(parts, vec![&b"GET /a\n"[..], b"PUT /b\n\nbody\n", b""]);
        assert!(parse(b"").is_none());
    }
}
