//! The upgrade task's file work, in-process: a downstream package of R resources (Deployments,
//! Services and ConfigMaps in files of ten, with comments), cloned from v1 of its blueprint and
//! edited locally (every Deployment scaled, every Service labelled), merged onto v2 (every image
//! and ConfigMap value changed, ten resources added, ten deleted) with v1 as the ancestor. N
//! upgrades per strategy, p50/p99, against the floor: parsing the three packages into resources
//! and writing them back (the least any merge of them must do), and the ratio. Goal: resource-merge
//! p50 < 20 ms at R = 100.
//!
//! Run with `cargo bench --bench upgrade`; defaults R=100, N=100; override with
//! `BENCH_RESOURCES`, `BENCH_UPGRADE_RUNS`.

use std::collections::BTreeMap;
use std::time::Instant;

mod support;
use support::package::{parse_and_emit, resource_files};
use support::{env_usize, ms, percentiles};

type Files = BTreeMap<String, Vec<u8>>;

fn kptfile() -> Vec<u8> {
    b"apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: shop\ninfo:\n  description: the shop\n"
        .to_vec()
}

/// Version `version` of the blueprint: `count` resources, the last ten replaced by ten new ones
/// in v2.
fn blueprint(count: usize, version: usize) -> Files {
    let mut files = resource_files(count, version);
    if version > 1 {
        let last = format!("resources-{}.yaml", count.div_ceil(10) - 1);
        let fresh = resource_files(10, version).remove("resources-0.yaml").expect("one file of ten");
        let fresh = String::from_utf8(fresh)
            .expect("UTF-8")
            .replace("web-", "new-")
            .replace("settings-", "new-settings-");
        files.insert(last, fresh.into_bytes());
    }
    files.insert("Kptfile".into(), kptfile());
    files.insert("README.md".into(), format!("# shop v{version}\n").into_bytes());
    files
}

/// The downstream package: v1 as a clone makes it (merge keys added), then edited locally.
fn local(original: &Files) -> Files {
    let mut files = original.clone();
    let problems = porch_krm::update::ensure_merge_keys(&mut files);
    assert!(problems.is_empty(), "{problems:?}");
    for (path, bytes) in files.iter_mut().filter(|(p, _)| p.starts_with("resources-")) {
        let text = String::from_utf8(std::mem::take(bytes)).expect("UTF-8");
        let text = text
            .replace("replicas: 2", "replicas: 5")
            .replace("\n    run: web-", "\n    tier: front\n    run: web-");
        assert!(text.contains("replicas: 5") || !text.contains("Deployment"), "{path}");
        *bytes = text.into_bytes();
    }
    files
}

fn main() {
    let count = env_usize("BENCH_RESOURCES", 100);
    let runs = env_usize("BENCH_UPGRADE_RUNS", 100);
    let (original, updated) = (blueprint(count, 1), blueprint(count, 2));
    let local = local(&original);

    let merged =
        porch_server::bench::upgrade(&original, &updated, &local, "resource-merge").expect("it merges");
    let sample = String::from_utf8(merged["resources-0.yaml"].clone()).expect("UTF-8");
    assert!(sample.contains("replicas: 5") && sample.contains("image: shop/web:2.0"), "{sample}");
    assert!(sample.contains("tier: front") && sample.contains("# the storefront"), "{sample}");

    let mut floor = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        for files in [&original, &updated, &local] {
            std::hint::black_box(parse_and_emit(files));
        }
        floor.push(start.elapsed());
    }
    let (floor_p50, floor_p99) = percentiles(floor);
    let bytes: usize = local.values().map(Vec::len).sum();
    println!("upgrade: {count} resources ({bytes} bytes local), v1 -> v2, {runs} runs per strategy");
    println!("{:<22} p50 {:>6.2} ms  p99 {:>6.2} ms", "parse + emit x3", ms(floor_p50), ms(floor_p99));
    for strategy in ["resource-merge", "copy-merge", "force-delete-replace"] {
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            let out = porch_server::bench::upgrade(&original, &updated, &local, strategy).expect("it merges");
            samples.push(start.elapsed());
            std::hint::black_box(out);
        }
        let (p50, p99) = percentiles(samples);
        println!(
            "{strategy:<22} p50 {:>6.2} ms  p99 {:>6.2} ms  ratio p50 {:.2}",
            ms(p50),
            ms(p99),
            ms(p50) / ms(floor_p50)
        );
    }
    println!("goal: resource-merge p50 < 20 ms at 100 resources");
}
