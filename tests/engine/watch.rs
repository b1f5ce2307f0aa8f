//! Watches of the package resources: exactly the changes, once, in order; resumption from any
//! resourceVersion; expiry; selectors re-applied to every event; nothing left behind.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::watcher;
use porch_api::{PackageRevision, PorchPackage};
use serde_json::json;

use super::common::{Env, NS, is_latest, step};
use super::support::{blueprints, file_url};

async fn deploy_env(tweak: impl FnOnce(&mut porch_server::Config)) -> Env {
    let env = Env::with(tweak);
    env.register_empty("deploy").await;
    env
}

/// `(event, name, lifecycle, revision, latest)` of a watcher event on PackageRevisions.
fn seen(event: watcher::Event<PackageRevision>) -> Option<String> {
    let describe = |kind: &str, pr: &PackageRevision| {
        let lifecycle = pr.spec.lifecycle.as_ref().map(|l| l.as_str().to_string()).unwrap_or_default();
        let latest = if is_latest(pr) { " latest" } else { "" };
        format!(
            "{kind} {} {lifecycle} {}{latest}",
            pr.metadata.name.as_deref().unwrap_or(""),
            pr.spec.revision
        )
    };
    match event {
        watcher::Event::Apply(pr) => Some(describe("Apply", &pr)),
        watcher::Event::Delete(pr) => Some(describe("Delete", &pr)),
        _ => None,
    }
}

/// The next events are exactly `want` (any other kind of event is a mismatch). The stream is
/// ordered, so an extra event shows as a mismatch at the next call, or in [`expect_quiet`] after
/// the last one.
async fn expect<S>(events: &mut S, want: &[&str])
where
    S: futures::Stream<Item = Result<watcher::Event<PackageRevision>, watcher::Error>> + Unpin,
{
    let mut got = Vec::new();
    while got.len() < want.len() {
        let event = step(&format!("events {want:?}, got {got:?}"), events.next()).await.unwrap().unwrap();
        let other = format!("{event:?}");
        got.push(seen(event).unwrap_or(other));
    }
    assert_eq!(got, want);
}

/// No further event arrives within 300 ms.
async fn expect_quiet<S>(events: &mut S)
where
    S: futures::Stream<Item = Result<watcher::Event<PackageRevision>, watcher::Error>> + Unpin,
{
    let extra = tokio::time::timeout(Duration::from_millis(300), events.next()).await;
    assert!(extra.is_err(), "unexpected event: {:?}", extra.map(|e| e.map(|e| e.ok().and_then(seen))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_sees_each_change_of_a_package_life_once_in_order() {
    let env = deploy_env(|_| {}).await;
    let mut events = watcher(env.prs(), watcher::Config::default()).boxed();
    for want in ["Init", "InitDone"] {
        let e = step("the initial list", events.next()).await.unwrap().unwrap();
        assert_eq!(format!("{e:?}").split('(').next().unwrap(), want);
    }

    env.init("deploy", "app", "ws1").await;
    expect(&mut events, &["Apply deploy.app.ws1 Draft 0"]).await;
    env.set_lifecycle("deploy.app.ws1", "Proposed").await.unwrap();
    expect(&mut events, &["Apply deploy.app.ws1 Proposed 0"]).await;
    env.approval("deploy.app.ws1", "Published").await.unwrap();
    expect(&mut events, &["Apply deploy.app.main Published -1", "Apply deploy.app.ws1 Published 1 latest"])
        .await;
    env.prs()
        .patch(
            "deploy.app.ws1",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"team": "a"}}})),
        )
        .await
        .unwrap();
    expect(&mut events, &["Apply deploy.app.ws1 Published 1 latest"]).await;

    env.create(json!({"repository": "deploy", "packageName": "app", "workspaceName": "ws2",
        "tasks": [{"type": "edit", "edit": {"sourceRef": {"name": "deploy.app.ws1"}}}]}))
        .await
        .unwrap();
    expect(&mut events, &["Apply deploy.app.ws2 Draft 0"]).await;
    // New content, so the branch's tree moves with the approval (a copy with the same tree and
    // the same publish second would leave the placeholder unchanged: no event is then right).
    let mut prr = env.prrs().get("deploy.app.ws2").await.unwrap();
    prr.spec
        .resources
        .insert("cm.yaml".into(), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n".into());
    env.prrs().replace("deploy.app.ws2", &PostParams::default(), &prr).await.unwrap();
    expect(&mut events, &["Apply deploy.app.ws2 Draft 0"]).await;
    env.publish("deploy.app.ws2").await;
    expect(
        &mut events,
        &[
            "Apply deploy.app.ws2 Proposed 0",
            // The approval merges into the branch: the placeholder follows, then the latest flag
            // moves from revision 1 to revision 2.
            "Apply deploy.app.main Published -1",
            "Apply deploy.app.ws2 Published 2 latest",
            "Apply deploy.app.ws1 Published 1",
        ],
    )
    .await;
    env.set_lifecycle("deploy.app.ws1", "DeletionProposed").await.unwrap();
    expect(&mut events, &["Apply deploy.app.ws1 DeletionProposed 1"]).await;
    env.prs().delete("deploy.app.ws1", &DeleteParams::default()).await.unwrap();
    expect(&mut events, &["Delete deploy.app.ws1 DeletionProposed 1"]).await;
    expect_quiet(&mut events).await;
}

