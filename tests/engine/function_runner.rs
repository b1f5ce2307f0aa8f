//! Render with a function runner (`--function-runner`): a PackageRevisionResources update whose
//! Kptfile names a builtin and an image the builtins do not serve runs the first in-process and
//! the second on the runner, and stores the result; a function the runner fails fails the update
//! with kpt's `func eval … failed: rpc error: …` and stores nothing.
//!
//! Porch's function runner runs functions in pods, so a stand-in speaks its gRPC service here
//! (`evaluator.FunctionEvaluator/EvaluateFunction`, tonic's server codec over hyper's HTTP/2):
//! `example.com/fn/stamp:v1` annotates every item `example.com/stamped: "true"`, any other image
//! fails with `Internal`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use kube::api::PostParams;
use porch_krm::{ResourceList, annotations};
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};

use super::common::{Env, api_error};

/// `evaluator.EvaluateFunctionRequest` (Porch's `func/evaluator/evaluator.proto`).
#[derive(Clone, PartialEq, prost::Message)]
struct EvaluateFunctionRequest {
    #[prost(bytes = "vec", tag = "1")]
    resource_list: Vec<u8>,
    #[prost(string, tag = "2")]
    image: String,
}

/// `evaluator.EvaluateFunctionResponse`.
#[derive(Clone, PartialEq, prost::Message)]
struct EvaluateFunctionResponse {
    #[prost(bytes = "vec", tag = "1")]
    resource_list: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    log: Vec<u8>,
}

/// Starts the stand-in runner on 127.0.0.1; its address and the images it was asked for.
async fn start_runner() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let images = Arc::new(Mutex::new(Vec::new()));
    let seen = images.clone();
    tokio::spawn(async move {
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
    (address, images)
}

async fn serve(
    request: http::Request<Incoming>,
    seen: Arc<Mutex<Vec<String>>>,
) -> http::Response<tonic::body::Body> {
    if request.uri().path() != "/evaluator.FunctionEvaluator/EvaluateFunction" {
        return Status::unimplemented(request.uri().path().to_string()).into_http();
    }
    let codec = tonic_prost::ProstCodec::<EvaluateFunctionResponse, EvaluateFunctionRequest>::default();
    let method = tower::service_fn(move |call: Request<EvaluateFunctionRequest>| {
        let call = call.into_inner();
        seen.lock().unwrap().push(call.image.clone());
        async move { evaluate(call).map(Response::new) }
    });
    tonic::server::Grpc::new(codec).unary(method, request).await
}

fn evaluate(call: EvaluateFunctionRequest) -> Result<EvaluateFunctionResponse, Status> {
    if call.image != "example.com/fn/stamp:v1" {
        return Err(Status::internal(format!("failed to evaluate function {:?}: exit status 1", call.image)));
    }
    let text = String::from_utf8(call.resource_list).map_err(|e| Status::invalid_argument(e.to_string()))?;
    let mut list = ResourceList::parse(&text).map_err(|e| Status::invalid_argument(e.to_string()))?;
    for item in &mut list.items {
        annotations::set(item, "example.com/stamped", "true").map_err(|e| Status::internal(e.to_string()))?;
    }
    Ok(EvaluateFunctionResponse { resource_list: list.to_text().into_bytes(), log: b"stamping".to_vec() })
}

fn kptfile(images: &[&str]) -> String {
    let mut text = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\n  annotations:\n    \
                    config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n"
        .to_string();
    for image in images {
        text.push_str(&format!("  - image: {image}\n    configMap:\n      namespace: prod\n"));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_the_builtins_do_not_serve_run_on_the_function_runner() {
    let (address, images) = start_runner().await;
    let env = Env::with(|c| c.function_runner = address.clone());
    env.register_empty("deploy").await;
    env.init("deploy", "app", "v1").await;
    let name = "deploy.app.v1";
    let mut prr = env.prrs().get(name).await.unwrap();
    prr.spec.resources.insert("Kptfile".into(), kptfile(&["set-namespace:v0.4", "example.com/fn/stamp:v1"]));
    prr.spec.resources.insert(
        "deployment.yaml".into(),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n".into(),
    );
    let rendered = env.prrs().replace(name, &PostParams::default(), &prr).await.unwrap();
    // kpt's own annotations were there while the functions ran, so the namespace comes after them.
    let expected = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    \
                    example.com/stamped: \"true\"\n  namespace: prod\nspec:\n  replicas: 2\n";
    assert_eq!(rendered.spec.resources["deployment.yaml"], expected);
    // The builtin ran set-namespace; only the other image went to the runner.
    assert_eq!(*images.lock().unwrap(), ["example.com/fn/stamp:v1"]);
    let status = &rendered.status.render_status;
    assert_eq!(status.error, "");
    let steps: Vec<_> =
        status.result.items.iter().map(|i| (i.image.as_str(), i.exit_code, i.stderr.as_str())).collect();
    assert_eq!(
        steps,
        [
            ("ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4", 0, ""),
            ("example.com/fn/stamp:v1", 0, "")
        ]
    );
    let stored = env.prrs().get(name).await.unwrap();
    assert_eq!(stored.spec.resources["deployment.yaml"], expected);

    // A function the runner fails fails the update; nothing is stored.
    let mut prr = stored.clone();
    prr.spec.resources.insert("Kptfile".into(), kptfile(&["example.com/fn/broken:v1"]));
    let err = api_error(env.prrs().replace(name, &PostParams::default(), &prr).await);
    assert!(
        err.message.ends_with(
            "pipeline.run: func eval \"example.com/fn/broken:v1\" failed: rpc error: code = Internal desc = failed \
             to evaluate function \"example.com/fn/broken:v1\": exit status 1"
        ),
        "{}",
        err.message
    );
    assert_eq!(env.prrs().get(name).await.unwrap().spec.resources, stored.spec.resources);
}
