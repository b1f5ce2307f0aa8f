//! The function-runner runtime: a function the builtins do not serve is sent to Porch's
//! function runner (`--function-runner host:port`) over gRPC, as Porch's `grpcRuntime` does
//! (`pkg/engine/grpcruntime.go`): one `evaluator.FunctionEvaluator/EvaluateFunction` call with
//! the ResourceList as YAML and the image as kpt completed it (default prefix, `:latest`); the
//! answer's ResourceList (items and results) replaces the input. Plaintext HTTP/2, messages up to
//! `--max-request-body-size` each way.
//!
//! Every image with a name is handed to the runner: like Porch's, this runtime never answers
//! "not found" (kpt's `MultiRuntime` falls through only on that), so a runner's `NotFound` status
//! is a failed step like any other error. `exec` steps are not served here. A failed call is a
//! step that ran and exited 1 with no results and no stderr (kptdev/kpt#3628), and the pipeline
//! fails with kpt's `func eval "<image>" failed: rpc error: code = <code> desc = <message>`.
//! Like Porch, the call's `log` (the function's stderr) is not reported.
//!
//! The call blocks the thread that renders: the engine renders on tokio's blocking threads, and
//! this runtime drives its call there with the runtime handle it was built with (tokio refuses,
//! with a panic, to block an async worker thread so).

mod wire;

#[cfg(test)]
mod standin;
#[cfg(test)]
mod tests;

use std::time::Duration;

use porch_functions::ResourceList;
use porch_functions::catalog::Catalog;
use tokio::runtime::Handle;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use super::pipeline::PipelineFunction;
use super::runtime::{Exit, RunError, Runtime};

/// How long one call may take. Porch sets no deadline of its own: its call lasts as long as the
/// API request that renders, whose default limit is kube-apiserver's `--request-timeout`, 60 s.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What Go's gRPC client says when a call's deadline passes.
const DEADLINE_EXCEEDED: &str = "rpc error: code = DeadlineExceeded desc = context deadline exceeded";

/// Where Porch's function runner is and how it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FunctionRunner {
    /// `host:port` (`--function-runner`).
    pub address: String,
    /// The largest message either way, in bytes (`--max-request-body-size`, as in Porch).
    pub max_message_size: usize,
    /// How long one call may take ([`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
}

impl FunctionRunner {
    /// The runner at `address` with messages up to `max_message_size` bytes and the default
    /// timeout.
    pub(crate) fn new(address: &str, max_message_size: usize) -> Self {
        Self { address: address.to_string(), max_message_size, timeout: DEFAULT_TIMEOUT }
    }
}

/// Why a runner client could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GrpcError {
    /// The address does not make an HTTP/2 URI.
    #[error("invalid function runner address {address:?}: {reason}")]
    Address {
        /// The address given.
        address: String,
        /// Why it was refused.
        reason: String,
    },
}

/// The client of Porch's function runner, as a runtime.
#[derive(Debug)]
pub(crate) struct GrpcRunner {
    address: String,
    channel: Channel,
    handle: Handle,
    images: Catalog,
    max_message_size: usize,
    timeout: Duration,
}

impl GrpcRunner {
    /// A client of `runner`, completing images with `default_prefix` and calling from `handle`'s
    /// runtime. Connects on the first call (and again after a connection is lost).
    pub(crate) fn new(
        runner: &FunctionRunner,
        default_prefix: &str,
        handle: Handle,
    ) -> Result<Self, GrpcError> {
        let invalid = |reason: String| GrpcError::Address { address: runner.address.clone(), reason };
        let endpoint = Endpoint::from_shared(format!("http://{}", runner.address))
            .map_err(|e| invalid(e.to_string()))?
            .connect_timeout(runner.timeout);
        // The channel's worker task is spawned on `handle`'s runtime.
        let channel = {
            let _entered = handle.enter();
            endpoint.connect_lazy()
        };
        Ok(Self {
            address: runner.address.clone(),
            channel,
            handle,
            images: Catalog::new(default_prefix, false),
            max_message_size: runner.max_message_size,
            timeout: runner.timeout,
        })
    }

    /// A failed call as kpt reports it after `func eval "<image>" failed: ` (Go's
    /// `status.Error` text). A call that never reached the runner names its address.
    fn rpc_error(&self, status: &Status) -> String {
        if causes(status).any(|cause| cause.is::<tonic::TimeoutExpired>()) {
            return DEADLINE_EXCEEDED.to_string();
        }
        let code = go_code_name(status.code());
        let mut desc = status.message().to_string();
        if std::error::Error::source(status).is_some() {
            let mut texts = vec![desc];
            for cause in causes(status) {
                let text = cause.to_string();
                if !texts.iter().any(|t| t.contains(&text)) {
                    texts.push(text);
                }
            }
            // tonic's transport error says only that.
            texts.retain(|t| !t.is_empty() && t != "transport error");
            desc = format!("connection error: function runner {}: {}", self.address, texts.join(": "));
        }
        format!("rpc error: code = {code} desc = {desc}")
    }
}

/// What `status` was made from, outermost first (none for a status the runner sent).
fn causes(status: &Status) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(status), |cause| cause.source())
}

/// A step that ran and failed with `error`, as a failed gRPC call is recorded.
fn failed(error: String) -> Exit {
    Exit { code: 1, stderr: String::new(), error }
}

impl Runtime for GrpcRunner {
    fn run(&self, function: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
        if function.image.is_empty() {
            return Err(RunError::NotFound);
        }
        let image = self.images.complete(&function.image);
        let request = wire::EvaluateFunctionRequest {
            resource_list: list.to_text().into_bytes(),
            image: image.clone(),
        };
        let call = wire::evaluate(self.channel.clone(), self.max_message_size, self.timeout, request);
        let response = match self.handle.block_on(tokio::time::timeout(self.timeout, call)) {
            Err(_elapsed) => return Ok(failed(DEADLINE_EXCEEDED.to_string())),
            Ok(Err(status)) => return Ok(failed(self.rpc_error(&status))),
            Ok(Ok(response)) => response,
        };
        if !response.log.is_empty() {
            let bytes = response.log.len();
            tracing::debug!(image = %image, bytes, "the function logged to stderr (not reported)");
        }
        let output = std::str::from_utf8(&response.resource_list)
            .map_err(|e| e.to_string())
            .and_then(|text| ResourceList::parse(text).map_err(|e| e.to_string()));
        match output {
            Ok(output) => {
                *list = output;
                Ok(Exit::default())
            }
            Err(e) => Ok(failed(format!("the function runner's output is not a ResourceList: {e}"))),
        }
    }

    fn name(&self) -> &'static str {
        "grpc"
    }
}

/// `code` as Go's `codes.Code.String()` writes it.
fn go_code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}
