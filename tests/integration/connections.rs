//! Connections are bounded (issue 10, D7), over raw sockets against the real server: slow or
//! silent clients are closed after the header-read timeout, slow bodies get a 408, idle
//! keep-alive connections are closed while watches live on, `/readyz` answers with 1,000 idle
//! sockets open, and connections over the cap get a 503. The timeouts are set to a second; every
//! "closed" is checked against a generous bound, never a precise time.

use crate::common::STEP;
use crate::http::{REPOS, Served, parse, raw_request, repository};
use porch_server::Config;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// How long the server may take to close a connection its timeouts apply to (they are 1 s here).
const BOUND: Duration = Duration::from_secs(10);
/// The timeouts of these tests.
const SECOND: Duration = Duration::from_secs(1);

/// The default configuration changed by `change`.
fn config(change: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::with_data_dir("set-by-Served");
    change(&mut config);
    config
}

/// Reads until the server closes the connection (end of stream or reset) and returns what it
/// sent; panics if it is still open after [`BOUND`].
async fn until_closed(stream: &mut (impl AsyncRead + Unpin), what: &str) -> Vec<u8> {
    let mut got = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            got.extend_from_slice(&buf[..n]);
        }
    };
    if tokio::time::timeout(BOUND, read_all).await.is_err() {
        panic!("{what}: the server did not close the connection within {BOUND:?}");
    }
    got
}

/// Opens a connection and sends `bytes` one at a time, `pause` apart, in the background (until
/// the server closes it); returns the reading half.
async fn trickle(s: &Served, bytes: Vec<u8>, pause: Duration) -> tokio::net::tcp::OwnedReadHalf {
    let (read, mut write) = TcpStream::connect(s.addr).await.expect("connecting").into_split();
    tokio::spawn(async move {
        for b in bytes {
            if write.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(pause).await;
        }
    });
    read
}

#[tokio::test]
async fn silent_and_slow_header_clients_are_closed_after_the_header_read_timeout() {
    let s = Served::start_with(config(|c| c.header_read_timeout = SECOND)).await;
    let mut silent = TcpStream::connect(s.addr).await.unwrap();
    // 60 bytes at 5 per second: a complete head would take 12 s.
    let head = format!("GET /readyz HTTP/1.1\r\nHost: x\r\nX-Slow: {}\r\n\r\n", "a".repeat(20)).into_bytes();
    assert!(head.len() >= 60);
    let mut slow = trickle(&s, head, Duration::from_millis(200)).await;
    let started = Instant::now();
    until_closed(&mut silent, "a client that sends nothing").await;
    let answer = until_closed(&mut slow, "a client trickling its headers").await;
    assert!(!answer.starts_with(b"HTTP/1.1 200"), "the trickled request was never served");
    assert!(started.elapsed() < BOUND);
    // Everyone else is served meanwhile.
    assert_eq!(s.get("/readyz", "*/*").await.status, 200);
    s.shutdown().await;
}

#[tokio::test]
async fn slow_and_short_bodies_are_answered_408_and_closed() {
    let s = Served::start_with(config(|c| c.body_read_timeout = SECOND)).await;
    let head = |len: usize| {
        format!(
            "POST {REPOS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
        )
    };
    // Declares 100 bytes, sends 7, then nothing.
    let mut short = TcpStream::connect(s.addr).await.unwrap();
    short.write_all(format!("{}{{\"a\":1,", head(100)).as_bytes()).await.unwrap();
    let st = parse(&until_closed(&mut short, "a body shorter than declared").await).status_body(408);
    assert_eq!(st["reason"], "Timeout", "{st}");

    // A whole body, one byte every 200 ms: 20 s for all of it.
    let body = serde_json::to_vec(&repository("slow")).unwrap();
    let mut bytes = head(body.len()).into_bytes();
    let head_len = bytes.len();
    bytes.extend_from_slice(&body);
    let (mut read, mut write) = TcpStream::connect(s.addr).await.unwrap().into_split();
    write.write_all(&bytes[..head_len]).await.unwrap();
    let rest = bytes[head_len..].to_vec();
    tokio::spawn(async move {
        for b in rest {
            if write.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    parse(&until_closed(&mut read, "a body sent a byte at a time").await).status_body(408);
    s.get(&format!("{REPOS}/slow"), "application/json").await.status_body(404);
    s.shutdown().await;
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed_but_watches_live_on() {
    let s = Served::start_with(config(|c| {
        c.header_read_timeout = SECOND;
        c.idle_connection_timeout = SECOND;
    }))
    .await;
    let mut kept = TcpStream::connect(s.addr).await.unwrap();
    kept.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let answer = until_closed(&mut kept, "an idle keep-alive connection").await;
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));

    let mut watch = TcpStream::connect(s.addr).await.unwrap();
    let request = format!("GET {REPOS}?watch=1&allowWatchBookmarks=false HTTP/1.1\r\nHost: x\r\n\r\n");
    watch.write_all(request.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(STEP, watch.read(&mut buf)).await.expect("the watch answers").unwrap();
        assert!(n > 0, "the watch was closed before it started");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(seen.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&seen));
    // Quiet for four times every timeout, then an event still arrives.
    tokio::time::sleep(4 * SECOND).await;
    assert_eq!(s.post_json(REPOS, &repository("watched")).await.status, 201);
    let deadline = Instant::now() + STEP;
    while !String::from_utf8_lossy(&seen).contains("\"watched\"") {
        let n = tokio::time::timeout_at(deadline, watch.read(&mut buf))
            .await
            .expect("the event arrives")
            .unwrap();
        assert!(n > 0, "the watch was cut: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    s.shutdown().await;
}

#[tokio::test]
async fn readyz_answers_while_1000_idle_sockets_are_open() {
    let s = Served::start().await;
    let mut idle = Vec::with_capacity(1000);
    for _ in 0..1000 {
        idle.push(TcpStream::connect(s.addr).await.expect("connecting an idle socket"));
    }
    let r = s.get("/readyz", "*/*").await;
    assert_eq!((r.status, r.body.as_slice()), (200, b"ok".as_slice()));
    assert_eq!(s.get(REPOS, "application/json").await.status, 200);
    drop(idle);
    s.shutdown().await;
}

#[tokio::test]
async fn connections_over_the_cap_get_503_until_one_closes() {
    let s = Served::start_with(config(|c| c.max_connections = 3)).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(s.addr).await.unwrap());
    }
    // Accepted in order, so the fourth finds the three slots taken.
    let mut extra = TcpStream::connect(s.addr).await.unwrap();
    let refused = parse(&until_closed(&mut extra, "a connection over the cap").await);
    let st = refused.status_body(503);
    assert_eq!(st["reason"], "ServiceUnavailable", "{st}");
    assert!(st["message"].as_str().unwrap().contains("maximum of 3 connections"), "{st}");
    assert_eq!(refused.header("retry-after"), Some("1"));

    drop(held.pop());
    let deadline = Instant::now() + BOUND;
    loop {
        let r = raw_request(s.addr, "GET", "/readyz", &[], b"").await;
        if r.status == 200 {
            break;
        }
        assert_eq!(r.status, 503);
        assert!(Instant::now() < deadline, "the freed slot is never used");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s.shutdown().await;
}
