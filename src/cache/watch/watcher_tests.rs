use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use porch_layers::request::WatchStream;
use porch_layers::{WatchEvent, WatchEventType};
use serde_json::{Value, json};

use crate::cache::watch::{Change, ChangeType, Matcher, WatchRequest, WatcherManager};
use crate::rv_window::EventBudget;

fn manager(window: usize) -> WatcherManager {
    WatcherManager::new(
        "things",
        "example.dev/v1",
        "Thing",
        window,
        &EventBudget::default(),
        Duration::from_millis(50),
        10,
    )
}

fn obj(name: &str, team: &str, rv: u64) -> Arc<Value> {
    Arc::new(json!({"metadata": {"name": name, "namespace": "ns", "resourceVersion": rv.to_string(),
                                 "labels": {"team": team}}}))
}

fn publish(
    m: &WatcherManager,
    rv: u64,
    t: ChangeType,
    name: &str,
    team: &str,
    prev: Option<Arc<Value>>,
) -> Arc<Value> {
    let o = obj(name, team, rv);
    m.publish(Change::new(rv, t, "ns", name, o.clone(), prev.map(Into::into)));
    o
}

fn all() -> Matcher {
    Matcher::all()
}

fn team(t: &'static str) -> Matcher {
    Matcher::new(move |o: &Value| o.pointer("/metadata/labels/team").and_then(Value::as_str) == Some(t))
}

fn request(matches: Matcher, rv: Option<&str>) -> WatchRequest {
    WatchRequest {
        namespace: Some("ns".into()),
        matches,
        resource_version: rv.map(str::to_string),
        send_initial_events: false,
        allow_bookmarks: false,
    }
}

async fn next(s: &mut WatchStream) -> WatchEvent {
    tokio::time::timeout(Duration::from_secs(5), s.next()).await.expect("an event in time").expect("open")
}

async fn quiet(s: &mut WatchStream) {
    assert!(tokio::time::timeout(Duration::from_millis(100), s.next()).await.is_err(), "unexpected event");
}

