//! Every error a user can hit on the package resources answers with Porch's message and the
//! right status code (porch-api.md §4), and changes nothing.

use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::common::{Env, api_error};
use super::support::{blueprints, file_url, git};

async fn env_with_blueprints() -> (Env, std::path::PathBuf) {
    let env = Env::start();
    let remote = blueprints(env.scratch.path());
    env.register("blueprints", &file_url(&remote)).await;
    (env, remote)
}

fn spec(package: &str, workspace: &str) -> serde_json::Value {
    json!({"repository": "blueprints", "packageName": package, "workspaceName": workspace})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_errors_carry_porchs_messages() {
    let (env, remote) = env_with_blueprints().await;
    let refs_before = git(&remote, &["for-each-ref"]);
    let cases: Vec<(serde_json::Value, serde_json::Value, u16, &str)> = vec![
        (
            json!({}),
            json!({"repository": "blueprints", "packageName": "p", "workspaceName": "w", "lifecycle": "Published"}),
            422,
            "value can be only created as Draft",
        ),
        (
            json!({}),
            json!({"repository": "blueprints", "packageName": "p", "workspaceName": "w",
            "tasks": [{"type": "init", "init": {}}, {"type": "init", "init": {}}]}),
            422,
            "task list must not contain more than one task",
        ),
        (
            json!({"labels": {"kpt.dev/latest-revision": "true"}}),
            spec("p", "w"),
            422,
            "label is managed by porch and cannot be set by users",
        ),
        (json!({}), spec("p", "Not_A_Label"), 422, "spec.workspaceName"),
        (json!({}), spec("Bad_Name", "w"), 422, "spec.packageName"),
        (
            json!({}),
            json!({"packageName": "p", "workspaceName": "w"}),
            400,
            "spec.repositoryName is required",
        ),
        (
            json!({}),
            json!({"repository": "nope", "packageName": "p", "workspaceName": "w"}),
            404,
            "repositories.config.porch.kpt.dev \"nope\" not found",
        ),
        (
            json!({}),
            spec("basens", "ws1"),
            409,
            "package revision workspaceNames must be unique; package revision with name basens in repo blueprints with workspaceName ws1 already exists",
        ),
        (
            json!({}),
            spec("basens", "fresh"),
            422,
            "package \"basens\" already exists in repository \"blueprints\"",
        ),
        (json!({}), spec("a/b", "w"), 422, "packages cannot be nested"),
        (
            json!({}),
            json!({"repository": "blueprints", "packageName": "c", "workspaceName": "w",
            "tasks": [{"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "blueprints.basens.main"}}}}]}),
            422,
            "upstream revision may not be the placeholder package revision blueprints/blueprints.basens.main",
        ),
        (
            json!({}),
            json!({"repository": "blueprints", "packageName": "c", "workspaceName": "w",
            "tasks": [{"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "blueprints.ghost.v9"}}}}]}),
            422,
            "cannot find package revision \"blueprints.ghost.v9\"",
        ),
        (
            json!({}),
            json!({"repository": "blueprints", "packageName": "basens", "workspaceName": "w",
            "tasks": [{"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "blueprints.a.b.pkg.v1"}}}}]}),
            422,
            "`clone` cannot create a new revision for package \"basens\" that already exists in repo \"blueprints\"",
        ),
        (
            json!({}),
            json!({"repository": "blueprints", "packageName": "basens", "workspaceName": "w",
            "tasks": [{"type": "edit", "edit": {"sourceRef": {"name": "blueprints.basens.main"}}}]}),
            422,
            "source revision may not be the placeholder package revision",
        ),
        (
            json!({}),
            json!({"repository": "blueprints", "packageName": "basens", "workspaceName": "w",
            "tasks": [{"type": "edit", "edit": {"sourceRef": {"name": "blueprints.a.b.pkg.v1"}}}]}),
            422,
            "source revision must be from same package",
        ),
        (
            json!({}),
            json!({"repository": "blueprints", "packageName": "basens", "workspaceName": "w",
            "tasks": [{"type": "edit", "edit": {"sourceRef": {"name": "blueprints.basens.ws5"}}}]}),
            422,
            "source revision must be published",
        ),
        (
            json!({}),
            json!({"repository": "blueprints", "packageName": "p", "workspaceName": "w",
            "tasks": [{"type": "patch"}]}),
            422,
            "task of type \"patch\" not supported",
        ),
    ];
    for (metadata, spec, code, message) in cases {
        let err = api_error(env.create_with(metadata, spec.clone()).await);
        assert_eq!(err.code, code, "{spec}: {err:?}");
        assert!(err.message.contains(message), "{spec}: {:?} lacks {message:?}", err.message);
    }
    assert_eq!(git(&remote, &["for-each-ref"]), refs_before, "a failed create changed the remote");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_and_delete_errors_carry_porchs_messages() {
    let (env, _remote) = env_with_blueprints().await;
    let draft = env.init("blueprints", "fresh", "w").await;
    let name = draft.metadata.name.clone().unwrap();

    // Publishing through the main resource is refused; so is approving a draft.
    let err = api_error(env.set_lifecycle(&name, "Published").await);
    assert_eq!(err.code, 422);
    assert!(err.message.contains("value can be only updated to Draft,Proposed"), "{}", err.message);
    let err = api_error(env.approval(&name, "Published").await);
    assert!(
        err.message.contains(
            "cannot approve package with Draft lifecycle value; only Proposed packages can be approved"
        ),
        "{}",
        err.message
    );
    let err = api_error(env.set_lifecycle(&name, "Done").await);
    assert!(
        err.message.contains("value can be only updated to Draft,Proposed,Published,DeletionProposed"),
        "{}",
        err.message
    );

    // Optimistic concurrency: a stale resourceVersion is a 409, a missing one a 422.
    let mut stale = draft.clone();
    env.prs()
        .patch(&name, &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})))
        .await
        .unwrap();
    stale.metadata.labels = Some([("c".to_string(), "d".to_string())].into());
    let err = api_error(env.prs().replace(&name, &PostParams::default(), &stale).await);
    assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"));
    assert!(err.message.contains(
        "the object has been modified; please apply your changes to the latest version and try again"
    ));
    stale.metadata.resource_version = None;
    assert_eq!(api_error(env.prs().replace(&name, &PostParams::default(), &stale).await).code, 422);

    // The latest label cannot be set or removed by users.
    let err = api_error(
        env.prs()
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"kpt.dev/latest-revision": "true"}}})),
            )
            .await,
    );
    assert!(
        err.message.contains("label is managed by porch and cannot be modified by users"),
        "{}",
        err.message
    );

    // Published revisions: spec changes refused, deletion needs a proposal first.
    let err = api_error(
        env.prs()
            .patch(
                "blueprints.basens.v4",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"workspaceName": "x"}})),
            )
            .await,
    );
    assert!(
        err.message.contains("spec can only update package with lifecycle value one of Draft,Proposed"),
        "{}",
        err.message
    );
    let err = api_error(env.prs().delete("blueprints.basens.v4", &DeleteParams::default()).await);
    assert_eq!(err.code, 403);
    assert_eq!(
        err.message,
        "packagerevisions.porch.kpt.dev \"blueprints.basens.v4\" is forbidden: published PackageRevisions must be \
         proposed for deletion by setting spec.lifecycle to 'DeletionProposed' prior to deletion"
    );

    // A revision used as an upstream cannot be deleted.
    env.create(json!({"repository": "blueprints", "packageName": "clone-of-v2", "workspaceName": "w",
        "tasks": [{"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "blueprints.basens.v2"}}}}]}))
        .await
        .unwrap();
    let err = api_error(env.prs().delete("blueprints.basens.v2", &DeleteParams::default()).await);
    assert_eq!(err.code, 403);
    assert!(
        err.message.contains(
            "cannot delete package revision, it is referenced as upstream by: blueprints.clone-of-v2.w"
        ),
        "{}",
        err.message
    );

    // Resources of a Proposed revision cannot change; file paths are checked.
    let mut prr = env.prrs().get(&name).await.unwrap();
    prr.spec.resources.insert("../escape.yaml".into(), "x".into());
    let err = api_error(env.prrs().replace(&name, &PostParams::default(), &prr).await);
    assert_eq!(err.code, 422);
    assert!(err.message.contains("spec.resources[../escape.yaml]"), "{}", err.message);
    prr.spec.resources.remove("../escape.yaml");
    prr.spec.resources.remove("Kptfile");
    let err = api_error(env.prrs().replace(&name, &PostParams::default(), &prr).await);
    assert!(err.message.contains("package must contain Kptfile at root"), "{}", err.message);
    env.set_lifecycle(&name, "Proposed").await.unwrap();
    let prr = env.prrs().get(&name).await.unwrap();
    let err = api_error(env.prrs().replace(&name, &PostParams::default(), &prr).await);
    assert_eq!(err.code, 409);
    assert!(
        err.message.contains(
            "cannot update a package revision with lifecycle value \"Proposed\"; package must be Draft"
        ),
        "{}",
        err.message
    );

    // A pipeline with a function fails to render and stores nothing.
    env.set_lifecycle(&name, "Draft").await.unwrap();
    let mut prr = env.prrs().get(&name).await.unwrap();
    let before = prr.spec.resources.clone();
    prr.spec.resources.insert(
        "Kptfile".into(),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: fresh\npipeline:\n  mutators:\n  - image: no-such-fn:v0.2\n".into(),
    );
    let err = api_error(env.prrs().replace(&name, &PostParams::default(), &prr).await);
    assert_eq!(err.code, 400);
    assert!(err.message.contains("error rendering package in kpt function pipeline"), "{}", err.message);
    assert_eq!(env.prrs().get(&name).await.unwrap().spec.resources, before);

    // Unknown names are 404s.
    assert_eq!(api_error(env.prs().get("blueprints.nothing.here").await).code, 404);
    assert_eq!(api_error(env.prs().get("not-a-revision-name").await).code, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_selectors_and_package_writes_are_refused() {
    let (env, _remote) = env_with_blueprints().await;
    for (selector, message) in [
        ("spec.nope=x", "unknown fieldSelector field \"spec.nope\""),
        ("spec.lifecycle=Done", "unsupported fieldSelector value \"Done\" for field \"spec.lifecycle\""),
        ("metadata.namespace=elsewhere", "conflicting namespaces specified"),
    ] {
        let err = api_error(env.prs().list(&ListParams::default().fields(selector)).await);
        assert_eq!(err.code, 400, "{selector}");
        assert!(err.message.contains(message), "{selector}: {}", err.message);
    }
    let packages: kube::Api<porch_api::PorchPackage> =
        kube::Api::namespaced(env.client.clone(), super::common::NS);
    let names: Vec<String> = packages
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|p| p.metadata.name.unwrap())
        .collect();
    assert_eq!(names, ["blueprints.a.b.pkg", "blueprints.basens", "blueprints.bucket", "blueprints.withsub"]);
    assert_eq!(packages.get("blueprints.basens").await.unwrap().status.latest_revision, 4);
    let err = api_error(packages.delete("blueprints.basens", &DeleteParams::default()).await);
    assert_eq!(err.code, 405);
    assert!(err.message.contains("delete all PackageRevisions resources of a package"), "{}", err.message);
}
