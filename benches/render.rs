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

/// Resource `i` of the package.
fn resource(i: usize) -> String {
    match i % 3 {
        0 => format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i} # the storefront\n  namespace: shop\n\
             spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      run: web-{i}\n  template:\n    metadata:\n      \
             labels:\n        run: web-{i}\n    spec:\n      containers:\n      - name: web\n        image: shop/web:1.{i}\n        \
             env:\n        - name: DB_HOST\n          value: to-be-set\n        ports:\n        - containerPort: 8080\n"
        ),
        1 => format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-{i}\n  namespace: shop\nspec:\n  selector:\n    \
             run: web-{i}\n  ports:\n  - port: 80 # public\n    targetPort: 8080\n"
        ),
        _ => format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-{}\n  namespace: shop\ndata:\n  db-host: \
             db.example.com\n  retries: \"3\"\n",
            i / 3
        ),
    }
}

/// The package: Kptfile, replacements, and `count` resources in files of ten.
fn package(count: usize) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::from([
        ("Kptfile".to_string(), KPTFILE.as_bytes().to_vec()),
        ("replacements.yaml".to_string(), REPLACEMENTS.as_bytes().to_vec()),
        ("README.md".to_string(), b"# shop\n".to_vec()),
    ]);
    for file in 0..count.div_ceil(10) {
        let docs: Vec<String> = (file * 10..((file + 1) * 10).min(count)).map(resource).collect();
        files.insert(
            format!("resources-{file}.yaml"),
            format!("# part {file}\n{}", docs.join("---\n")).into_bytes(),
        );
    }
    files
}

/// The floor: read the package's resources, change one value in each, write them back.
fn parse_and_emit(files: &BTreeMap<String, Vec<u8>>) -> usize {
    let texts: BTreeMap<String, String> =
        files.iter().map(|(p, b)| (p.clone(), String::from_utf8(b.clone()).expect("UTF-8"))).collect();
    let mut items = porch_krm::package::read(&texts).expect("the package reads");
    for item in &mut items {
        if let Some(metadata) = item.root.as_mut().and_then(|r| r.get_mut("metadata")) {
            let _ = metadata.set_string("namespace", "shop-prod");
        }
    }
    porch_krm::package::write(items, &texts).expect("the package writes").len()
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
