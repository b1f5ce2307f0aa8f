//! Render with `--allow-exec`: FunctionConfigs created through the API name function binaries
//! (shell scripts written by the test, below `--functions-dir`), and a PackageRevisionResources
//! update whose Kptfile names their images runs them: the output is stored, a failing binary
//! fails the update with Porch's message and its stderr, a deleted FunctionConfig no longer
//! serves its image, and without `--allow-exec` nothing is run.

use std::path::Path;
use std::time::Duration;

use kube::Api;
use kube::api::{DeleteParams, PostParams};
use porch_api::FunctionConfig;
use porch_api::PackageRevisionResources;
use serde_json::json;

use super::common::{Env, NS, api_error};

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # the web tier\nspec:\n  \
                          replicas: 2\n";

fn kptfile(image: &str) -> String {
    format!(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\n  annotations:\n    \
         config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n  - image: {image}\n"
    )
}

/// An executable shell script `name` in `dir` (the function binary; the server runs it
/// directly).
fn script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn function_config(name: &str, path: &str) -> FunctionConfig {
    serde_json::from_value(json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1",
        "kind": "FunctionConfig",
        "metadata": {"name": name},
        "spec": {
            "image": name,
            "prefixes": ["example.com/fns"],
            "binaryExecutor": {"tags": ["v1"], "path": path},
        },
    }))
    .unwrap()
}

/// A draft `deploy.app.v1` with the Deployment; its resources.
async fn draft(env: &Env) -> PackageRevisionResources {
    env.register_empty("deploy").await;
    env.init("deploy", "app", "v1").await;
    let mut prr = env.prrs().get("deploy.app.v1").await.unwrap();
    prr.spec.resources.insert("deployment.yaml".into(), DEPLOYMENT.into());
    env.prrs().replace("deploy.app.v1", &PostParams::default(), &prr).await.unwrap()
}

/// Replaces the resources with a Kptfile running `image`, again while the server answers
/// `function … not found` (its view of FunctionConfigs follows a watch), for up to 10 s.
async fn render_with(
    env: &Env,
    prr: &PackageRevisionResources,
    image: &str,
) -> Result<PackageRevisionResources, kube::Error> {
    let mut prr = prr.clone();
    prr.spec.resources.insert("Kptfile".into(), kptfile(image));
    for _ in 0..100 {
        let result = env.prrs().replace("deploy.app.v1", &PostParams::default(), &prr).await;
        match &result {
            Err(kube::Error::Api(status)) if status.message.contains("not found") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            _ => return result,
        }
    }
    env.prrs().replace("deploy.app.v1", &PostParams::default(), &prr).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_configs_name_binaries_that_renders_run() {
    let functions = tempfile::tempdir().unwrap();
    script(functions.path(), "scale", "echo scaling >&2\nsed 's/replicas: 2/replicas: 3/'");
    script(functions.path(), "broken", "cat >/dev/null\necho 'no good' >&2\nexit 1");
    let dir = functions.path().to_path_buf();
    let env = Env::with(move |c| {
        c.allow_exec = true;
        c.functions_dir = dir;
    });
    let configs: Api<FunctionConfig> = Api::namespaced(env.client.clone(), NS);
    // The CEL rule of the CRD.
    let mut empty = function_config("empty", "x");
    empty.spec.binary_executor = None;
    let err = api_error(configs.create(&PostParams::default(), &empty).await);
    assert_eq!(err.code, 422);
    assert!(err.message.contains("At least one configuration must be specified"), "{}", err.message);
    configs.create(&PostParams::default(), &function_config("scale", "scale")).await.unwrap();
    configs.create(&PostParams::default(), &function_config("broken", "broken")).await.unwrap();
    let prr = draft(&env).await;

    let rendered = render_with(&env, &prr, "example.com/fns/scale:v1").await.unwrap();
    assert_eq!(rendered.spec.resources["deployment.yaml"], DEPLOYMENT.replace("replicas: 2", "replicas: 3"));
    let steps: Vec<_> = rendered
        .status
        .render_status
        .result
        .items
        .iter()
        .map(|i| (i.image.clone(), i.exit_code, i.stderr.clone()))
        .collect();
    assert_eq!(steps, [("example.com/fns/scale:v1".to_string(), 0, "scaling\n".to_string())]);
    let stored = env.prrs().get("deploy.app.v1").await.unwrap();
    assert_eq!(stored.spec.resources["deployment.yaml"], rendered.spec.resources["deployment.yaml"]);

    // A failing binary fails the update with its stderr; nothing is stored.
    let err = api_error(render_with(&env, &stored, "example.com/fns/broken:v1").await);
    let image = "\"example.com/fns/broken:v1\"";
    assert!(
        err.message.ends_with(&format!(
            "pipeline.run: func eval {image} failed: Failed to execute function {image}: exit status 1 (no good\n)"
        )),
        "{}",
        err.message
    );
    assert_eq!(env.prrs().get("deploy.app.v1").await.unwrap().spec.resources, stored.spec.resources);

    // Another tag, or a deleted FunctionConfig: nothing serves the image.
    let mut v2 = stored.clone();
    v2.spec.resources.insert("Kptfile".into(), kptfile("example.com/fns/scale:v2"));
    let err = api_error(env.prrs().replace("deploy.app.v1", &PostParams::default(), &v2).await);
    assert!(err.message.contains("function \"example.com/fns/scale:v2\" not found"), "{}", err.message);
    configs.delete("scale", &DeleteParams::default()).await.unwrap();
    let mut gone = false;
    for _ in 0..100 {
        let mut prr = stored.clone();
        prr.spec.resources.insert("Kptfile".into(), kptfile("example.com/fns/scale:v1"));
        match env.prrs().replace("deploy.app.v1", &PostParams::default(), &prr).await {
            Err(kube::Error::Api(status)) if status.message.contains("not found") => {
                gone = true;
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert!(gone, "the deleted FunctionConfig still serves its image");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_allow_exec_no_binary_runs() {
    let functions = tempfile::tempdir().unwrap();
    script(functions.path(), "scale", "sed 's/replicas: 2/replicas: 3/'");
    let dir = functions.path().to_path_buf();
    let env = Env::with(move |c| c.functions_dir = dir);
    let configs: Api<FunctionConfig> = Api::namespaced(env.client.clone(), NS);
    configs.create(&PostParams::default(), &function_config("scale", "scale")).await.unwrap();
    let prr = draft(&env).await;
    let mut with = prr.clone();
    with.spec.resources.insert("Kptfile".into(), kptfile("example.com/fns/scale:v1"));
    let err = api_error(env.prrs().replace("deploy.app.v1", &PostParams::default(), &with).await);
    assert!(err.message.contains("function \"example.com/fns/scale:v1\" not found"), "{}", err.message);
}