/// The events of a repository's first indexing show its URL, as lists do: the watches learn it
/// from the Repository while its cache is still opening.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_events_of_a_first_indexing_show_the_repository_url() {
    let env = Env::start();
    let url = file_url(&blueprints(env.scratch.path()));
    let mut events = watcher(env.prs(), watcher::Config::default()).boxed();
    for _ in ["Init", "InitDone"] {
        step("the initial list", events.next()).await.unwrap().unwrap();
    }
    env.register("blueprints", &url).await;
    let listed = env.prs().list(&ListParams::default()).await.unwrap().items;
    assert!(!listed.is_empty());
    let repo_of = |pr: &PackageRevision| {
        pr.status.self_lock.as_ref().and_then(|l| l.git.as_ref()).map(|g| g.repo.clone())
    };
    for pr in &listed {
        assert_eq!(repo_of(pr).as_deref(), Some(url.as_str()), "listed {:?}", pr.metadata.name);
    }
    let mut seen = 0;
    while seen < listed.len() {
        if let watcher::Event::Apply(pr) = step("the first indexing", events.next()).await.unwrap().unwrap() {
            assert_eq!(repo_of(&pr).as_deref(), Some(url.as_str()), "watched {:?}", pr.metadata.name);
            seen += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_resumes_from_any_resource_version_and_expired_ones_get_410() {
    let env = deploy_env(|c| c.watch_event_window = 8).await;
    let start = env.prs().list(&ListParams::default()).await.unwrap().metadata.resource_version.unwrap();
    let mut rvs = Vec::new();
    for ws in ["a", "b", "c"] {
        let pr = env.init("deploy", &format!("p{ws}"), "w").await;
        rvs.push(pr.metadata.resource_version.unwrap());
    }
    // From the list: all three; from the first create: exactly the two later ones.
    for (from, want) in [
        (start.as_str(), vec!["deploy.pa.w", "deploy.pb.w", "deploy.pc.w"]),
        (&rvs[0], vec!["deploy.pb.w", "deploy.pc.w"]),
    ] {
        let stream = env.prs().watch(&WatchParams::default().timeout(1), from).await.unwrap();
        let got: Vec<String> = stream
            .try_filter_map(|e| async move {
                Ok(match e {
                    WatchEvent::Added(pr) => Some(pr.metadata.name.unwrap()),
                    WatchEvent::Bookmark(_) => None,
                    other => panic!("unexpected {other:?}"),
                })
            })
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got, want, "from {from}");
    }
    // Push the first versions out of the window (8 changes): 410 as an ERROR event.
    for i in 0..10 {
        env.prs()
            .patch(
                "deploy.pa.w",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"n": i.to_string()}}})),
            )
            .await
            .unwrap();
    }
    let stream = env.prs().watch(&WatchParams::default().timeout(1), &rvs[0]).await.unwrap();
    let events: Vec<_> = stream.try_collect().await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let WatchEvent::Error(status) = &events[0] else { panic!("expected an ERROR event: {events:?}") };
    assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
    // The kube-rs watcher relists and carries on.
    let mut watch = watcher(env.prs(), watcher::Config::default()).boxed();
    let mut names = Vec::new();
    while let Some(Ok(e)) = step("relist", watch.next()).await {
        match e {
            watcher::Event::InitApply(pr) => names.push(pr.metadata.name.unwrap()),
            watcher::Event::InitDone => break,
            _ => {}
        }
    }
    assert_eq!(names, ["deploy.pa.w", "deploy.pb.w", "deploy.pc.w"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selectors_apply_to_every_streamed_event() {
    let env = deploy_env(|_| {}).await;
    let rv = env.prs().list(&ListParams::default()).await.unwrap().metadata.resource_version.unwrap();
    let only_x =
        env.prs().watch(&WatchParams::default().fields("spec.packageName=x").timeout(2), &rv).await.unwrap();
    let team_a = env.prs().watch(&WatchParams::default().labels("team=a").timeout(2), &rv).await.unwrap();
    env.create_with(
        json!({"labels": {"team": "a"}}),
        json!({"repository": "deploy", "packageName": "x", "workspaceName": "w"}),
    )
    .await
    .unwrap();
    env.init("deploy", "y", "w").await;
    env.set_lifecycle("deploy.y.w", "Proposed").await.unwrap();
    env.prs()
        .patch(
            "deploy.x.w",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"team": null}}})),
        )
        .await
        .unwrap();
    let names = |events: Vec<WatchEvent<PackageRevision>>| -> Vec<String> {
        events
            .into_iter()
            .filter_map(|e| match e {
                WatchEvent::Added(p) => Some(format!("ADDED {}", p.metadata.name.unwrap())),
                WatchEvent::Modified(p) => Some(format!("MODIFIED {}", p.metadata.name.unwrap())),
                WatchEvent::Deleted(p) => Some(format!("DELETED {}", p.metadata.name.unwrap())),
                _ => None,
            })
            .collect()
    };
    assert_eq!(names(only_x.try_collect().await.unwrap()), ["ADDED deploy.x.w", "MODIFIED deploy.x.w"]);
    assert_eq!(names(team_a.try_collect().await.unwrap()), ["ADDED deploy.x.w", "DELETED deploy.x.w"]);

    // Packages are watched too: the package appears, then its latest revision moves.
    let packages: Api<PorchPackage> = Api::namespaced(env.client.clone(), NS);
    let rv = packages.list(&ListParams::default()).await.unwrap().metadata.resource_version.unwrap();
    let stream = packages.watch(&WatchParams::default().timeout(1), &rv).await.unwrap();
    env.publish("deploy.y.w").await;
    let events: Vec<_> = stream.try_collect().await.unwrap();
    let latest: Vec<i32> = events
        .into_iter()
        .filter_map(|e| match e {
            WatchEvent::Modified(p) | WatchEvent::Added(p)
                if p.metadata.name.as_deref() == Some("deploy.y") =>
            {
                Some(p.status.latest_revision)
            }
            _ => None,
        })
        .collect();
    assert_eq!(latest, [1]);
}

