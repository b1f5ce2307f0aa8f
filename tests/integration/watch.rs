//! kube-rs `watcher` and raw watches against the server, in-process.

use crate::common::{data_dir, open, repository, rv_of, step};
use futures::{Stream, StreamExt, TryStreamExt};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::watcher;
use porch_api::Repository;
use serde_json::json;

/// A watcher event reduced to what the tests compare: kind, name and description.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Init,
    InitApply(String, String),
    InitDone,
    Apply(String, String),
    Delete(String),
    Error(u16),
}

fn seen(ev: Result<watcher::Event<Repository>, watcher::Error>) -> Seen {
    let describe = |r: Repository| (r.metadata.name.clone().unwrap_or_default(), r.spec.description);
    match ev {
        Ok(watcher::Event::Init) => Seen::Init,
        Ok(watcher::Event::InitApply(r)) => {
            let (n, d) = describe(r);
            Seen::InitApply(n, d)
        }
        Ok(watcher::Event::InitDone) => Seen::InitDone,
        Ok(watcher::Event::Apply(r)) => {
            let (n, d) = describe(r);
            Seen::Apply(n, d)
        }
        Ok(watcher::Event::Delete(r)) => Seen::Delete(r.metadata.name.unwrap_or_default()),
        Err(watcher::Error::WatchError(status)) => Seen::Error(status.code),
        Err(e) => panic!("unexpected watcher error: {e}"),
    }
}

async fn next<S>(stream: &mut S) -> Seen
where
    S: Stream<Item = Result<watcher::Event<Repository>, watcher::Error>> + Unpin,
{
    seen(step("the next watcher event", stream.next()).await.expect("the watcher stream never ends"))
}

fn pair(name: &str, description: &str) -> (String, String) {
    (name.to_string(), description.to_string())
}

fn describe_patch(description: &str) -> Patch<serde_json::Value> {
    Patch::Merge(json!({"spec": {"description": description}}))
}

#[tokio::test]
async fn watcher_sees_create_update_delete_in_order() {
    let dir = data_dir();
    let app = open(&dir, None);
    let api: Api<Repository> = Api::namespaced(app.kube_client(), "default");
    let existing =
        step("create", api.create(&PostParams::default(), &repository("existing", "old"))).await.unwrap();

    let mut events = watcher(api.clone(), watcher::Config::default()).boxed();
    assert_eq!(next(&mut events).await, Seen::Init);
    assert_eq!(next(&mut events).await, Seen::InitApply("existing".into(), "old".into()));
    assert_eq!(next(&mut events).await, Seen::InitDone);

    let created =
        step("create", api.create(&PostParams::default(), &repository("blueprints", "one"))).await.unwrap();
    assert!(rv_of(&created) > rv_of(&existing));
    assert_eq!(next(&mut events).await, Seen::Apply("blueprints".into(), "one".into()));

    let pp = PatchParams::default();
    let updated = step("patch", api.patch("blueprints", &pp, &describe_patch("two"))).await.unwrap();
    assert!(rv_of(&updated) > rv_of(&created));
    assert_eq!(next(&mut events).await, Seen::Apply("blueprints".into(), "two".into()));

    step("delete", api.delete("blueprints", &DeleteParams::default())).await.unwrap();
    assert_eq!(next(&mut events).await, Seen::Delete("blueprints".into()));

    // Another namespace's objects are not seen by a namespaced watcher.
    let other: Api<Repository> = Api::namespaced(app.kube_client(), "kube-public");
    step("create elsewhere", other.create(&PostParams::default(), &repository("elsewhere", "x")))
        .await
        .unwrap();
    step("patch", api.patch("existing", &pp, &describe_patch("new"))).await.unwrap();
    assert_eq!(next(&mut events).await, Seen::Apply("existing".into(), "new".into()));
}

