//! Comments through PackageRevisionResources updates: a client that edits a resource without
//! its comments (as a JSON or typed client does) gets them back from the previous version, and
//! files it did not change keep their exact bytes, however they are laid out.

use super::common::Env;
use kube::api::PostParams;

const SERVICE: &str = "\
# Front door of the app.
apiVersion: v1
kind: Service
metadata: # kpt-merge: prod/web
  name: web
  namespace: prod
spec:
  ports:
  - port: 80 # kpt-set: ${port}
";
/// Four-space indentation and a flow map: a serializer would rewrite both.
const ODD: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: odd\ndata: {a: '1',   b: \"2\"}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_comments_are_healed_and_untouched_files_keep_their_bytes() {
    let env = Env::start();
    env.register_empty("deploy").await;
    env.init("deploy", "app", "v1").await;
    let name = "deploy.app.v1";
    let mut prr = env.prrs().get(name).await.unwrap();
    prr.spec.resources.insert("service.yaml".into(), SERVICE.into());
    prr.spec.resources.insert("odd.yaml".into(), ODD.into());
    let first = env.prrs().replace(name, &PostParams::default(), &prr).await.unwrap();
    assert_eq!(first.spec.resources["service.yaml"], SERVICE);
    assert_eq!(first.spec.resources["odd.yaml"], ODD);

    // The port changed by a client that writes YAML without comments.
    let mut edited = first.clone();
    edited.spec.resources.insert(
        "service.yaml".into(),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  ports:\n  - port: 8080\n"
            .into(),
    );
    let healed = env.prrs().replace(name, &PostParams::default(), &edited).await.unwrap();
    assert_eq!(healed.spec.resources["service.yaml"], SERVICE.replace("port: 80 ", "port: 8080 "));
    assert_eq!(healed.spec.resources["odd.yaml"], ODD);
    let stored = env.prrs().get(name).await.unwrap();
    assert_eq!(stored.spec.resources, healed.spec.resources);
}