/// A watch of the porch.kpt.dev resources from a resourceVersion not reached yet (D9) waits for
/// it, whichever resource reaches it (a metadata change moves every resource's version, though
/// no package changes), and then carries the changes after it; one never reached gets kube's
/// `Too large resource version` ERROR event and ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_from_a_resource_version_not_reached_wait_for_it_or_get_too_large() {
    let env = deploy_env(|_| {}).await;
    env.init("deploy", "app", "w").await;
    let packages: Api<PorchPackage> = Api::namespaced(env.client.clone(), NS);
    let rv: u64 = env
        .prs()
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap()
        .parse()
        .unwrap();
    let next = (rv + 1).to_string();
    let wp = WatchParams::default().timeout(3);
    let revisions = env.prs().watch(&wp, &next).await.unwrap();
    let package_events = packages.watch(&wp, &next).await.unwrap();
    let labelled = env
        .prs()
        .patch(
            "deploy.app.w",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"n": "1"}}})),
        )
        .await
        .unwrap();
    env.init("deploy", "other", "w").await;
    // (Were the repository controller to write in between, the label change would come after.)
    let mut want = vec!["ADDED deploy.other.w"];
    if labelled.metadata.resource_version.as_deref() != Some(next.as_str()) {
        want.insert(0, "MODIFIED deploy.app.w");
    }
    let names = |events: Vec<WatchEvent<PackageRevision>>| -> Vec<String> {
        events
            .into_iter()
            .filter_map(|e| match e {
                WatchEvent::Added(p) => Some(format!("ADDED {}", p.metadata.name.unwrap())),
                WatchEvent::Modified(p) => Some(format!("MODIFIED {}", p.metadata.name.unwrap())),
                WatchEvent::Bookmark(_) => None,
                other => Some(format!("{other:?}")),
            })
            .collect()
    };
    assert_eq!(names(step("revisions", revisions.try_collect()).await.unwrap()), want);
    let packages_seen: Vec<String> = step("packages", package_events.try_collect::<Vec<_>>())
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            WatchEvent::Added(p) => Some(format!("ADDED {}", p.metadata.name.unwrap())),
            WatchEvent::Bookmark(_) => None,
            other => Some(format!("{other:?}")),
        })
        .collect();
    assert_eq!(packages_seen, ["ADDED deploy.other"]);

    let far = rv + 1000;
    for watch in [
        env.prs().watch(&WatchParams::default(), &far.to_string()).await.unwrap().boxed(),
        env.prrs()
            .watch(&WatchParams::default(), &far.to_string())
            .await
            .unwrap()
            .map_ok(|e| match e {
                WatchEvent::Error(s) => WatchEvent::Error(s),
                other => panic!("unexpected {other:?}"),
            })
            .boxed(),
    ] {
        let events: Vec<_> = step("the ERROR event", watch.try_collect::<Vec<_>>()).await.unwrap();
        let [WatchEvent::Error(status)] = &events[..] else { panic!("expected one ERROR event: {events:?}") };
        assert_eq!((status.code, status.reason.as_str()), (504, "Timeout"), "{status:?}");
        assert!(
            status.message.starts_with(&format!("Timeout: Too large resource version: {far}, current: ")),
            "{status:?}"
        );
    }
}