#[tokio::test]
async fn a_watch_from_an_expired_resource_version_gets_a_410_error_event() {
    let dir = data_dir();
    let app = open(&dir, Some(5));
    let api: Api<Repository> = Api::namespaced(app.kube_client(), "default");
    let first = step("create", api.create(&PostParams::default(), &repository("churn", "0"))).await.unwrap();
    let old_rv = first.metadata.resource_version.clone().unwrap();
    let pp = PatchParams::default();
    for i in 1..=20 {
        step("patch", api.patch("churn", &pp, &describe_patch(&i.to_string()))).await.unwrap();
    }

    // The request itself succeeds; the expiry arrives as an ERROR event, then the stream ends.
    let stream = step("watch", api.watch(&WatchParams::default(), &old_rv)).await.expect("watch answers 200");
    let events: Vec<_> = step("the watch to end", stream.try_collect::<Vec<_>>()).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let WatchEvent::Error(status) = &events[0] else {
        panic!("expected an ERROR event, got {:?}", events[0])
    };
    assert_eq!(status.code, 410, "{status:?}");
    assert_eq!(status.reason, "Expired", "{status:?}");
    assert!(status.message.contains("too old resource version"), "{status:?}");

    // A resourceVersion still inside the window resumes with exactly the later events.
    let recent = step("patch", api.patch("churn", &pp, &describe_patch("21"))).await.unwrap();
    step("patch", api.patch("churn", &pp, &describe_patch("22"))).await.unwrap();
    let wp = WatchParams::default().timeout(1);
    let stream =
        step("watch", api.watch(&wp, recent.metadata.resource_version.as_deref().unwrap())).await.unwrap();
    let events: Vec<_> = step("the watch to time out", stream.try_collect::<Vec<_>>()).await.unwrap();
    let descriptions: Vec<String> = events
        .into_iter()
        .filter_map(|e| match e {
            WatchEvent::Modified(r) => Some(r.spec.description),
            WatchEvent::Bookmark(_) => None,
            other => panic!("unexpected event {other:?}"),
        })
        .collect();
    assert_eq!(descriptions, ["22"]);
}

#[tokio::test]
async fn the_watcher_relists_after_falling_out_of_the_window() {
    let dir = data_dir();
    let app = open(&dir, Some(5));
    let api: Api<Repository> = Api::namespaced(app.kube_client(), "default");
    let pp = PatchParams::default();
    step("create", api.create(&PostParams::default(), &repository("steady", "s"))).await.unwrap();

    // The server closes each watch after a second; the watcher then resumes from its last RV.
    let mut events = watcher(api.clone(), watcher::Config::default().timeout(1)).boxed();
    assert_eq!(next(&mut events).await, Seen::Init);
    assert_eq!(next(&mut events).await, Seen::InitApply("steady".into(), "s".into()));
    assert_eq!(next(&mut events).await, Seen::InitDone);
    step("create", api.create(&PostParams::default(), &repository("busy", "0"))).await.unwrap();
    assert_eq!(next(&mut events).await, Seen::Apply("busy".into(), "0".into()));

    // Paused: not polled while its watch times out and more than a window of changes happens.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    for i in 1..=12 {
        step("patch", api.patch("busy", &pp, &describe_patch(&i.to_string()))).await.unwrap();
    }
    step("create", api.create(&PostParams::default(), &repository("late", "l"))).await.unwrap();
    step("delete", api.delete("steady", &DeleteParams::default())).await.unwrap();

    // Resumed: the re-watch is too old, the watcher reports the 410 and relists the current state.
    assert_eq!(next(&mut events).await, Seen::Error(410));
    assert_eq!(next(&mut events).await, Seen::Init);
    let mut listed = Vec::new();
    loop {
        match next(&mut events).await {
            Seen::InitApply(n, d) => listed.push((n, d)),
            Seen::InitDone => break,
            other => panic!("unexpected {other:?} during the relist"),
        }
    }
    listed.sort();
    assert_eq!(listed, [pair("busy", "12"), pair("late", "l")]);

    // And it keeps following changes afterwards.
    step("patch", api.patch("late", &pp, &describe_patch("after"))).await.unwrap();
    // (The 1 s watch timeouts in between are invisible: only real changes come out.)
    assert_eq!(next(&mut events).await, Seen::Apply("late".into(), "after".into()));
}

/// The events of a watch until it ends, as `TYPE description` (BOOKMARKs left out) or, for an
/// ERROR, `ERROR code reason message`.
async fn collect(stream: impl Stream<Item = Result<WatchEvent<Repository>, kube::Error>>) -> Vec<String> {
    let events: Vec<_> = step("the watch to end", stream.try_collect::<Vec<_>>()).await.unwrap();
    events
        .into_iter()
        .filter_map(|e| match e {
            WatchEvent::Added(r) => Some(format!("ADDED {}", r.spec.description)),
            WatchEvent::Modified(r) => Some(format!("MODIFIED {}", r.spec.description)),
            WatchEvent::Deleted(r) => Some(format!("DELETED {}", r.spec.description)),
            WatchEvent::Bookmark(_) => None,
            WatchEvent::Error(s) => Some(format!("ERROR {} {} {}", s.code, s.reason, s.message)),
        })
        .collect()
}

