//! The function-runner runtime against a stand-in runner ([`StandIn`]): renders through the
//! builtins then gRPC, on a blocking thread as the engine runs them.

use std::sync::Arc;
use std::time::Duration;

use super::standin::StandIn;
use super::{FunctionRunner, GrpcRunner};
use crate::engine::render::{Functions, RenderRequest, Rendered, render};
use crate::engine::{EngineError, Files};

const PREFIX: &str = "ghcr.io/kptdev/krm-functions-catalog/";

const DETAILS: &str = "error rendering package in kpt function pipeline. Package NOT pushed to remote. Fix \
                       locally (until 'kpt fn render' succeeds) and retry. Details: fn.render: pkg .:\n\t\
                       pkg.render:\n\tpipeline.run: ";

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # the web tier\nspec:\n  \
                          replicas: 2\n";

/// The builtins then a runner at `address`.
fn functions(address: &str, timeout: Duration) -> Arc<Functions> {
    let runner = FunctionRunner { address: address.to_string(), max_message_size: 6 << 20, timeout };
    let grpc = GrpcRunner::new(&runner, PREFIX, tokio::runtime::Handle::current()).unwrap();
    Arc::new(Functions::chain(PREFIX, None, Some(grpc)))
}

/// A package whose Kptfile runs `mutators` (`image` or `exec: …` lines) over one Deployment.
fn package(mutators: &[&str]) -> Files {
    let mut kptfile = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\n  annotations:\n    \
                       config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n"
        .to_string();
    for m in mutators {
        if m.starts_with("exec: ") {
            kptfile.push_str(&format!("  - {m}\n"));
        } else {
            kptfile.push_str(&format!("  - image: {m}\n    configMap:\n      namespace: prod\n"));
        }
    }
    [("Kptfile", kptfile.as_str()), ("deployment.yaml", DEPLOYMENT)]
        .into_iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect()
}

/// Renders `files` on a blocking thread.
async fn render_blocking(files: Files, functions: &Arc<Functions>) -> Result<Rendered, EngineError> {
    let functions = functions.clone();
    tokio::task::spawn_blocking(move || render(&files, &functions, RenderRequest::Resources)).await.unwrap()
}

fn text(files: &Files, path: &str) -> String {
    String::from_utf8(files[path].clone()).unwrap()
}

