//! The floor of watch delivery: a minimal server that does only what any server must do to deliver
//! one event to W watches over HTTP/1.1 — one chunk written to each watch's socket — measured in
//! the same run as porch-server, with the same client. It runs as a child process (this bench's
//! own binary, re-run with [`FLOOR_ENV`] set), so that its CPU time is read like the server's.
//!
//! Connections are served in the order they come, each request head read before the next
//! connection is taken: the writer connects once its watches are established. Protocol: any GET
//! is a watch, answered with a chunked `200` head and kept; a POST's body is an
//! event line, acknowledged with `200 {}` at once and then written as one chunk to every watch,
//! the watches split between two threads (the machine's cores). No parsing of the event, no
//! per-watch task, no wake-ups: the kernel's cost of the writes and little more.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// Set in the environment of the child that serves the floor.
pub(crate) const FLOOR_ENV: &str = "BENCH_FANOUT_FLOOR";

/// The floor server, a child process; killed when dropped.
pub(crate) struct Floor {
    child: Child,
    /// `host:port` it listens on.
    pub(crate) addr: String,
}

impl Floor {
    /// Starts this binary as the floor server and reads the address it listens on.
    pub(crate) fn start() -> Floor {
        let exe = std::env::current_exe().expect("the bench's own binary");
        let mut child = Command::new(exe)
            .env(FLOOR_ENV, "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the fan-out floor server");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("the floor's stdout");
        BufReader::new(stdout).read_line(&mut line).expect("reading the floor's address");
        Floor { child, addr: line.trim().to_string() }
    }

    pub(crate) fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// In the child started by [`Floor::start`]: serves the floor and never returns. Elsewhere: returns
/// at once.
pub(crate) fn serve_if_floor() {
    if std::env::var_os(FLOOR_ENV).is_none() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
    println!("{}", listener.local_addr().expect("the bound address"));
    std::io::stdout().flush().expect("printing the address");
    let watches: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let mut reader = BufReader::new(stream);
        let Some(head) = request_head(&mut reader) else { continue };
        if head.method == "POST" {
            let watches = watches.clone();
            // The writer's keep-alive connection (its reader may hold the body already): its
            // requests are read on a thread of its own.
            std::thread::spawn(move || control(reader, head, &watches));
        } else {
            let mut stream = reader.into_inner();
            let answered = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            if answered.is_ok() {
                watches.lock().unwrap_or_else(|e| e.into_inner()).push(stream);
            }
        }
    }
    std::process::exit(0);
}

/// A request's method and body length.
struct RequestHead {
    method: String,
    length: usize,
}

/// Reads one request head; `None` at the end of the connection or on garbage.
fn request_head(reader: &mut BufReader<TcpStream>) -> Option<RequestHead> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let method = line.split(' ').next()?.to_string();
    let mut length = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            return Some(RequestHead { method, length });
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
}

/// Serves the writer's connection: each POST's body is acknowledged, then fanned out.
fn control(mut reader: BufReader<TcpStream>, first: RequestHead, watches: &Mutex<Vec<TcpStream>>) {
    let mut head = Some(first);
    while let Some(RequestHead { length, .. }) = head {
        let mut event = vec![0; length];
        if reader.read_exact(&mut event).is_err() {
            return;
        }
        let ack = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        if reader.get_mut().write_all(ack).is_err() {
            return;
        }
        let mut chunk = format!("{:x}\r\n", event.len() + 1).into_bytes();
        chunk.extend_from_slice(&event);
        chunk.extend_from_slice(b"\n\r\n");
        fan_out(&chunk, &mut watches.lock().unwrap_or_else(|e| e.into_inner()));
        head = request_head(&mut reader);
    }
}

/// Writes `chunk` to every watch, half of them on another thread; drops the watches that fail.
fn fan_out(chunk: &[u8], watches: &mut Vec<TcpStream>) {
    let half = watches.len() / 2;
    let (first, second) = watches.split_at_mut(half);
    let write_all = |part: &mut [TcpStream]| -> Vec<bool> {
        part.iter_mut().map(|stream| stream.write_all(chunk).is_ok()).collect()
    };
    let (a, b) = std::thread::scope(|scope| {
        let other = scope.spawn(|| write_all(first));
        let b = write_all(second);
        (other.join().expect("a fan-out thread"), b)
    });
    let mut alive = a.into_iter().chain(b);
    watches.retain(|_| alive.next().unwrap_or(false));
}
