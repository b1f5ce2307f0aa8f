//! Render through the API: a PackageRevisionResources update whose Kptfile runs set-namespace
//! is rendered in-process and stored rendered, with the function's results in the status; a
//! step no runtime serves fails and stores nothing.

use super::common::{Env, api_error};
use kube::api::PostParams;

const KPTFILE: &str = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\n  annotations:\n    \
                       config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n  - image: \
                       set-namespace:v0.4\n    configMap:\n      namespace: prod\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_namespace_pipeline_renders_on_update() {
    let env = Env::start();
    env.register_empty("deploy").await;
    env.init("deploy", "app", "v1").await;
    let name = "deploy.app.v1";
    let mut prr = env.prrs().get(name).await.unwrap();
    prr.spec.resources.insert("Kptfile".into(), KPTFILE.into());
    prr.spec.resources.insert(
        "deployment.yaml".into(),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # the web tier\nspec:\n  replicas: 2\n".into(),
    );
    let rendered = env.prrs().replace(name, &PostParams::default(), &prr).await.unwrap();
    assert_eq!(
        rendered.spec.resources["deployment.yaml"],
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # the web tier\n  namespace: prod\nspec:\n  \
         replicas: 2\n"
    );
    assert!(rendered.spec.resources["Kptfile"].contains("RenderSuccess"));
    let status = &rendered.status.render_status;
    assert_eq!(status.error, "");
    let step = &status.result.items[0];
    assert_eq!(
        (step.image.as_str(), step.exit_code),
        ("ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4", 0)
    );
    assert!(
        step.results.iter().any(|r| r.message.contains("updated to \"prod\"") && r.severity == "info"),
        "{:?}",
        step.results
    );
    // Stored as rendered.
    let stored = env.prrs().get(name).await.unwrap();
    assert!(stored.spec.resources["deployment.yaml"].contains("namespace: prod"));

    // A step no runtime serves fails the update, and nothing is stored.
    let mut prr = stored.clone();
    prr.spec.resources.insert("Kptfile".into(), KPTFILE.replace("set-namespace:v0.4", "no-such-fn:v0.2"));
    let err = api_error(env.prrs().replace(name, &PostParams::default(), &prr).await);
    assert_eq!(err.code, 400);
    assert!(
        err.message.contains("function \"ghcr.io/kptdev/krm-functions-catalog/no-such-fn:v0.2\" not found"),
        "{}",
        err.message
    );
    assert_eq!(env.prrs().get(name).await.unwrap().spec.resources, stored.spec.resources);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_on_render_failure_stores_the_input_with_the_failed_render_recorded() {
    use kube::api::{Patch, PatchParams};
    let env = Env::start();
    env.register_empty("deploy").await;
    env.init("deploy", "app", "v1").await;
    let name = "deploy.app.v1";
    let annotate =
        serde_json::json!({"metadata": {"annotations": {"porch.kpt.dev/push-on-render-failure": "true"}}});
    env.prs().patch(name, &PatchParams::default(), &Patch::Merge(&annotate)).await.unwrap();
    let mut prr = env.prrs().get(name).await.unwrap();
    prr.spec.resources.insert("Kptfile".into(), KPTFILE.replace("set-namespace:v0.4", "no-such-fn:v0.2"));
    prr.spec.resources.insert(
        "cm.yaml".into(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings # kept as sent\n".into(),
    );
    let err = api_error(env.prrs().replace(name, &PostParams::default(), &prr).await);
    assert!(
        err.message.starts_with(
            "error rendering package in kpt function pipeline. Package pushed to remote despite render failure. \
             Details: fn.render: pkg .:"
        ),
        "{}",
        err.message
    );
    let stored = env.prrs().get(name).await.unwrap().spec.resources;
    assert_eq!(stored["cm.yaml"], prr.spec.resources["cm.yaml"], "the input is stored unrendered");
    let kptfile = &stored["Kptfile"];
    assert!(kptfile.contains("reason: RenderFailed"), "{kptfile}");
    assert!(kptfile.contains("errorSummary:"), "{kptfile}");
}