/// A watch from a resourceVersion the server has not reached (D9) waits for it: the changes
/// after it arrive as usual. Had the watch started at the current version, it would also have
/// sent the change that reached it.
#[tokio::test]
async fn a_watch_from_a_resource_version_not_reached_yet_starts_there_once_reached() {
    let dir = data_dir();
    let app = open(&dir, None);
    let api: Api<Repository> = Api::namespaced(app.kube_client(), "default");
    let created = step("create", api.create(&PostParams::default(), &repository("soon", "0"))).await.unwrap();
    let next = rv_of(&created) + 1;
    let wp = WatchParams::default().timeout(2);
    let stream = step("watch", api.watch(&wp, &next.to_string())).await.expect("watch answers 200");
    let pp = PatchParams::default();
    let first = step("patch", api.patch("soon", &pp, &describe_patch("1"))).await.unwrap();
    assert_eq!(rv_of(&first), next, "nothing else writes in between");
    step("patch", api.patch("soon", &pp, &describe_patch("2"))).await.unwrap();
    assert_eq!(collect(stream).await, ["MODIFIED 2"]);
}

/// One it does not reach within about 3 s gets kube-apiserver's `Too large resource version`
/// ERROR event (504) and ends, instead of staying silent and withholding later events.
#[tokio::test]
async fn a_watch_from_a_resource_version_never_reached_gets_too_large_and_ends() {
    let dir = data_dir();
    let app = open(&dir, None);
    let api: Api<Repository> = Api::namespaced(app.kube_client(), "default");
    let created = step("create", api.create(&PostParams::default(), &repository("far", "0"))).await.unwrap();
    let far = rv_of(&created) + 1000;
    let stream = step("watch", api.watch(&WatchParams::default(), &far.to_string())).await.unwrap();
    let pp = PatchParams::default();
    let changed = step("patch", api.patch("far", &pp, &describe_patch("1"))).await.unwrap();
    assert_eq!(
        collect(stream).await,
        [format!(
            "ERROR 504 Timeout Timeout: Too large resource version: {far}, current: {}",
            rv_of(&changed)
        )]
    );
    // With sendInitialEvents too.
    let wp = WatchParams::streaming_lists();
    let stream = step("watch", api.watch(&wp, &far.to_string())).await.unwrap();
    let events = collect(stream).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].starts_with("ERROR 504 Timeout"), "{events:?}");
}

/// `timeoutSeconds=0` means no timeout given, as in kube-apiserver (D10): the watch stays open
/// and carries later changes, instead of closing after the initial events.
#[tokio::test]
async fn a_watch_with_timeout_seconds_zero_stays_open() {
    use http_body_util::BodyExt;
    let dir = data_dir();
    let app = open(&dir, None);
    let api: Api<Repository> = Api::namespaced(app.kube_client(), "default");
    step("create", api.create(&PostParams::default(), &repository("open", "0"))).await.unwrap();
    let request = http::Request::get(
        "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories?watch=1&timeoutSeconds=0",
    )
    .body(kube::client::Body::empty())
    .unwrap();
    let response = step("watch", app.kube_client().send(request)).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let mut text = String::new();
    let mut read_until = async |want: &str, text: &mut String| {
        while !text.contains(want) {
            let frame = step(&format!("a frame with {want:?}"), body.frame()).await;
            let frame = frame.unwrap_or_else(|| panic!("the watch ended before {want:?}; got {text}"));
            text.push_str(&String::from_utf8_lossy(&frame.unwrap().into_data().unwrap()));
        }
    };
    read_until(r#""type":"ADDED""#, &mut text).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    step("patch", api.patch("open", &PatchParams::default(), &describe_patch("later"))).await.unwrap();
    read_until(r#""description":"later""#, &mut text).await;
    assert!(text.contains(r#""type":"MODIFIED""#), "{text}");
}
