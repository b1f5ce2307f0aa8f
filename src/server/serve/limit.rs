//! The connection cap: at most `--max-connections` connections are served at once, fewer when the
//! open-file limit leaves no room for that many (a quarter of it, at most 1024 descriptors, is kept
//! for everything else: git repositories, the store, the log). A connection over the cap is
//! answered 503 with `Retry-After: 1` and closed at once, so that it neither waits in the listen
//! backlog nor takes a descriptor the server needs.

use porch_layers::ApiError;
use tokio::net::TcpStream;

/// Descriptors kept for everything but connections: a quarter of the limit, at most this many.
const MAX_RESERVED: u64 = 1024;

/// How many connections an open-file limit of `soft` descriptors leaves room for.
fn room(soft: u64) -> usize {
    let room = soft - (soft / 4).min(MAX_RESERVED);
    usize::try_from(room).unwrap_or(usize::MAX).max(1)
}

/// The cap to serve with: `requested`, lowered (with a warning) to what the process's current
/// open-file limit leaves room for.
pub(super) fn effective(requested: usize) -> usize {
    let Ok(soft) = rlimit::Resource::NOFILE.get_soft() else { return requested };
    let room = room(soft);
    if requested > room {
        tracing::warn!(
            max_connections = requested,
            open_file_limit = soft,
            "the open-file limit leaves room for {room} connections; serving at most that many at once"
        );
        return room;
    }
    requested
}

/// The whole 503 answer to a connection over the cap of `cap`.
fn refusal(cap: usize) -> Vec<u8> {
    let status = ApiError::unavailable(format!(
        "the server is serving its maximum of {cap} connections; try again later"
    ))
    .to_json()
    .to_string();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         retry-after: 1\r\nconnection: close\r\n\r\n",
        status.len()
    );
    [head.into_bytes(), status.into_bytes()].concat()
}

/// Answers a connection over the cap with a 503, as far as its send buffer takes it without
/// waiting, and closes it.
pub(super) fn refuse(stream: TcpStream, cap: usize) {
    metrics::counter!("porch_connections_refused_total").increment(1);
    let _ = stream.try_write(&refusal(cap));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_keeps_a_quarter_of_the_limit_up_to_1024_descriptors() {
        assert_eq!(room(128), 96);
        assert_eq!(room(1024), 768);
        assert_eq!(room(20_000), 18_976);
        assert_eq!(room(u64::MAX), usize::try_from(u64::MAX - 1024).unwrap_or(usize::MAX));
        assert_eq!(room(1), 1);
    }

    #[test]
    fn the_refusal_is_a_complete_503_status() {
        let raw = String::from_utf8(refusal(7)).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let status: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!((status["kind"].as_str(), status["code"].as_u64()), (Some("Status"), Some(503)));
        assert!(status["message"].as_str().unwrap().contains("maximum of 7 connections"));
    }
}
