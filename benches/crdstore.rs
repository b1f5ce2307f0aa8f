//! Throughput and latency of the embedded CR store (`src/crdstore`), against a real database in a
//! temporary directory. Run with `cargo bench --bench crdstore`; prints one compact table.
//!
//! - create: 10 000 Repository objects one after another (one fsync each) and with 32 concurrent tasks
//!   (group commit folds queued writes into one transaction);
//! - list: all 10 000 objects (`list`, decoded copies, and `list_shared`, the stored encodings), and paged with `limit=500`
//!   (p50/p99 over 50 runs);
//! - watch: 10 watchers each receiving the events of 10 000 updates, live (bounded by the write rate)
//!   and replayed from the event window (delivery alone).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use porch_server::crdstore::{ListOptions, Store, StoreOptions, StoredKind, WatchOptions, WriteOptions};
use serde_json::{Value, json};

mod support;
use support::percentiles;

const OBJECTS: usize = 10_000;
const CONCURRENCY: usize = 32;
const LIST_RUNS: usize = 50;
const WATCHERS: usize = 10;

fn repository(ns: &str, i: usize) -> Value {
    json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1",
        "kind": "Repository",
        "metadata": {"name": format!("repo-{i:05}"), "namespace": ns, "labels": {"bench": "true"}},
        "spec": {
            "description": "a benchmark repository",
            "type": "git",
            "git": {"repo": format!("https://git.example.com/org/repo-{i:05}.git"), "branch": "main", "directory": "/"},
            "sync": {"schedule": "*/10 * * * *"},
        },
    })
}

fn open(dir: &Path) -> Store {
    let opts = StoreOptions { event_window: 4 * OBJECTS, ..StoreOptions::default() };
    Store::open(dir, opts).expect("open the store")
}

async fn namespace(store: &Store, name: &str) {
    store
        .create(StoredKind::Namespace, json!({"metadata": {"name": name}}), &WriteOptions::default())
        .await
        .unwrap();
}

/// Creates `OBJECTS` repositories in `ns` with `tasks` concurrent tasks; returns objects/s.
async fn create_all(store: &Store, ns: &str, tasks: usize) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let store = store.clone();
            let ns = ns.to_string();
            tokio::spawn(async move {
                for i in (t..OBJECTS).step_by(tasks) {
                    store
                        .create(StoredKind::Repository, repository(&ns, i), &WriteOptions::default())
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    OBJECTS as f64 / start.elapsed().as_secs_f64()
}

async fn list_latency(store: &Store, ns: &str, limit: Option<usize>, shared: bool) -> (Duration, Duration) {
    let mut samples = Vec::with_capacity(LIST_RUNS);
    for _ in 0..LIST_RUNS {
        let start = Instant::now();
        let mut token = None;
        let mut n = 0;
        loop {
            let opts = ListOptions { limit, continue_token: token, ..ListOptions::default() };
            if shared {
                let page = store.list_shared(StoredKind::Repository, Some(ns), &opts).await.unwrap();
                // What the HTTP front does with a page: write the items' encodings into one body.
                let mut body = Vec::with_capacity(page.items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
                body.push(b'[');
                for (i, item) in page.items.iter().enumerate() {
                    if i > 0 {
                        body.push(b',');
                    }
                    body.extend_from_slice(item);
                }
                body.push(b']');
                std::hint::black_box(body);
                n += page.items.len();
                token = page.continue_token;
            } else {
                let page = store.list(StoredKind::Repository, Some(ns), &opts).await.unwrap();
                n += page.items.len();
                token = page.continue_token;
            }
            if token.is_none() {
                break;
            }
        }
        assert_eq!(n, OBJECTS);
        samples.push(start.elapsed());
    }
    percentiles(samples)
}

/// Spawns `WATCHERS` watchers of `ns` from `from`, each reading `OBJECTS` events.
fn spawn_watchers(store: &Store, ns: &str, from: u64) -> Vec<tokio::task::JoinHandle<()>> {
    (0..WATCHERS)
        .map(|_| {
            let opts = WatchOptions { resource_version: Some(from.to_string()), ..WatchOptions::default() };
            let mut stream = store.watch(StoredKind::Repository, Some(ns), opts).unwrap();
            tokio::spawn(async move {
                for _ in 0..OBJECTS {
                    stream.next().await.expect("stream open");
                }
            })
        })
        .collect()
}

/// `WATCHERS` live watchers while `OBJECTS` updates run (32 concurrent writers), then `WATCHERS` watchers
/// replaying the same updates from the window; returns delivered events/s for both.
async fn watch_throughput(store: &Store, ns: &str) -> (f64, f64) {
    let from = store.resource_version();
    let live = spawn_watchers(store, ns, from);
    let start = Instant::now();
    let items =
        Arc::new(store.list(StoredKind::Repository, Some(ns), &ListOptions::default()).await.unwrap().items);
    let writers: Vec<_> = (0..CONCURRENCY)
        .map(|t| {
            let (store, items) = (store.clone(), items.clone());
            tokio::spawn(async move {
                for i in (t..OBJECTS).step_by(CONCURRENCY) {
                    let mut obj = items[i].clone();
                    obj["spec"]["description"] = json!("updated");
                    store.update(StoredKind::Repository, obj, &WriteOptions::default()).await.unwrap();
                }
            })
        })
        .collect();
    for h in writers.into_iter().chain(live) {
        h.await.unwrap();
    }
    let live_rate = (WATCHERS * OBJECTS) as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    for h in spawn_watchers(store, ns, from) {
        h.await.unwrap();
    }
    (live_rate, (WATCHERS * OBJECTS) as f64 / start.elapsed().as_secs_f64())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    rt.block_on(async {
        let store = open(dir.path());
        namespace(&store, "seq").await;
        namespace(&store, "conc").await;
        let seq = create_all(&store, "seq", 1).await;
        let conc = create_all(&store, "conc", CONCURRENCY).await;
        let (l50, l99) = list_latency(&store, "conc", None, false).await;
        let (s50, s99) = list_latency(&store, "conc", None, true).await;
        let (p50, p99) = list_latency(&store, "conc", Some(500), true).await;
        let (live, replay) = watch_throughput(&store, "conc").await;

        println!("crdstore benchmark ({OBJECTS} Repository objects, redb, Durability::Immediate)");
        println!("{:<44} {:>14} {:>14}", "case", "result", "p99");
        println!("{:<44} {:>14} {:>14}", "create, sequential", format!("{seq:.0} obj/s"), "");
        println!(
            "{:<44} {:>14} {:>14}",
            format!("create, {CONCURRENCY} concurrent tasks"),
            format!("{conc:.0} obj/s"),
            ""
        );
        println!(
            "{:<44} {:>14} {:>14}",
            format!("list {OBJECTS}, deep copy (p50, {LIST_RUNS} runs)"),
            ms(l50),
            ms(l99)
        );
        println!(
            "{:<44} {:>14} {:>14}",
            format!("list {OBJECTS} as served: shared + JSON (p50)"),
            ms(s50),
            ms(s99)
        );
        println!("{:<44} {:>14} {:>14}", "list as served, limit=500 (all 20 pages, p50)", ms(p50), ms(p99));
        let watch = format!("watch, {WATCHERS} watchers x {OBJECTS} updates");
        println!("{:<44} {:>14} {:>14}", format!("{watch}, live"), format!("{live:.0} ev/s"), "");
        println!("{:<44} {:>14} {:>14}", format!("{watch}, replay"), format!("{replay:.0} ev/s"), "");
    });
}
