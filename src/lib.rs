//! porch-server: the Porch API server in Rust.
//!
//! Standalone by default: plain HTTP on loopback with the embedded CR store (see `DESIGN.md`).
//! [`App`] is the server as a value; `main.rs` only parses flags, sets up logging and metrics,
//! and runs it.

mod app;
#[doc(hidden)]
pub mod bench;
pub mod cache;
mod config;
pub mod crdstore;
mod engine;
mod error_chain;
mod events;
mod freshness;
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod json_object;
pub mod logging;
mod metadata;
pub mod metrics;
mod own_thread;
mod rest;
mod rv_window;
mod server;
mod standalone;
mod time;
mod version;

pub use app::{App, StartError};
pub use config::{Config, LogFormat, Mode};
pub use rv_window::EventBudget;
pub use server::{ApiStack, ResponseBody};
