//! A remote that hangs (a listener that accepts and never answers) never delays lists pinned to
//! other repositories, and delays an unfiltered list by at most the per-repository timeout.

use std::time::{Duration, Instant};

use kube::api::ListParams;

use super::common::{Env, step};
use super::support::{blueprints, file_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_repository_is_skipped_after_the_timeout_and_never_touched_when_filtered_out() {
    let env = Env::with(|c| c.list_timeout_per_repository = Duration::from_secs(2));
    let hang = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_url = format!("git://127.0.0.1:{}/hang.git", hang.local_addr().unwrap().port());
    let remote = blueprints(env.scratch.path());
    env.register("good", &file_url(&remote)).await;
    env.create_repository("hang", serde_json::json!({"type": "git", "git": {"repo": hang_url}})).await;

    let started = Instant::now();
    let good = step("filtered list", env.prs().list(&ListParams::default().fields("spec.repository=good")))
        .await
        .unwrap();
    assert_eq!(good.items.len(), 12);
    assert!(started.elapsed() < Duration::from_millis(1500), "filtered list took {:?}", started.elapsed());

    let started = Instant::now();
    let all = step("unfiltered list", env.prs().list(&ListParams::default())).await.unwrap();
    let took = started.elapsed();
    assert_eq!(all.items.len(), 12, "the hanging repository contributes nothing");
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(4),
        "unfiltered list took {took:?}"
    );
    drop(hang);
}
