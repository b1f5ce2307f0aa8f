//! What kube-apiserver in front of porch-server costs: the same requests sent through the
//! aggregator (as users send them) and straight to porch-server's HTTPS port, alternating, in one
//! run; and how long a restarted server takes to listen and to be served through kube-apiserver.
//!
//! `cargo bench -p porch-e2e --bench aggregated` (needs `../shared/tools/k8s`; says SKIPPED
//! without). Sizes: `BENCH_REPOS` (default 10) repositories of `BENCH_PACKAGES` (default 50)
//! packages, each with revision 1 (so 2 revisions per package, with `main`); `BENCH_LIST_RUNS`
//! (default 30), `BENCH_LIFECYCLE_RUNS` (default 20), `BENCH_RESTARTS` (default 3).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
};
use porch_e2e::git::{file_url, remote_with_packages};
use porch_e2e::{Aggregated, register, unique_name};
use serde_json::json;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(at).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// p50 and p99 of both paths, and their ratio at p50.
fn report(what: &str, through: &mut [Duration], direct: &mut [Duration]) {
    let (t50, t99) = (percentile(through, 0.5), percentile(through, 0.99));
    let (d50, d99) = (percentile(direct, 0.5), percentile(direct, 0.99));
    println!(
        "{what:<28} through kube-apiserver p50 {} p99 {} | direct p50 {} p99 {} | ratio p50 {:.2}",
        ms(t50),
        ms(t99),
        ms(d50),
        ms(d99),
        t50.as_secs_f64() / d50.as_secs_f64().max(1e-9)
    );
}

async fn client(kubeconfig: &str) -> Result<kube::Client> {
    let file = kube::config::Kubeconfig::from_yaml(kubeconfig)?;
    let config =
        kube::Config::from_custom_kubeconfig(file, &kube::config::KubeConfigOptions::default()).await?;
    Ok(kube::Client::try_from(config)?)
}

fn revisions(client: &kube::Client, ns: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("porch.kpt.dev", "v1alpha1", "PackageRevision");
    Api::namespaced_with(client.clone(), ns, &ApiResource::from_gvk_with_plural(&gvk, "packagerevisions"))
}

/// One init → propose → approve cycle of a new package in `r0`; the time of each step.
async fn cycle(api: &Api<DynamicObject>, package: &str) -> Result<[Duration; 3]> {
    let draft = json!({"apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision", "metadata": {"name": "x"},
                       "spec": {"repository": "r0", "packageName": package, "workspaceName": "ws",
                                "tasks": [{"type": "init", "init": {"description": "bench"}}]}});
    let started = Instant::now();
    let created = api.create(&PostParams::default(), &serde_json::from_value(draft)?).await?;
    let create = started.elapsed();
    let name = created.metadata.name.clone().context("a name")?;
    let started = Instant::now();
    let proposed = api
        .patch(&name, &PatchParams::default(), &Patch::Merge(json!({"spec": {"lifecycle": "Proposed"}})))
        .await?;
    let propose = started.elapsed();
    let mut approval = proposed;
    approval.data["spec"]["lifecycle"] = json!("Published");
    let started = Instant::now();
    api.replace_subresource("approval", &name, &PostParams::default(), &approval).await?;
    Ok([create, propose, started.elapsed()])
}

fn main() -> Result<()> {
    let Some(setup) = Aggregated::shared()? else {
        println!("SKIPPED: the aggregated bench needs ../shared/tools/k8s");
        return Ok(());
    };
    let (repos, packages) = (env("BENCH_REPOS", 10), env("BENCH_PACKAGES", 50));
    let ns = unique_name("bench");
    setup.kubectl(None).run(&["create", "namespace", &ns]).success()?;
    let k = setup.kubectl(Some(&ns));
    let scratch = tempfile::tempdir()?;
    let names: Vec<String> = (0..packages).map(|p| format!("p{p}")).collect();
    let spec: Vec<(&str, &[u32])> = names.iter().map(|n| (n.as_str(), &[1u32][..])).collect();
    let started = Instant::now();
    for r in 0..repos {
        let remote = remote_with_packages(scratch.path(), &format!("r{r}"), &spec)?;
        register(&k, &format!("r{r}"), &file_url(&remote))?;
    }
    println!(
        "{repos} repositories x {packages} packages = {} revisions registered in {:.1} s",
        repos * packages * 2,
        started.elapsed().as_secs_f64()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let admin = std::fs::read_to_string(setup.plane().kubeconfig())?;
        let through = revisions(&client(&admin).await?, &ns);
        let direct = revisions(&client(&setup.direct_kubeconfig()?).await?, &ns);
        let expected = repos * packages * 2;
        for api in [&through, &direct] {
            let listed = api.list(&ListParams::default()).await?;
            anyhow::ensure!(listed.items.len() == expected, "listed {} of {expected}", listed.items.len());
        }

        let runs = env("BENCH_LIST_RUNS", 30);
        let (mut t, mut d) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            for (api, samples) in [(&through, &mut t), (&direct, &mut d)] {
                let started = Instant::now();
                api.list(&ListParams::default()).await?;
                samples.push(started.elapsed());
            }
        }
        report(&format!("list of {expected}"), &mut t, &mut d);

        let runs = env("BENCH_LIFECYCLE_RUNS", 20);
        let mut steps: [[Vec<Duration>; 3]; 2] = Default::default();
        let mut cycles: [Vec<Duration>; 2] = Default::default();
        for i in 0..runs {
            for (path, api) in [&through, &direct].into_iter().enumerate() {
                let times = cycle(api, &format!("c{path}-{i}")).await?;
                for (step, time) in times.iter().enumerate() {
                    steps[path][step].push(*time);
                }
                cycles[path].push(times.iter().sum());
            }
        }
        let [through_steps, direct_steps] = &mut steps;
        for (step, name) in ["create (init)", "propose (PATCH)", "approve (PUT approval)"].iter().enumerate()
        {
            report(name, &mut through_steps[step], &mut direct_steps[step]);
        }
        let [through_cycles, direct_cycles] = &mut cycles;
        report("init -> propose -> approve", through_cycles, direct_cycles);
        anyhow::Ok(())
    })?;

    let started = Instant::now();
    let listed = k.run(&["get", "packagerevisions", "-o", "name"]).success()?;
    println!(
        "a kubectl list of {} in {} (a fresh kubectl: discovery, then pages of 500)",
        listed.lines().count(),
        ms(started.elapsed())
    );
    for _ in 0..env("BENCH_RESTARTS", 3) {
        let restart = setup.restart()?;
        let started = Instant::now();
        let listed = k.run(&["get", "packagerevisions", "-o", "name"]).success()?;
        println!(
            "restart: listening after {}, served through kube-apiserver after {}, then a kubectl list of {} in {}",
            ms(restart.listening),
            ms(restart.reachable),
            listed.lines().count(),
            ms(started.elapsed())
        );
        if std::env::var_os("BENCH_DEBUG").is_some() {
            let logs = setup.server_logs();
            println!("{}", logs.rsplit("---- restart ----").next().unwrap_or_default());
        }
    }
    Ok(())
}