/// What a change delivers to watchers after its admission — a package's files, read and
/// encoded for the first PackageRevisionResources watcher — counts against the byte budget of
/// the event windows: a few 1 MiB files are enough to push the first changes out of a 4 MiB
/// budget (the count limit is far away), so a watch from before them gets the 410.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn package_files_sent_to_watchers_count_against_the_byte_budget() {
    let env = deploy_env(|c| c.watch_event_window_bytes = 4 << 20).await;
    env.init("deploy", "big", "w").await;
    let start = env.prrs().list(&ListParams::default()).await.unwrap().metadata.resource_version.unwrap();
    let mut reader = env.prrs().watch(&WatchParams::default().timeout(120), &start).await.unwrap().boxed();
    for i in 0..6 {
        let tag = format!("{i}:");
        let mut prr = env.prrs().get("deploy.big.w").await.unwrap();
        prr.spec.resources.insert("blob.txt".into(), format!("{tag}{}", "x".repeat(1 << 20)));
        env.prrs().replace("deploy.big.w", &PostParams::default(), &prr).await.unwrap();
        loop {
            match step("the change with the file", reader.try_next()).await.unwrap() {
                Some(WatchEvent::Modified(p))
                    if p.spec.resources.get("blob.txt").is_some_and(|b| b.starts_with(&tag)) =>
                {
                    break;
                }
                // The list may be served just before the pump published the init (a list's
                // resourceVersion is the newest the watches have published): its ADDED repeats.
                Some(WatchEvent::Added(_) | WatchEvent::Modified(_) | WatchEvent::Bookmark(_)) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    let old = env.prrs().watch(&WatchParams::default().timeout(1), &start).await.unwrap();
    let events: Vec<_> = step("the old watch", old.try_collect::<Vec<_>>()).await.unwrap();
    let [WatchEvent::Error(status)] = &events[..] else {
        panic!("expected one ERROR event, got {} events", events.len())
    };
    assert_eq!((status.code, status.reason.as_str()), (410, "Expired"), "{status:?}");
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_watches_opened_and_closed_leave_nothing_behind() {
    let env = deploy_env(|_| {}).await;
    env.init("deploy", "app", "w").await;
    let open_and_close = || async {
        let mut stream = env.prs().watch(&WatchParams::default().timeout(30), "0").await.unwrap().boxed();
        // The current state arrives, then the client goes away.
        assert!(matches!(stream.next().await, Some(Ok(WatchEvent::Added(_)))));
    };
    // Warm up (allocator pools, the client's connection machinery), then measure.
    for _ in 0..500 {
        open_and_close().await;
    }
    let before = rss_kib();
    for _ in 0..100 {
        futures::future::join_all((0..100).map(|_| open_and_close())).await;
    }
    step("the watches to close", async {
        while env.app().open_watches() != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let after = rss_kib();
    assert!(after <= before + before / 10, "RSS grew from {before} KiB to {after} KiB");
}
