//! Field and label selectors and paging over repositories holding more than 50 revisions.

use kube::api::ListParams;
use serde_json::json;

use super::common::{Env, rows, step};
use super::support::{file_url, remote_with_packages};

/// A repository with `packages` packages, each tagged v1 and v2, plus `team/a/x` tagged v1.
fn big_remote(root: &std::path::Path, name: &str, packages: usize) -> std::path::PathBuf {
    let names: Vec<String> = (0..packages).map(|i| format!("pkg-{i:02}")).collect();
    let mut spec: Vec<(&str, &[u32])> = names.iter().map(|p| (p.as_str(), &[1, 2][..])).collect();
    spec.push(("team/a/x", &[1]));
    remote_with_packages(root, name, &spec).0
}

async fn names(env: &Env, params: ListParams) -> Vec<String> {
    let list = step("list", env.prs().list(&params)).await.unwrap_or_else(|e| panic!("{params:?}: {e}"));
    list.items.into_iter().map(|p| p.metadata.name.unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selectors_and_pages_over_many_revisions() {
    let env = Env::start();
    let big = big_remote(env.scratch.path(), "big", 20);
    let small = big_remote(env.scratch.path(), "small", 2);
    env.register("big", &file_url(&big)).await;
    env.register("small", &file_url(&small)).await;
    for (i, ws) in ["d1", "d2", "d3"].iter().enumerate() {
        env.create_with(
            json!({"labels": {"team": if i == 0 { "x" } else { "y" }}}),
            json!({"repository": "big", "packageName": format!("new-{i}"), "workspaceName": ws,
                   "packageMetadata": {"labels": {"tier": if i < 2 { "gold" } else { "silver" }}}}),
        )
        .await
        .unwrap();
    }
    env.set_lifecycle("big.new-2.d3", "Proposed").await.unwrap();

    let all = step("list", env.prs().list(&ListParams::default())).await.unwrap().items;
    // big: 20 packages × (main, v1, v2) + team/a/x (main, v1) + 3 drafts; small: 2 × 3 + 2.
    assert_eq!(all.len(), 60 + 2 + 3 + 8);
    let big_rows = rows(&all).into_iter().filter(|r| r.0.starts_with("big.")).count();
    assert_eq!(big_rows, 65);

    let f = |s: &str| ListParams::default().fields(s);
    assert_eq!(
        names(&env, f("spec.packageName=pkg-03,spec.repository=big")).await,
        ["big.pkg-03.main", "big.pkg-03.v1", "big.pkg-03.v2"]
    );
    assert_eq!(
        names(&env, f("spec.packageName=team/a/x")).await,
        ["big.team.a.x.main", "big.team.a.x.v1", "small.team.a.x.main", "small.team.a.x.v1"]
    );
    assert_eq!(names(&env, f("spec.repository=small")).await.len(), 8);
    assert_eq!(names(&env, f("spec.workspaceName=v1")).await.len(), 21 + 3);
    assert_eq!(names(&env, f("spec.revision=2,spec.repository=big")).await.len(), 20);
    assert_eq!(names(&env, f("spec.revision=v2,spec.repository=big")).await.len(), 20);
    assert_eq!(names(&env, f("spec.revision=0")).await, ["big.new-0.d1", "big.new-1.d2", "big.new-2.d3"]);
    assert_eq!(
        names(&env, f("spec.revision=main,spec.repository=small")).await,
        ["small.pkg-00.main", "small.pkg-01.main", "small.team.a.x.main"]
    );
    assert_eq!(names(&env, f("spec.lifecycle=Draft")).await, ["big.new-0.d1", "big.new-1.d2"]);
    assert_eq!(names(&env, f("spec.lifecycle=Proposed")).await, ["big.new-2.d3"]);
    assert_eq!(
        names(&env, f("spec.packageMetadata.labels[tier]=gold")).await,
        ["big.new-0.d1", "big.new-1.d2"]
    );
    assert_eq!(names(&env, f("metadata.name=small.pkg-01.v2")).await, ["small.pkg-01.v2"]);
    assert_eq!(names(&env, f("spec.repository!=big")).await.len(), 8);

    let l = |s: &str| ListParams::default().labels(s);
    assert_eq!(names(&env, l("kpt.dev/latest-revision=true")).await.len(), 21 + 3);
    assert_eq!(names(&env, l("team=x")).await, ["big.new-0.d1"]);
    assert_eq!(
        names(&env, l("team in (x,y)").fields("spec.lifecycle=Draft")).await,
        ["big.new-0.d1", "big.new-1.d2"]
    );
    assert_eq!(
        names(&env, l("!team").fields("spec.repository=big,spec.revision=0")).await,
        Vec::<String>::new()
    );

    // Pages of 7 add up to the whole list, in order, each item once.
    let mut paged = Vec::new();
    let mut params = ListParams::default().limit(7);
    let mut pages = 0;
    loop {
        let page = step("page", env.prs().list(&params)).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 7);
        paged.extend(page.items.into_iter().map(|p| p.metadata.name.unwrap()));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => {
                assert_eq!(page.metadata.remaining_item_count, Some((all.len() - paged.len()) as i64));
                params = params.continue_token(&token);
            }
            _ => break,
        }
    }
    assert_eq!(pages, all.len().div_ceil(7));
    let all_names: Vec<String> = all.iter().map(|p| p.metadata.name.clone().unwrap()).collect();
    assert_eq!(paged, all_names);

    // Paging with a selector, and a malformed continue token.
    let first = env.prs().list(&f("spec.repository=big").limit(30)).await.unwrap();
    assert_eq!(first.items.len(), 30);
    let token = first.metadata.continue_.unwrap();
    let rest = env.prs().list(&f("spec.repository=big").limit(100).continue_token(&token)).await.unwrap();
    assert_eq!(rest.items.len(), 35);
    let err = super::common::api_error(env.prs().list(&ListParams::default().continue_token("%%%")).await);
    assert_eq!(err.code, 400);
}

