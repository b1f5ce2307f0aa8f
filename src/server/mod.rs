//! The HTTP front: hyper + tower, routing, discovery, OpenAPI, watch encoding.
//!
//! A request flows through the stack built in [`stack`]: tracing, metrics, then the
//! [`handler`], which parses it once into an `ApiRequest` and hands it to discovery, health,
//! OpenAPI or a resource's REST storage.

pub(crate) mod auth;
mod body;
mod discovery;
mod handler;
pub(crate) mod loopback;
mod metrics;
mod negotiate;
pub(crate) mod openapi;
mod partial;
mod protobuf;
mod request;
mod resource_stack;
pub(crate) mod resources;
mod response;
pub(crate) mod serve;
mod stack;
pub(crate) mod state;
pub(crate) mod trace;
mod watch;
mod woken;

pub use response::ResponseBody;
pub(crate) use serve::{ConnectionLimits, serve};
pub use stack::ApiStack;
pub(crate) use stack::build;