/// The message and the status of a failed render.
fn failure(result: Result<Rendered, EngineError>) -> (String, porch_api::porch::RenderStatus, Files) {
    match result {
        Err(EngineError::RenderFailed { message, status, failed }) => (message, *status, failed.files),
        other => panic!("expected RenderFailed, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_the_builtins_do_not_serve_runs_on_the_function_runner() {
    let runner = StandIn::start().await;
    let functions = functions(&runner.address, Duration::from_secs(10));
    let out = render_blocking(package(&["example.com/fn/stamp:v1"]), &functions).await.unwrap();
    assert_eq!(
        text(&out.files, "deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # the web tier\n  annotations:\n    \
         example.com/stamped: \"true\"\nspec:\n  replicas: 2\n"
    );
    let kptfile = text(&out.files, "Kptfile");
    assert!(kptfile.contains("example.com/stamped: \"true\""), "the Kptfile is an item too: {kptfile}");
    assert!(kptfile.contains("reason: RenderSuccess"), "{kptfile}");
    assert!(kptfile.contains("image: example.com/fn/stamp:v1"), "{kptfile}");
    assert_eq!(runner.images(), ["example.com/fn/stamp:v1"]);

    let status = &out.status;
    assert_eq!((status.error.as_str(), status.result.exit_code), ("", 0));
    let step = &status.result.items[0];
    assert_eq!((step.image.as_str(), step.exit_code), ("example.com/fn/stamp:v1", 0));
    // As in Porch, the call's log is not reported.
    assert_eq!(step.stderr, "");
    assert_eq!(step.results.len(), 1);
    assert_eq!(
        (step.results[0].message.as_str(), step.results[0].severity.as_str()),
        ("stamped 2 resources", "info")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtins_serve_their_pinned_images_first_and_floating_tags_go_to_the_runner() {
    let runner = StandIn::start().await;
    let functions = functions(&runner.address, Duration::from_secs(10));
    let input = package(&["set-namespace:v0.4", "set-namespace", "example.com/fn/set-namespace:v0.4"]);
    let out = render_blocking(input, &functions).await.unwrap();
    assert!(text(&out.files, "deployment.yaml").contains("namespace: prod"));
    // The builtin ran the pinned tag; the runner was asked for the completed names of the others.
    assert_eq!(
        runner.images(),
        ["ghcr.io/kptdev/krm-functions-catalog/set-namespace:latest", "example.com/fn/set-namespace:v0.4"]
    );
    let images: Vec<_> = out.status.result.items.iter().map(|i| i.image.as_str()).collect();
    assert_eq!(
        images,
        [
            "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4",
            "ghcr.io/kptdev/krm-functions-catalog/set-namespace:latest",
            "example.com/fn/set-namespace:v0.4"
        ]
    );
    assert!(!out.status.result.items[0].results.is_empty(), "the builtin's results");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_that_fails_on_the_runner_fails_the_render_with_the_rpc_error() {
    let runner = StandIn::start().await;
    let functions = functions(&runner.address, Duration::from_secs(10));
    let (message, status, failed) =
        failure(render_blocking(package(&["example.com/fn/fail:v1"]), &functions).await);
    let error = "func eval \"example.com/fn/fail:v1\" failed: rpc error: code = Internal desc = failed to evaluate \
                 function \"example.com/fn/fail:v1\" with structured results: [error]: bad input and stderr: boom";
    assert_eq!(message, format!("{DETAILS}{error}"));
    assert_eq!(status.result.exit_code, 1);
    let step = &status.result.items[0];
    // A step that ran and exited 1, with no results (kptdev/kpt#3628).
    assert_eq!(
        (step.image.as_str(), step.exit_code, step.stderr.as_str()),
        ("example.com/fn/fail:v1", 1, "")
    );
    assert!(step.results.is_empty());
    assert_eq!(failed["deployment.yaml"], DEPLOYMENT.as_bytes());
    assert!(text(&failed, "Kptfile").contains("reason: RenderFailed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runners_not_found_is_a_failed_step_not_a_fall_through() {
    let runner = StandIn::start().await;
    let functions = functions(&runner.address, Duration::from_secs(10));
    let (message, status, _) =
        failure(render_blocking(package(&["example.com/fn/missing:v1"]), &functions).await);
    assert!(
        message.ends_with(
            "func eval \"example.com/fn/missing:v1\" failed: rpc error: code = NotFound desc = function \
             \"example.com/fn/missing:v1\" not found"
        ),
        "{message}"
    );
    assert_eq!(status.result.items[0].exit_code, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_steps_are_not_sent_to_the_runner() {
    let runner = StandIn::start().await;
    let functions = functions(&runner.address, Duration::from_secs(10));
    let (message, status, _) = failure(render_blocking(package(&["exec: ./fn"]), &functions).await);
    assert!(
        message.ends_with("must run with `--allow-exec` option to allow running function binaries"),
        "{message}"
    );
    assert!(status.result.items.is_empty());
    assert!(runner.images().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_runner_is_named_in_the_failure() {
    // A port that was free a moment ago: nothing listens there.
    let address = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let functions = functions(&address, Duration::from_secs(10));
    let (message, status, _) =
        failure(render_blocking(package(&["example.com/fn/stamp:v1"]), &functions).await);
    let expected = format!(
        "func eval \"example.com/fn/stamp:v1\" failed: rpc error: code = Unavailable desc = connection error: \
         function runner {address}: "
    );
    assert!(message.contains(&expected), "{message}");
    assert!(message.ends_with("tcp connect error: Connection refused (os error 111)"), "{message}");
    assert_eq!(status.result.items[0].exit_code, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_its_deadline_fails_as_go_reports_it() {
    let runner = StandIn::start().await;
    let functions = functions(&runner.address, Duration::from_millis(300));
    let started = std::time::Instant::now();
    let (message, _, _) = failure(render_blocking(package(&["example.com/fn/slow:v1"]), &functions).await);
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    assert!(
        message.ends_with(
            "func eval \"example.com/fn/slow:v1\" failed: rpc error: code = DeadlineExceeded desc = context \
             deadline exceeded"
        ),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_is_not_a_resource_list_fails_the_step() {
    let runner = StandIn::start().await;
    let functions = functions(&runner.address, Duration::from_secs(10));
    let (message, status, _) =
        failure(render_blocking(package(&["example.com/fn/garbage:v1"]), &functions).await);
    assert!(
        message.contains(
            "func eval \"example.com/fn/garbage:v1\" failed: the function runner's output is not a ResourceList: "
        ),
        "{message}"
    );
    assert_eq!(status.result.items[0].exit_code, 1);
}