/// A full list (served from each repository's kept segment) and the same list paged (served
/// revision by revision) as JSON.
async fn full_and_paged(env: &Env) -> (serde_json::Value, serde_json::Value) {
    let full = step("list", env.prs().list(&ListParams::default())).await.unwrap();
    let paged = step("list", env.prs().list(&ListParams::default().limit(1000))).await.unwrap();
    (serde_json::to_value(&full.items).unwrap(), serde_json::to_value(&paged.items).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_lists_follow_every_change_of_what_they_show() {
    use kube::api::{Patch, PatchParams};
    let env = Env::start();
    let remote = big_remote(env.scratch.path(), "r", 2);
    env.register("r", &file_url(&remote)).await;
    let (full, paged) = full_and_paged(&env).await;
    assert_eq!(full, paged);
    assert_eq!(full.as_array().unwrap().len(), 8);

    // A new draft (the index changes).
    env.init("r", "fresh", "ws").await;
    let (full, paged) = full_and_paged(&env).await;
    assert_eq!(full, paged);
    assert!(full.as_array().unwrap().iter().any(|p| p["metadata"]["name"] == "r.fresh.ws"));

    // A label (the metadata changes, the index does not).
    let patch = Patch::Merge(json!({"metadata": {"labels": {"seen": "yes"}}}));
    step("patch", env.prs().patch("r.pkg-01.v1", &PatchParams::default(), &patch)).await.unwrap();
    let (full, paged) = full_and_paged(&env).await;
    assert_eq!(full, paged);
    let labelled = full.as_array().unwrap().iter().find(|p| p["metadata"]["name"] == "r.pkg-01.v1").unwrap();
    assert_eq!(labelled["metadata"]["labels"]["seen"], "yes");

    // A publication (lifecycle, revision number and the latest flags move).
    env.publish("r.fresh.ws").await;
    let (full, paged) = full_and_paged(&env).await;
    assert_eq!(full, paged);
    let published = full
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["spec"]["packageName"] == "fresh" && p["spec"]["revision"] == 1);
    assert_eq!(published.unwrap()["spec"]["lifecycle"], "Published");

    // The Repository is deleted: its revisions leave the list.
    step("delete", env.repos().delete("r", &Default::default())).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (full, paged) = full_and_paged(&env).await;
        if full.as_array().unwrap().is_empty() && paged.as_array().unwrap().is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "revisions of a deleted repository still listed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
