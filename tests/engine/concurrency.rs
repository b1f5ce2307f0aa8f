//! Two identical requests at once: one succeeds, the other gets 409 at once with Porch's
//! "another request is already in progress" text (the try-lock covers the whole git write). The
//! remote is served by `git daemon` with a pre-receive hook that holds every push for a moment,
//! so the two requests surely overlap.

use std::time::Duration;

use super::common::{Env, api_error};
use super::support::{GitDaemon, remote_with_packages};

fn slow_remote(root: &std::path::Path) -> (GitDaemon, String) {
    let (remote, _) = remote_with_packages(root, "slow", &[("base", &[])]);
    let hook = remote.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\ncat >/dev/null\nsleep 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let daemon = GitDaemon::start(root);
    let url = daemon.url("slow.git");
    (daemon, url)
}

fn assert_one_won<T: std::fmt::Debug>(results: [Result<T, kube::Error>; 2], busy: &str) {
    let (ok, err): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!(ok.len(), 1, "exactly one request succeeds: {ok:?} {err:?}");
    let status = api_error(err.into_iter().next().unwrap());
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert!(status.message.contains(busy), "{}", status.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_concurrent_creates_and_approvals_conflict_immediately() {
    let env = Env::start();
    let (_daemon, url) = slow_remote(env.scratch.path());
    env.register("slow", &url).await;
    let spec = serde_json::json!({"repository": "slow", "packageName": "app", "workspaceName": "w"});

    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(env.create(spec.clone()), env.create(spec.clone()));
    assert_one_won(
        [a, b],
        "another request is already in progress to create package revision with details namespace=\"default\", \
         repository=\"slow\", package=\"app\",workspace=\"w\"",
    );
    assert!(started.elapsed() < Duration::from_secs(5), "the loser did not wait for the winner");

    env.set_lifecycle("slow.app.w", "Proposed").await.unwrap();
    let (a, b) =
        tokio::join!(env.approval("slow.app.w", "Published"), env.approval("slow.app.w", "Published"));
    assert_one_won(
        [a, b],
        "another request is already in progress on package revision \"default/slow.app.w\"",
    );
    assert_eq!(env.prs().get("slow.app.w").await.unwrap().spec.revision, 1);
}
