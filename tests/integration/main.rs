//! Integration tests of porch-server, in-process through the library (`porch_server::App`): the
//! kube-rs client and watcher over the server's own tower service, restarts on the same data
//! directory, and HTTP-level behaviour over a real loopback socket.
//!
//! One test binary (modules below) so that the server is linked once.

#[path = "../support/app.rs"]
mod app_support;
#[path = "../support/served.rs"]
mod served;

mod common;
mod connections;
mod credentials;
mod http;
mod pipeline;
mod reads;
mod restart;
mod stored_data;
mod watch;
