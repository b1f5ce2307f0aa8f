//! Integration tests of the package engine through the API, in-process: the kube-rs client
//! over the server's own tower service, real git remotes made by the tests (`file://` and
//! `git daemon` on 127.0.0.1).
//!
//! One test binary (modules below) so that the server is linked once.

#[path = "../support/app.rs"]
mod app_support;
#[path = "../support/http.rs"]
mod http_support;
#[path = "../support/git.rs"]
mod support;

mod comments;
mod common;
mod concurrency;
mod errors;
mod exec;
mod function_runner;
mod lifecycle;
mod lists;
mod metadata;
mod package_rules;
mod render;
mod slow_remotes;
mod sync;
mod validation;
mod watch;
