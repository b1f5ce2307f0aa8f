//! Render of a package through builtin functions, in-process: a package of R resources
//! (Deployments, Services and ConfigMaps in files of ten, with comments) whose Kptfile runs
//! set-namespace, set-labels and apply-replacements (its configuration read from the package).
//! N renders, p50/p99, against the floor: parsing the same package into resources and writing
//! them back (`porch_krm::package::read` + `write` after changing one value in every resource, so
//! every file is emitted), and the ratio. Goal: p50 < 10 ms, ratio ≤ 3.
//!
//! Run with `cargo bench --bench render`; defaults R=100, N=200; override with
//! `BENCH_RESOURCES`, `BENCH_RENDER_RUNS`.

use std::collections::BTreeMap;
use std::time::Instant;

mod support;
use support::package::{parse_and_emit, resource_files};
use support::{env_usize, ms, percentiles};

const PREFIX: &str = "ghcr.io/kptdev/krm-functions-catalog/";

const KPTFILE: &str = "\
apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: shop
  annotations:
    config.kubernetes.io/local-config: \"true\"
pipeline:
  mutators:
  - image: set-namespace:v0.4.5
    configMap:
      namespace: shop-prod
  - image: set-labels:v0.2.1
    configMap:
      app: shop
      tier: web
  - image: apply-replacements:v0.1.5
    configPath: replacements.yaml
";

const REPLACEMENTS: &str = "\
apiVersion: fn.kpt.dev/v1alpha1
kind: ApplyReplacements
metadata:
  name: wire-db
  annotations:
    config.kubernetes.io/local-config: \"true\"
replacements:
- source:
    kind: ConfigMap
    name: settings-0
    fieldPath: data.db-host
  targets:
  - select:
      kind: Deployment
    fieldPaths:
    - spec.template.spec.containers.[name=web].env.[name=DB_HOST].value
";

/// The package: Kptfile, replacements, and `count` resources in files of ten.
fn package(count: usize) -> BTreeMap<String, Vec<u8>> {
    let mut files = resource_files(count, 1);
    files.insert("Kptfile".to_string(), KPTFILE.as_bytes().to_vec());
    files.insert("replacements.yaml".to_string(), REPLACEMENTS.as_bytes().to_vec());
    files.insert("README.md".to_string(), b"# shop\n".to_vec());
    files
}

fn main() {
    let count = env_usize("BENCH_RESOURCES", 100);
    let runs = env_usize("BENCH_RENDER_RUNS", 200);
    let files = package(count);
    let rendered = porch_server::bench::render(&files, PREFIX).expect("the package renders");
    let sample = String::from_utf8(rendered["resources-0.yaml"].clone()).expect("UTF-8");
    assert!(sample.contains("namespace: shop-prod") && sample.contains("value: db.example.com"), "{sample}");
    assert!(sample.contains("app: shop"), "{sample}");

    let mut render = Vec::with_capacity(runs);
    let mut floor = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let out = porch_server::bench::render(&files, PREFIX).expect("the package renders");
        render.push(start.elapsed());
        std::hint::black_box(out);
        let start = Instant::now();
        std::hint::black_box(parse_and_emit(&files));
        floor.push(start.elapsed());
    }
    let (render_p50, render_p99) = percentiles(render);
    let (floor_p50, floor_p99) = percentiles(floor);
    let bytes: usize = files.values().map(Vec::len).sum();
    println!("render: {count} resources ({bytes} bytes), 3 builtin functions, {runs} runs");
    println!("render         p50 {:.2} ms  p99 {:.2} ms", ms(render_p50), ms(render_p99));
    println!("parse + emit   p50 {:.2} ms  p99 {:.2} ms", ms(floor_p50), ms(floor_p99));
    println!(
        "ratio          p50 {:.2}  p99 {:.2}  (goal: p50 < 10 ms, ratio <= 3)",
        ms(render_p50) / ms(floor_p50),
        ms(render_p99) / ms(floor_p99)
    );
}
