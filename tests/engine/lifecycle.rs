//! A package's whole life through the API on a real remote: discovery, init, resources, propose,
//! approve (tag, merge commit, latest), copy, a second approval, proposed deletion, deletion.

use kube::api::{DeleteParams, ListParams, PostParams};
use porch_api::porch::PackageRevisionLifecycle as L;
use serde_json::json;

use super::common::{Env, api_error, is_latest, rows, step};
use super::support::{blueprints, file_url, git};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovered_revisions_are_listed_in_porchs_order_with_latest_marked() {
    let env = Env::start();
    let remote = blueprints(env.scratch.path());
    env.register("blueprints", &file_url(&remote)).await;
    let list = step("list", env.prs().list(&ListParams::default())).await.unwrap();
    let got = rows(&list.items);
    let want: Vec<(String, i32, String)> = [
        ("blueprints.a.b.pkg.main", -1, "Published"),
        ("blueprints.a.b.pkg.v1", 1, "Published"),
        ("blueprints.basens.main", -1, "Published"),
        ("blueprints.basens.ws5", 0, "Draft"),
        ("blueprints.basens.ws1", 1, "Published"),
        ("blueprints.basens.v2", 2, "DeletionProposed"),
        ("blueprints.basens.edit3", 3, "Published"),
        ("blueprints.basens.v4", 4, "Published"),
        ("blueprints.bucket.release", -1, "Published"),
        ("blueprints.bucket.main", -1, "DeletionProposed"),
        ("blueprints.bucket.ws2", 0, "Proposed"),
        ("blueprints.withsub.main", -1, "Published"),
    ]
    .into_iter()
    .map(|(n, r, l)| (n.to_string(), r, l.to_string()))
    .collect();
    assert_eq!(got, want);
    let latest: Vec<&str> =
        list.items.iter().filter(|p| is_latest(p)).map(|p| p.metadata.name.as_deref().unwrap()).collect();
    assert_eq!(latest, ["blueprints.a.b.pkg.v1", "blueprints.basens.v4"]);

    // A discovered revision carries what git holds: package metadata, gates, conditions, locks.
    let v1 = env.prs().get("blueprints.basens.ws1").await.unwrap();
    assert_eq!(v1.spec.package_metadata.as_ref().unwrap().labels["team"], "blue");
    assert_eq!(v1.spec.readiness_gates[0].condition_type, "Ready");
    assert_eq!(v1.status.conditions[0].type_, "Rendered");
    let lock = v1.status.self_lock.unwrap().git.unwrap();
    assert_eq!((lock.ref_.as_str(), lock.directory.as_str()), ("basens/v1", "basens"));
    assert_eq!(v1.status.published_by, "dev@example.com");
    assert!(v1.status.published_at.is_some());
    assert_eq!(v1.metadata.uid.as_deref().map(str::len), Some(36));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_is_created_edited_proposed_approved_copied_and_deleted() {
    let env = Env::start();
    let remote = env.register_empty("deploy").await;

    // Create with the default init task.
    let pr = env.init("deploy", "app", "v1-draft").await;
    assert_eq!(pr.metadata.name.as_deref(), Some("deploy.app.v1-draft"));
    assert_eq!(pr.spec.lifecycle, Some(L::Draft));
    assert_eq!(pr.spec.revision, 0);
    assert_eq!(pr.spec.tasks.len(), 1);
    assert_eq!(pr.spec.tasks[0].init.as_ref().unwrap().description, "app description");
    assert_eq!(pr.status.conditions[0].type_, "Rendered");

    // The resources: Kptfile, README.md, package-context.yaml; replace them with a ConfigMap added.
    let mut prr = env.prrs().get("deploy.app.v1-draft").await.unwrap();
    let files: Vec<&str> = prr.spec.resources.keys().map(String::as_str).collect();
    assert_eq!(files, ["Kptfile", "README.md", "package-context.yaml"]);
    prr.spec
        .resources
        .insert("cm.yaml".into(), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n".into());
    prr.spec.resources.remove("README.md");
    let replaced = env.prrs().replace("deploy.app.v1-draft", &PostParams::default(), &prr).await.unwrap();
    assert!(replaced.spec.resources.contains_key("cm.yaml"));
    assert!(!replaced.spec.resources.contains_key("README.md"));
    assert_eq!(replaced.status.render_status.error, "");
    assert!(replaced.spec.resources["Kptfile"].contains("RenderSuccess"));

    // Propose with a merge patch; approve through the approval subresource.
    let proposed = env.set_lifecycle("deploy.app.v1-draft", "Proposed").await.unwrap();
    assert_eq!(proposed.spec.lifecycle, Some(L::Proposed));
    let published = env.approval("deploy.app.v1-draft", "Published").await.unwrap();
    assert_eq!((published.spec.lifecycle.clone(), published.spec.revision), (Some(L::Published), 1));
    assert!(is_latest(&published));
    assert_eq!(published.status.published_by, "standalone");
    assert!(published.status.published_at.is_some());

    // git: the tag, a two-parent merge on main with the trailer, no proposed branch.
    assert_eq!(git(&remote, &["tag"]), "app/v1");
    let parents = git(&remote, &["log", "-1", "--format=%P", "main"]);
    assert_eq!(parents.split_whitespace().count(), 2, "{parents}");
    let message = git(&remote, &["log", "-1", "--format=%B", "main"]);
    assert!(message.starts_with("Approving package revision app/1"), "{message}");
    assert!(
        message.contains(r#"kpt:{"package":"app","workspaceName":"v1-draft","revision":"1"}"#),
        "{message}"
    );
    assert!(!git(&remote, &["branch"]).contains("proposed/"));
    assert!(git(&remote, &["show", "main:app/cm.yaml"]).contains("ConfigMap"));

    // The placeholder follows the branch.
    let main = env.prs().get("deploy.app.main").await.unwrap();
    assert_eq!((main.spec.revision, is_latest(&main)), (-1, false));

    // Copy (edit task), approve: revision 2, and the latest label moves.
    let copy = env
        .create(json!({"repository": "deploy", "packageName": "app", "workspaceName": "v2-draft",
            "tasks": [{"type": "edit", "edit": {"sourceRef": {"name": "deploy.app.v1-draft"}}}]}))
        .await
        .unwrap();
    assert_eq!(copy.spec.tasks[0].type_.as_str(), "edit");
    let copied = env.prrs().get("deploy.app.v2-draft").await.unwrap();
    assert!(copied.spec.resources.contains_key("cm.yaml"));
    let v2 = env.publish("deploy.app.v2-draft").await;
    assert_eq!(v2.spec.revision, 2);
    assert!(is_latest(&v2));
    assert!(!is_latest(&env.prs().get("deploy.app.v1-draft").await.unwrap()));

    // Propose the deletion of revision 1, then delete it; 404 afterwards.
    let err = api_error(env.prs().delete("deploy.app.v1-draft", &DeleteParams::default()).await);
    assert_eq!(err.code, 403);
    env.set_lifecycle("deploy.app.v1-draft", "DeletionProposed").await.unwrap();
    assert!(git(&remote, &["branch"]).contains("deletionProposed/app/v1"));
    env.prs().delete("deploy.app.v1-draft", &DeleteParams::default()).await.unwrap();
    assert_eq!(api_error(env.prs().get("deploy.app.v1-draft").await).code, 404);
    assert_eq!(git(&remote, &["tag"]), "app/v2");
    assert!(!git(&remote, &["branch"]).contains("deletionProposed/app/v1"));

    // A rejected proposal goes back to Draft; a draft can be deleted outright.
    let draft = env
        .create(json!({"repository": "deploy", "packageName": "app", "workspaceName": "v3",
            "tasks": [{"type": "edit", "edit": {"sourceRef": {"name": "deploy.app.v2-draft"}}}]}))
        .await
        .unwrap();
    let name = draft.metadata.name.unwrap();
    env.set_lifecycle(&name, "Proposed").await.unwrap();
    assert_eq!(env.approval(&name, "Draft").await.unwrap().spec.lifecycle, Some(L::Draft));
    env.prs().delete(&name, &DeleteParams::default()).await.unwrap();
    assert!(!git(&remote, &["branch"]).contains("drafts/app/v3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_of_a_registered_upstream_records_upstream_and_lock() {
    let env = Env::start();
    let upstream = blueprints(env.scratch.path());
    env.register("blueprints", &file_url(&upstream)).await;
    let downstream = super::support::bare_repo(env.scratch.path(), "deploy.git");
    env.register_with(
        "deploy",
        json!({"type": "git", "deployment": true,
               "git": {"repo": file_url(&downstream), "branch": "main", "createBranch": true}}),
    )
    .await;
    let pr = env
        .create(json!({"repository": "deploy", "packageName": "team/ns", "workspaceName": "ws",
            "tasks": [{"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "blueprints.basens.ws1"}}}}]}))
        .await
        .unwrap();
    assert_eq!(pr.metadata.name.as_deref(), Some("deploy.team.ns.ws"));
    assert!(pr.status.deployment);
    let lock = pr.status.upstream_lock.unwrap().git.unwrap();
    assert_eq!(
        (lock.repo.as_str(), lock.directory.as_str(), lock.ref_.as_str()),
        (file_url(&upstream).as_str(), "basens", "basens/v1")
    );
    assert_eq!(lock.commit, git(&upstream, &["rev-parse", "basens/v1^{commit}"]));
    let prr = env.prrs().get("deploy.team.ns.ws").await.unwrap();
    let kptfile = &prr.spec.resources["Kptfile"];
    assert!(kptfile.contains("name: ns"), "{kptfile}");
    assert!(kptfile.contains("updateStrategy: resource-merge"), "{kptfile}");
    let context = &prr.spec.resources["package-context.yaml"];
    assert!(context.contains("name: ns") && context.contains("package-path: team/ns"), "{context}");
    assert!(prr.spec.resources["ns.yaml"].contains("name: v1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_of_an_unregistered_git_repository_resolves_the_ref_like_porch() {
    let env = Env::start();
    let upstream = blueprints(env.scratch.path());
    env.register_empty("deploy").await;
    let clone = |workspace: &str, git: serde_json::Value| {
        env.create(json!({"repository": "deploy", "packageName": format!("ns-{workspace}"), "workspaceName": workspace,
            "tasks": [{"type": "clone", "clone": {"upstreamRef": {"type": "git", "git": git}}}]}))
    };
    // `v1` in directory `basens` is the tag `basens/v1`.
    let pr =
        clone("a", json!({"repo": file_url(&upstream), "ref": "v1", "directory": "/basens/"})).await.unwrap();
    let lock = pr.status.upstream_lock.unwrap().git.unwrap();
    assert_eq!((lock.directory.as_str(), lock.ref_.as_str()), ("basens", "v1"));
    assert_eq!(lock.commit, git(&upstream, &["rev-parse", "basens/v1"]));
    let prr = env.prrs().get("deploy.ns-a.a").await.unwrap();
    assert!(prr.spec.resources["ns.yaml"].contains("name: v1"));
    // A branch name; then a ref that does not exist.
    let pr =
        clone("b", json!({"repo": file_url(&upstream), "ref": "main", "directory": "bucket"})).await.unwrap();
    assert_eq!(pr.status.upstream_lock.unwrap().git.unwrap().commit, git(&upstream, &["rev-parse", "main"]));
    let err = api_error(
        clone("c", json!({"repo": file_url(&upstream), "ref": "nope", "directory": "basens"})).await,
    );
    assert_eq!(err.code, 422);
    assert!(err.message.contains("cannot find ref \"nope\""), "{}", err.message);
}
