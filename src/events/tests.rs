//! The pump against the real embedded store: a watch of PackageRevs that has fallen out of the
//! store's window ends with 410, and the list after it restarts the porch.kpt.dev windows there,
//! so that every watch from before gets its own 410.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, PostParams};
use porch_api::PackageRev;
use porch_controllers::Stored;
use porch_layers::WatchEventType;

use super::*;
use crate::cache::registry::RegistryConfig;
use crate::cache::watch::{Matcher, WatchRequest};
use crate::config::Config;
use crate::metadata::Metadata;
use crate::rv_window::EventBudget;

const WINDOW: usize = 8;

fn pump(client: &kube::Client, data_dir: &std::path::Path, start: u64) -> Pump {
    let budget = EventBudget::new(64 << 20);
    let watches = Watches::new(start, WINDOW, &budget, Duration::from_secs(60));
    let registry = Registry::new(RegistryConfig {
        client: client.clone(),
        data_dir: data_dir.to_path_buf(),
        log: Arc::new(Metadata::new(client.clone())),
        retry_attempts: 1,
        max_concurrent_syncs: 1,
    });
    let caches = registry.take_events().expect("a new registry's events");
    Pump::new(watches, registry, caches, Metadata::new(client.clone()))
}

/// A watch of every PackageRevision from resourceVersion `rv`.
fn from(rv: u64) -> WatchRequest {
    WatchRequest {
        namespace: None,
        matches: Matcher::all(),
        resource_version: Some(rv.to_string()),
        send_initial_events: false,
        allow_bookmarks: false,
    }
}

#[tokio::test]
async fn an_expired_package_rev_watch_lists_again_and_restarts_the_windows() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = Config::with_data_dir(tmp.path().join("data"));
    config.watch_event_window = WINDOW;
    config.repository_controller = false;
    let app = crate::app::App::open(&config, None).unwrap();
    let client = app.kube_client();
    let api: Api<Stored<PackageRev>> = Api::namespaced(client.clone(), "default");
    let start = {
        let first = PackageRev::shadow("default", "r.p.w0", "r", &UserMeta::default());
        let made = api.create(&PostParams::default(), &Stored::new(first)).await.unwrap();
        kube::Resource::meta(&made).resource_version.as_deref().unwrap().parse::<u64>().unwrap()
    };
    let mut pump = pump(&client, tmp.path(), start);
    let mut before = pump.watches.revisions.watch(from(start)).expect("a watch from the windows' start");

    // Twice the store's window of changes after the pump's position: its watch is expired.
    for i in 1..=2 * WINDOW {
        let rev = PackageRev::shadow("default", &format!("r.p.w{i}"), "r", &UserMeta::default());
        api.create(&PostParams::default(), &Stored::new(rev)).await.unwrap();
    }
    let all: Api<Stored<PackageRev>> = Api::all(client.clone());
    assert!(matches!(pump.follow(&all).await, Ok(Ended::Expired)), "the watch from {start} is too old");
    assert!(pump.expired);

    pump.list(&all).await.expect("listing PackageRevs");
    let listed = pump.position;
    assert!(listed >= start + 2 * WINDOW as u64, "the pump moved to the list's resourceVersion ({listed})");
    assert_eq!(pump.watches.revisions.resource_version(), listed);
    assert_eq!(pump.watches.packages.resource_version(), listed);
    assert_eq!(pump.metas.len(), 2 * WINDOW + 1, "the list's PackageRevs are known");
    assert!(!pump.expired, "the restart is done once");

    let event = tokio::time::timeout(Duration::from_secs(5), before.next())
        .await
        .expect("the old watch hears of the restart")
        .expect("an event before the end");
    assert_eq!(event.event_type, WatchEventType::Error);
    assert_eq!(event.object["code"], 410, "{:?}", event.object);
    let first = pump.watches.revisions.watch(from(start)).unwrap().next().await.expect("an answer");
    assert_eq!((first.event_type, first.object["code"].clone()), (WatchEventType::Error, 410.into()));
}

#[tokio::test]
async fn on_a_restart_the_first_list_is_the_metadata_stores() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = Config::with_data_dir(tmp.path().join("data"));
    config.repository_controller = false;
    let app = crate::app::App::open(&config, None).unwrap();
    let client = app.kube_client();
    let api: Api<Stored<PackageRev>> = Api::namespaced(client.clone(), "default");
    let labelled = UserMeta { labels: [("a".to_string(), "b".to_string())].into(), ..UserMeta::default() };
    let mut last = 0;
    for (name, user) in [("r.p.w1", &UserMeta::default()), ("r.p.w2", &labelled)] {
        let rev = Stored::new(PackageRev::shadow("default", name, "r", user));
        let made = api.create(&PostParams::default(), &rev).await.unwrap();
        last = kube::Resource::meta(&made).resource_version.as_deref().unwrap().parse::<u64>().unwrap();
    }
    // The watches start at a known resourceVersion, as a restarted standalone server's do.
    let mut pump = pump(&client, tmp.path(), last);
    let all: Api<Stored<PackageRev>> = Api::all(client.clone());
    pump.list(&all).await.expect("listing PackageRevs");
    assert_eq!(pump.position, last, "no new starting point");
    let key = |name: &str| ("default".to_string(), name.to_string());
    assert_eq!(pump.metas.len(), 2);
    assert!(matches!(pump.metas[&key("r.p.w1")], Seen::Plain { .. }));
    assert_eq!(pump.visible(&key("r.p.w2")).0.labels, labelled.labels, "what users set is seen");
    assert_eq!(pump.metas[&key("r.p.w2")].rv(), last);
}
