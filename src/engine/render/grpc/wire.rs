//! The function runner's gRPC service as Porch defines it (`func/evaluator/evaluator.proto`,
//! package `evaluator`): `FunctionEvaluator.EvaluateFunction`, one unary call per function run.
//! The messages are written out by hand (no protoc here); the field numbers are the proto's.

use std::time::Duration;

use http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic::{GrpcMethod, Request, Status};

/// The gRPC service name (`<package>.<service>`).
pub(crate) const SERVICE: &str = "evaluator.FunctionEvaluator";

/// The method name.
pub(crate) const METHOD: &str = "EvaluateFunction";

/// The HTTP/2 path of the call.
pub(crate) const PATH: &str = "/evaluator.FunctionEvaluator/EvaluateFunction";

/// `EvaluateFunctionRequest`: the function's input and which function to run.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct EvaluateFunctionRequest {
    /// The serialized ResourceList (YAML).
    #[prost(bytes = "vec", tag = "1")]
    pub resource_list: Vec<u8>,
    /// The image of the function, as kpt completed it.
    #[prost(string, tag = "2")]
    pub image: String,
}

/// `EvaluateFunctionResponse`: the function's output.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct EvaluateFunctionResponse {
    /// The serialized ResourceList the function wrote, results included.
    #[prost(bytes = "vec", tag = "1")]
    pub resource_list: Vec<u8>,
    /// What else the function logged (its stderr).
    #[prost(bytes = "vec", tag = "2")]
    pub log: Vec<u8>,
}

/// One `EvaluateFunction` call on `channel`: messages up to `max_message_size` bytes each way,
/// `timeout` sent as the call's `grpc-timeout` (the caller enforces it on its side).
pub(crate) async fn evaluate(
    channel: Channel,
    max_message_size: usize,
    timeout: Duration,
    request: EvaluateFunctionRequest,
) -> Result<EvaluateFunctionResponse, Status> {
    let mut grpc = tonic::client::Grpc::new(channel)
        .max_decoding_message_size(max_message_size)
        .max_encoding_message_size(max_message_size);
    grpc.ready().await.map_err(|e| Status::from_error(Box::new(e)))?;
    let mut request = Request::new(request);
    request.set_timeout(timeout);
    request.extensions_mut().insert(GrpcMethod::new(SERVICE, METHOD));
    let codec = tonic_prost::ProstCodec::<EvaluateFunctionRequest, EvaluateFunctionResponse>::default();
    let response = grpc.unary(request, PathAndQuery::from_static(PATH), codec).await?;
    Ok(response.into_inner())
}