fn seen(e: &WatchEvent) -> (WatchEventType, String) {
    (e.event_type, e.object["metadata"]["name"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn from_the_current_state_then_the_changes() {
    let m = manager(100);
    let a = publish(&m, 11, ChangeType::Added, "a", "x", None);
    publish(&m, 12, ChangeType::Added, "b", "x", None);
    let mut s = m.watch(request(all(), None)).unwrap();
    assert_eq!(seen(&next(&mut s).await), (WatchEventType::Added, "a".into()));
    assert_eq!(seen(&next(&mut s).await), (WatchEventType::Added, "b".into()));
    quiet(&mut s).await;
    publish(&m, 13, ChangeType::Modified, "a", "x", Some(a.clone()));
    let e = next(&mut s).await;
    assert_eq!(seen(&e), (WatchEventType::Modified, "a".into()));
    assert_eq!(e.object["metadata"]["resourceVersion"], "13");
    publish(&m, 14, ChangeType::Deleted, "b", "x", None);
    assert_eq!(seen(&next(&mut s).await), (WatchEventType::Deleted, "b".into()));
}

#[tokio::test]
async fn resuming_gets_exactly_the_later_changes_and_old_versions_expire() {
    let m = manager(3);
    for (rv, name) in [(11, "a"), (12, "b"), (15, "c"), (16, "d")] {
        publish(&m, rv, ChangeType::Added, name, "x", None);
    }
    let mut s = m.watch(request(all(), Some("12"))).unwrap();
    assert_eq!(seen(&next(&mut s).await).1, "c");
    assert_eq!(seen(&next(&mut s).await).1, "d");
    quiet(&mut s).await;
    let mut old = m.watch(request(all(), Some("10"))).unwrap();
    let e = next(&mut old).await;
    assert_eq!(e.event_type, WatchEventType::Error);
    assert_eq!((e.object["code"].clone(), e.object["reason"].clone()), (json!(410), json!("Expired")));
    assert!(old.next().await.is_none(), "the stream ends after the error");
    assert!(m.watch(request(all(), Some("abc"))).is_err());
}

#[tokio::test]
async fn selectors_turn_changes_into_added_and_deleted_at_the_edges() {
    let m = manager(100);
    let mut s = m.watch(request(team("x"), None)).unwrap();
    let v1 = publish(&m, 11, ChangeType::Added, "a", "y", None);
    quiet(&mut s).await;
    let v2 = publish(&m, 12, ChangeType::Modified, "a", "x", Some(v1));
    assert_eq!(seen(&next(&mut s).await), (WatchEventType::Added, "a".into()));
    let v3 = publish(&m, 13, ChangeType::Modified, "a", "x", Some(v2));
    assert_eq!(seen(&next(&mut s).await), (WatchEventType::Modified, "a".into()));
    publish(&m, 14, ChangeType::Modified, "a", "z", Some(v3));
    assert_eq!(seen(&next(&mut s).await), (WatchEventType::Deleted, "a".into()));
    // Other namespaces are not seen.
    m.publish(Change::new(15, ChangeType::Added, "other", "o", obj("o", "x", 15), None));
    quiet(&mut s).await;
}

#[tokio::test]
async fn initial_events_end_with_a_bookmark_and_bookmarks_follow() {
    let m = manager(100);
    publish(&m, 11, ChangeType::Added, "a", "x", None);
    m.advance(20);
    let mut req = request(all(), Some("5"));
    req.send_initial_events = true;
    req.allow_bookmarks = true;
    let mut s = m.watch(req).unwrap();
    assert_eq!(seen(&next(&mut s).await), (WatchEventType::Added, "a".into()));
    let end = next(&mut s).await;
    assert_eq!(end.event_type, WatchEventType::Bookmark);
    assert_eq!(end.object["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
    assert_eq!(end.object["metadata"]["resourceVersion"], "20");
    assert_eq!(
        (end.object["kind"].clone(), end.object["apiVersion"].clone()),
        (json!("Thing"), json!("example.dev/v1"))
    );
    assert_eq!(next(&mut s).await.event_type, WatchEventType::Bookmark);
}

#[tokio::test]
async fn every_watcher_sends_the_same_bytes_and_is_counted_while_open() {
    let m = manager(100);
    let mut a = m.watch(request(all(), Some("10"))).unwrap();
    let mut b = m.watch(request(all(), Some("10"))).unwrap();
    assert_eq!(m.watchers(), 2);
    publish(&m, 11, ChangeType::Added, "a", "x", None);
    let (ea, eb) = (next(&mut a).await, next(&mut b).await);
    let (la, lb) = (ea.encoded.unwrap(), eb.encoded.unwrap());
    assert_eq!(la.as_ptr(), lb.as_ptr(), "one encoding, shared");
    assert!(la.starts_with(b"{\"type\":\"ADDED\",\"object\":{"), "{la:?}");
    drop((a, b));
    assert_eq!(m.watchers(), 0);
}

#[tokio::test]
async fn delivered_objects_can_be_loaded_once_on_demand() {
    let m = manager(100);
    let loads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = loads.clone();
    let change = Change::new(11, ChangeType::Added, "ns", "a", obj("a", "x", 11), None).delivering(Box::new(
        move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async { Some(json!({"kind": "Files", "metadata": {"name": "a"}})) })
        },
    ));
    let mut a = m.watch(request(all(), Some("10"))).unwrap();
    let mut b = m.watch(request(team("x"), Some("10"))).unwrap();
    m.publish(change);
    assert_eq!(next(&mut a).await.object["kind"], "Files");
    assert_eq!(next(&mut b).await.object["kind"], "Files");
    assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_consumer_that_falls_out_of_the_window_gets_410_and_never_holds_anyone_up() {
    let m = manager(3);
    let mut slow = m.watch(request(all(), Some("10"))).unwrap();
    let mut fast = m.watch(request(all(), Some("10"))).unwrap();
    for rv in 11..=20 {
        publish(&m, rv, ChangeType::Added, &format!("o{rv}"), "x", None);
        // The fast one keeps up; the slow one reads nothing meanwhile.
        assert_eq!(next(&mut fast).await.object["metadata"]["resourceVersion"], rv.to_string());
    }
    let e = next(&mut slow).await;
    assert_eq!(e.event_type, WatchEventType::Error);
    assert_eq!(e.object["code"], 410);
    assert!(slow.next().await.is_none());
}

#[tokio::test]
async fn closing_sends_what_is_left_then_a_last_bookmark_and_ends() {
    let m = manager(100);
    let bookmarks = WatchRequest { allow_bookmarks: true, ..request(all(), Some("10")) };
    let mut with = m.watch(bookmarks).unwrap();
    let mut without = m.watch(request(all(), Some("10"))).unwrap();
    // A watch waiting for a resourceVersion not reached yet just ends.
    let mut waiting = m.watch(request(all(), Some("99"))).unwrap();
    publish(&m, 11, ChangeType::Added, "a", "x", None);
    publish(&m, 12, ChangeType::Added, "b", "x", None);
    m.advance(13);
    m.close();

    assert_eq!(seen(&next(&mut with).await), (WatchEventType::Added, "a".into()));
    assert_eq!(seen(&next(&mut with).await), (WatchEventType::Added, "b".into()));
    let last = next(&mut with).await;
    assert_eq!(last.event_type, WatchEventType::Bookmark);
    assert_eq!(last.object["metadata"]["resourceVersion"], "13", "complete up to the manager's position");
    assert!(with.next().await.is_none(), "then it ends");

    assert_eq!(seen(&next(&mut without).await), (WatchEventType::Added, "a".into()));
    assert_eq!(seen(&next(&mut without).await), (WatchEventType::Added, "b".into()));
    assert!(without.next().await.is_none(), "no bookmark unless asked for");
    assert!(waiting.next().await.is_none());
    // A watch opened after closing ends at once.
    let mut late = m.watch(request(all(), Some("13"))).unwrap();
    assert!(late.next().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_bookmark_after_a_change_carries_how_far_the_source_moved_since() {
    let m = manager(100);
    let mut s = m.watch(WatchRequest { allow_bookmarks: true, ..request(all(), Some("10")) }).unwrap();
    publish(&m, 11, ChangeType::Added, "a", "x", None);
    assert_eq!(seen(&next(&mut s).await), (WatchEventType::Added, "a".into()));
    // Changes of other resources: no notification to this resource's watchers.
    m.advance(15);
    let bookmark = next(&mut s).await;
    assert_eq!(bookmark.event_type, WatchEventType::Bookmark);
    assert_eq!(bookmark.object["metadata"]["resourceVersion"], "15");
}

#[tokio::test(start_paused = true)]
async fn reached_waits_for_a_published_version_and_gives_up_after_the_wait() {
    let m = manager(8);
    assert!(m.reached(10).await, "the start version is reached at once");
    let later = m.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        later.advance(12);
    });
    let started = tokio::time::Instant::now();
    assert!(m.reached(12).await);
    assert_eq!(started.elapsed(), Duration::from_millis(500), "woken by the advance, not by polling");
    assert!(!m.reached(13).await, "never published: the wait ends");
    assert_eq!(started.elapsed(), Duration::from_millis(500) + crate::rv_window::TOO_LARGE_WAIT);
}

/// The same slow and fast consumers on the metrics: events sent, the expiry, the window's size
/// and what it evicted for its count.
#[tokio::test]
async fn watches_and_their_window_are_measured() {
    use crate::metrics::{sample, test_recorder};
    let handle = test_recorder();
    let m = WatcherManager::new(
        "metered-things",
        "example.dev/v1",
        "Thing",
        3,
        &EventBudget::default(),
        Duration::from_millis(50),
        10,
    );
    let mut slow = m.watch(request(all(), Some("10"))).unwrap();
    let mut fast = m.watch(request(all(), Some("10"))).unwrap();
    for rv in 11..=20 {
        publish(&m, rv, ChangeType::Added, &format!("o{rv}"), "x", None);
        next(&mut fast).await;
    }
    assert_eq!(next(&mut slow).await.event_type, WatchEventType::Error);
    let text = handle.render();
    let value = |name: &str, labels: &[(&str, &str)]| sample(&text, name, labels);
    let resource = [("resource", "metered-things")];
    let window = [("window", "metered-things")];
    assert_eq!(value("porch_watchers", &resource), Some(2.0), "{text}");
    assert_eq!(value("porch_watch_events_sent_total", &resource), Some(11.0), "10 changes and a 410: {text}");
    assert_eq!(value("porch_watch_expired_total", &resource), Some(1.0), "{text}");
    assert_eq!(value("porch_watch_window_events", &window), Some(3.0), "{text}");
    let evicted = [window[0], ("reason", "count")];
    assert_eq!(value("porch_watch_window_evictions_total", &evicted), Some(7.0), "{text}");
    assert!(value("porch_watch_window_bytes", &[]).is_some(), "{text}");

    // A budget too small for more than the newest change: the others go for bytes.
    let budget = EventBudget::new(1);
    let m = WatcherManager::new(
        "metered-bytes",
        "example.dev/v1",
        "Thing",
        100,
        &budget,
        Duration::from_secs(1),
        10,
    );
    for rv in 11..=13 {
        publish(&m, rv, ChangeType::Added, &format!("o{rv}"), "x", None);
    }
    let text = handle.render();
    let window = ("window", "metered-bytes");
    assert_eq!(sample(&text, "porch_watch_window_events", &[window]), Some(1.0), "{text}");
    let evicted = [window, ("reason", "bytes")];
    assert_eq!(sample(&text, "porch_watch_window_evictions_total", &evicted), Some(2.0), "{text}");
}

#[tokio::test]
async fn older_changes_kept_as_json_are_read_back_as_they_were_published() {
    let m = manager(1000);
    // `a` moves from team x to team y, then 200 other changes follow: both states of the move
    // are long cooled when a watch resumes from before it.
    let first = publish(&m, 11, ChangeType::Added, "a", "x", None);
    let moved = publish(&m, 12, ChangeType::Modified, "a", "y", Some(first.clone()));
    let mut published = vec![first, moved.clone()];
    for rv in 13..213 {
        published.push(publish(&m, rv, ChangeType::Added, &format!("o{rv}"), "z", None));
    }
    let mut all_of_them = m.watch(request(all(), Some("10"))).unwrap();
    for object in &published {
        assert_eq!(next(&mut all_of_them).await.object, *object);
    }
    let mut x = m.watch(request(team("x"), Some("10"))).unwrap();
    assert_eq!(seen(&next(&mut x).await), (WatchEventType::Added, "a".into()));
    let left = next(&mut x).await;
    assert_eq!((left.event_type, left.object), (WatchEventType::Deleted, moved));
    quiet(&mut x).await;
    let current = m.current("ns", "a").unwrap();
    assert_eq!((*current.object()).clone(), *published[1]);
}
