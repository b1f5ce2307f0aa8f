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
