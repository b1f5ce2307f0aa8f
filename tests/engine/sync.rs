//! The Repository controller: syncs on request and on schedule, reports errors, cleans up
//! deleted repositories completely, and reopens everything after a restart.

use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use porch_api::{PackageRev, RepositoryStatus};
use serde_json::json;

use super::common::{Env, NS, api_error, step};
use super::support::{WorkTree, file_url, remote_with_packages};

fn now_rfc3339() -> String {
    k8s_openapi::jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A remote with package `app` tagged v1, and its work tree (for pushing more with the git CLI).
fn remote_with_app(root: &std::path::Path, name: &str) -> (std::path::PathBuf, WorkTree) {
    remote_with_packages(root, name, &[("app", &[1])])
}

async fn names(env: &Env) -> Vec<String> {
    let list = env.prs().list(&ListParams::default()).await.unwrap();
    list.items.into_iter().map(|p| p.metadata.name.unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_pushed_with_git_appears_after_run_once_at_and_a_watcher_sees_it() {
    let env = Env::start();
    let (remote, work) = remote_with_app(env.scratch.path(), "blueprints");
    env.register("blueprints", &file_url(&remote)).await;
    assert_eq!(names(&env).await, ["blueprints.app.main", "blueprints.app.v1"]);
    let rv = env.prs().list(&ListParams::default()).await.unwrap().metadata.resource_version.unwrap();
    let mut watch = env.prs().watch(&WatchParams::default().timeout(30), &rv).await.unwrap().boxed();

    work.write("app/cm.yaml", "kind: ConfigMap\n");
    work.commit("v2 by hand");
    work.git(&["tag", "app/v2"]);
    work.push_all();
    let at = now_rfc3339();
    let patch = Patch::Merge(json!({"spec": {"sync": {"runOnceAt": at}}}));
    env.repos().patch("blueprints", &PatchParams::default(), &patch).await.unwrap();

    let added = step("the ADDED event of the new tag", async {
        loop {
            match watch.next().await {
                Some(Ok(WatchEvent::Added(pr))) => break pr,
                Some(Ok(_)) => {}
                other => panic!("the watch ended: {other:?}"),
            }
        }
    })
    .await;
    assert_eq!(added.metadata.name.as_deref(), Some("blueprints.app.v2"));
    assert_eq!(added.spec.revision, 2);
    // The status records the run and the new head (written once the sync finished).
    let status = step("the status of the run", async {
        loop {
            let status = env.repos().get("blueprints").await.unwrap().status.unwrap_or_default();
            if status.observed_run_once_at.is_some() {
                break status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(status.observed_run_once_at.map(|t| t.0.to_string()), Some(at.clone()));
    assert_eq!(status.git_commit_hash, work.git(&["rev-parse", "HEAD"]));
    assert_eq!(status.package_count, 3);
    assert!(status.last_full_sync_time.is_some() && status.next_full_sync_time.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cron_schedule_picks_up_changes_untouched() {
    let env = Env::start();
    let (remote, work) = remote_with_app(env.scratch.path(), "blueprints");
    env.register_with(
        "blueprints",
        json!({"type": "git", "sync": {"schedule": "* * * * *"}, "git": {"repo": file_url(&remote), "branch": "main"}}),
    )
    .await;
    work.write("app/cm.yaml", "kind: ConfigMap\n");
    work.commit("v2 by hand");
    work.git(&["tag", "app/v2"]);
    work.push_all();
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(75), async {
        while !names(&env).await.contains(&"blueprints.app.v2".to_string()) {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
    .await
    .expect("the scheduled sync finds the new tag within a minute");
    assert!(started.elapsed() <= Duration::from_secs(61), "took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_remote_is_reported_and_leaves_the_others_alone() {
    let env = Env::start();
    let (good, _) = remote_with_app(env.scratch.path(), "good");
    env.register("good", &file_url(&good)).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("git://127.0.0.1:{closed}/nothing.git");
    env.create_repository("bad", json!({"type": "git", "git": {"repo": url}})).await;
    let condition = step("the error in the status", async {
        loop {
            let repo = env.repos().get("bad").await.unwrap();
            match repo.status.as_ref().and_then(RepositoryStatus::ready).cloned() {
                Some(c) if c.reason == "Error" => break c,
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await;
    assert_eq!(condition.status, "False");
    assert!(condition.message.contains("127.0.0.1"), "{}", condition.message);
    // The other repository stays Ready and listable.
    env.wait_ready("good").await;
    let good_list = env.prs().list(&ListParams::default().fields("spec.repository=good")).await.unwrap();
    assert_eq!(good_list.items.len(), 2);
    // The URL cannot be fixed in place; deleting and re-creating works.
    let fix = Patch::Merge(json!({"spec": {"git": {"repo": file_url(&good)}}}));
    let err = api_error(env.repos().patch("bad", &PatchParams::default(), &fix).await);
    assert_eq!(err.code, 422);
    assert!(err.message.contains("immutable"), "{}", err.message);
    env.repos().delete("bad", &DeleteParams::default()).await.unwrap();
    step("the deletion to finish", async {
        while env.repos().get_opt("bad").await.unwrap().is_some() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    env.register("bad", &file_url(&good)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_hundred_repositories_leaves_nothing_behind() {
    let env = Env::start();
    let (template, _) = remote_with_app(env.scratch.path(), "template");
    let spec = json!({"type": "git", "git": {"repo": file_url(&template), "branch": "main"}});
    for i in 0..100 {
        env.create_repository(&format!("r{i:03}"), spec.clone()).await;
    }
    for i in 0..100 {
        env.wait_ready(&format!("r{i:03}")).await;
    }
    assert_eq!(env.app().open_repositories(), 100);
    let revs: Api<PackageRev> = Api::namespaced(env.client.clone(), NS);
    assert_eq!(
        revs.list(&ListParams::default()).await.unwrap().items.len(),
        200,
        "a PackageRev per revision"
    );
    let mut watch = env.prs().watch(&WatchParams::default().timeout(60), "0").await.unwrap().boxed();
    for i in 0..100 {
        env.repos().delete(&format!("r{i:03}"), &DeleteParams::default()).await.unwrap();
    }
    step("every Repository to go", async {
        while !env.repos().list(&ListParams::default()).await.unwrap().items.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    // The watcher saw every revision come and go.
    let mut deleted = 0;
    while deleted < 200 {
        match step("DELETED events", watch.next()).await {
            Some(Ok(WatchEvent::Deleted(_))) => deleted += 1,
            Some(Ok(_)) => {}
            other => panic!("the watch ended: {other:?}"),
        }
    }
    drop(watch);
    assert_eq!(env.app().open_repositories(), 0);
    assert_eq!(env.app().open_watches(), 0);
    assert!(revs.list(&ListParams::default()).await.unwrap().items.is_empty(), "PackageRevs left");
    assert!(names(&env).await.is_empty());
    let mirrors = env.data_dir().join("git").join(NS);
    let left: Vec<_> =
        std::fs::read_dir(&mirrors).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "mirror directories left: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_every_repository_is_opened_again_unasked() {
    let mut env = Env::start();
    let (a, work) = remote_with_app(env.scratch.path(), "a");
    let (b, _) = remote_with_app(env.scratch.path(), "b");
    env.register("a", &file_url(&a)).await;
    env.register("b", &file_url(&b)).await;
    // A tag the server has not fetched when it stops: the index it saves lacks it, and the
    // first sync after the restart (a fetch after serving the saved index) finds it.
    work.git(&["tag", "app/v2"]);
    work.push_all();
    // Status times have second precision.
    let before =
        k8s_openapi::jiff::Timestamp::from_second(k8s_openapi::jiff::Timestamp::now().as_second()).unwrap();
    env.restart().await;
    step("both repositories synced again", async {
        loop {
            let repos = env.repos().list(&ListParams::default()).await.unwrap().items;
            let synced = repos
                .iter()
                .filter(|r| {
                    r.status
                        .as_ref()
                        .and_then(|s| s.last_full_sync_time.as_ref())
                        .is_some_and(|t| t.0 >= before)
                })
                .count();
            // The status times have second precision and may be those of the syncs before the
            // restart: the tag the first sync after it fetches is what shows that sync ran.
            let fetched = || async { names(&env).await.iter().any(|n| n == "a.app.v2") };
            if synced == 2 && env.app().open_repositories() == 2 && fetched().await {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert_eq!(names(&env).await, ["a.app.main", "a.app.v1", "a.app.v2", "b.app.main", "b.app.v1"]);
}

/// `name → resourceVersion` of every PackageRevision, and of every PackageRev.
async fn versions(env: &Env) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let pair = |m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
        (m.name.clone().unwrap_or_default(), m.resource_version.clone().unwrap_or_default())
    };
    let prs = env.prs().list(&ListParams::default()).await.unwrap().items;
    let revs: Api<PackageRev> = Api::namespaced(env.client.clone(), NS);
    let revs = revs.list(&ListParams::default()).await.unwrap().items;
    (prs.iter().map(|p| pair(&p.metadata)).collect(), revs.iter().map(|r| pair(&r.metadata)).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_writes_no_package_rev_and_keeps_every_resource_version() {
    let mut env = Env::start();
    let (a, _) = remote_with_app(env.scratch.path(), "a");
    env.register("a", &file_url(&a)).await;
    let before = versions(&env).await;
    assert_eq!(before.0.len(), 2, "{before:?}");
    // Each revision's resourceVersion is its PackageRev's.
    assert_eq!(before.0, before.1);
    // Stopped gracefully (the index saved beside the mirror), then as a crash (the full
    // discovery): the same objects at the same resourceVersions either way.
    for graceful in [true, false] {
        if graceful {
            env.restart().await;
        } else {
            env.restart_after_crash().await;
        }
        step("the repository opened again", async {
            while env.app().open_repositories() < 1 || names(&env).await.len() < 2 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        assert_eq!(versions(&env).await, before, "graceful: {graceful}");
    }
}

/// The server's finalizer of PackageRevs.
const SERVER_FINALIZER: &str = "internal.porch.kpt.dev/packagerevision";
/// A user's finalizer.
const USER_FINALIZER: &str = "example.com/hold";

/// Creates PackageRev `name` of `repository` with `finalizers`.
async fn create_package_rev(revs: &Api<PackageRev>, name: &str, repository: &str, finalizers: &[&str]) {
    let rev: PackageRev = serde_json::from_value(json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "PackageRev",
        "metadata": {"name": name, "labels": {"internal.porch.kpt.dev/repository": repository},
                     "finalizers": finalizers},
        "spec": {},
    }))
    .unwrap();
    revs.create(&PostParams::default(), &rev).await.unwrap();
}

/// Creates PackageRev `name` of `repository` held by the server's and a user's finalizer, and
/// deletes it: what a release whose finalizer patch failed leaves behind.
async fn deleted_but_held(revs: &Api<PackageRev>, name: &str, repository: &str) {
    create_package_rev(revs, name, repository, &[SERVER_FINALIZER, USER_FINALIZER]).await;
    revs.delete(name, &DeleteParams::default()).await.unwrap();
}

/// Waits until the server's finalizer of PackageRev `name` is gone (the user's keeps it, deleted).
async fn wait_released(revs: &Api<PackageRev>, name: &str) {
    let held = step("the server's finalizer to be released", async {
        loop {
            let rev = revs.get(name).await.unwrap();
            if rev.metadata.finalizers.as_deref() == Some(&[USER_FINALIZER.to_string()][..]) {
                break rev;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(held.metadata.deletion_timestamp.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packagerevs_of_a_repository_that_is_gone_are_swept_away() {
    let env = Env::with(|c| c.orphan_sweep_interval = Duration::from_millis(200));
    let revs: Api<PackageRev> = Api::namespaced(env.client.clone(), NS);
    create_package_rev(&revs, "ghost.app.v1", "ghost", &[SERVER_FINALIZER]).await;
    step("the orphan to be swept", async {
        while revs.get_opt("ghost.app.v1").await.unwrap().is_some() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    // One deleted but still held by the server's finalizer is released by a later sweep.
    deleted_but_held(&revs, "ghost.app.v2", "ghost").await;
    wait_released(&revs, "ghost.app.v2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_packagerev_still_held_by_the_server_is_released_by_the_next_sync() {
    let env = Env::start();
    let (remote, _) = remote_with_app(env.scratch.path(), "blueprints");
    env.register("blueprints", &file_url(&remote)).await;
    let revs: Api<PackageRev> = Api::namespaced(env.client.clone(), NS);
    deleted_but_held(&revs, "blueprints.old.v1", "blueprints").await;
    let patch = Patch::Merge(json!({"spec": {"sync": {"runOnceAt": now_rfc3339()}}}));
    env.repos().patch("blueprints", &PatchParams::default(), &patch).await.unwrap();
    wait_released(&revs, "blueprints.old.v1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_secret_is_used_by_the_next_sync() {
    use super::http_support::{HttpAuth, HttpGitServer};
    use k8s_openapi::api::core::v1::Secret;
    let env = Env::start();
    let root = env.scratch.path().join("served");
    std::fs::create_dir_all(&root).unwrap();
    remote_with_app(&root, "private");
    let server = HttpGitServer::start(root, HttpAuth::Basic("me".into(), "right".into())).await;
    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), NS);
    let secret = |password: &str| -> Secret {
        serde_json::from_value(json!({
            "metadata": {"name": "creds"}, "type": "kubernetes.io/basic-auth",
            "stringData": {"username": "me", "password": password},
        }))
        .unwrap()
    };
    secrets.create(&PostParams::default(), &secret("wrong")).await.unwrap();
    env.create_repository(
        "private",
        json!({"type": "git", "git": {"repo": server.url("private.git"), "secretRef": {"name": "creds"}}}),
    )
    .await;
    let reason = |env: &Env| {
        let repos = env.repos();
        async move {
            let repo = repos.get("private").await.unwrap();
            repo.status
                .as_ref()
                .and_then(RepositoryStatus::ready)
                .map(|c| (c.reason.clone(), c.message.clone()))
        }
    };
    step("the authentication error", async {
        while !matches!(reason(&env).await, Some((r, _)) if r == "Error") {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let (_, message) = reason(&env).await.unwrap();
    assert!(!message.contains("wrong"), "the password leaks: {message}");
    // Rotate the Secret; the next sync (retries back off from 2 s) uses it.
    let mut current = secrets.get("creds").await.unwrap();
    current.string_data = Some(
        [("username".to_string(), "me".to_string()), ("password".to_string(), "right".to_string())].into(),
    );
    current.data = None;
    secrets.replace("creds", &PostParams::default(), &current).await.unwrap();
    step("Ready with the new credentials", async {
        while !matches!(reason(&env).await, Some((r, _)) if r == "Ready") {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert_eq!(names(&env).await, ["private.app.main", "private.app.v1"]);
}
