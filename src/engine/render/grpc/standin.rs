//! A stand-in for Porch's function runner in tests (the real one runs functions in pods): a
//! gRPC server on 127.0.0.1 speaking `evaluator.FunctionEvaluator` with tonic's server codec over
//! hyper's HTTP/2. What it does depends on the image:
//!
//! - `example.com/fn/stamp:v1`: annotates every item `example.com/stamped: "true"`, reports one
//!   info result `stamped <n> resources` and logs `stamping` (stderr);
//! - `example.com/fn/fail:v1`: `Internal`, worded as Porch's wrapper server words a function
//!   that exited non-zero;
//! - `example.com/fn/missing:v1`: `NotFound`, as Porch's runner answers an image no evaluator
//!   has;
//! - `example.com/fn/slow:v1`: answers after 5 s;
//! - `example.com/fn/garbage:v1`: answers bytes that are not a ResourceList;
//! - anything else: answers its input unchanged.
//!
//! Every image asked for is recorded, in order.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use porch_functions::ResourceList;
use porch_krm::{Node, annotations};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tonic::{Request, Response, Status};

use super::wire::{EvaluateFunctionRequest, EvaluateFunctionResponse, PATH};

/// A running stand-in; stops when dropped.
#[derive(Debug)]
pub(super) struct StandIn {
    /// `127.0.0.1:<port>`.
    pub(super) address: String,
    /// The images asked for, in order.
    pub(super) images: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    /// Starts a stand-in on a free port of 127.0.0.1.
    pub(super) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local address").to_string();
        let images = Arc::new(Mutex::new(Vec::new()));
        let seen = images.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
                        let seen = seen.clone();
                        async move { Ok::<_, Infallible>(serve(request, seen).await) }
                    });
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { address, images, task }
    }

    /// The images asked for so far.
    pub(super) fn images(&self) -> Vec<String> {
        self.images.lock().expect("images lock").clone()
    }
}

/// One HTTP/2 request: `EvaluateFunction`, or `Unimplemented` for any other path.
async fn serve(
    request: http::Request<Incoming>,
    seen: Arc<Mutex<Vec<String>>>,
) -> http::Response<tonic::body::Body> {
    if request.uri().path() != PATH {
        return Status::unimplemented(request.uri().path().to_string()).into_http();
    }
    let codec = tonic_prost::ProstCodec::<EvaluateFunctionResponse, EvaluateFunctionRequest>::default();
    let method = tower::service_fn(move |call: Request<EvaluateFunctionRequest>| {
        let seen = seen.clone();
        async move {
            let call = call.into_inner();
            seen.lock().expect("images lock").push(call.image.clone());
            evaluate(call).await.map(Response::new)
        }
    });
    tonic::server::Grpc::new(codec).unary(method, request).await
}

/// What the stand-in answers for `call` (see the module documentation).
async fn evaluate(call: EvaluateFunctionRequest) -> Result<EvaluateFunctionResponse, Status> {
    let echo = EvaluateFunctionResponse { resource_list: call.resource_list.clone(), log: Vec::new() };
    match call.image.as_str() {
        "example.com/fn/stamp:v1" => {
            let text =
                String::from_utf8(call.resource_list).map_err(|e| Status::invalid_argument(e.to_string()))?;
            let mut list = ResourceList::parse(&text).map_err(|e| Status::invalid_argument(e.to_string()))?;
            for item in &mut list.items {
                annotations::set(item, "example.com/stamped", "true")
                    .map_err(|e| Status::internal(e.to_string()))?;
            }
            let mut result = Node::mapping();
            let message = format!("stamped {} resources", list.items.len());
            result.set("message", Node::string(message)).map_err(|e| Status::internal(e.to_string()))?;
            result.set("severity", Node::string("info")).map_err(|e| Status::internal(e.to_string()))?;
            let mut results = Node::sequence();
            results.push(result).map_err(|e| Status::internal(e.to_string()))?;
            list.results = Some(results);
            Ok(EvaluateFunctionResponse {
                resource_list: list.to_text().into_bytes(),
                log: b"stamping".to_vec(),
            })
        }
        "example.com/fn/fail:v1" => Err(Status::internal(
            "failed to evaluate function \"example.com/fn/fail:v1\" with structured results: [error]: bad \
             input and stderr: boom",
        )),
        "example.com/fn/missing:v1" => {
            Err(Status::not_found("function \"example.com/fn/missing:v1\" not found"))
        }
        "example.com/fn/slow:v1" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(echo)
        }
        "example.com/fn/garbage:v1" => {
            Ok(EvaluateFunctionResponse { resource_list: b"kind: Pod\n".to_vec(), log: Vec::new() })
        }
        _ => Ok(echo),
    }
}
