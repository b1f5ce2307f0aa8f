//! Crash consistency: `kill -9` the real server in the middle of a concurrent burst of package
//! lifecycle writes, start it again on the same data directory, and check that
//!
//! - every write the client saw acknowledged (a 2xx) is there: created revisions, label edits,
//!   resource edits, proposals, approvals, proposed deletions, deletions;
//! - a write that was in flight at the kill is either fully there or not at all;
//! - the API agrees with `git for-each-ref` of the remotes: `drafts/<pkg>/<ws>` and
//!   `proposed/<pkg>/<ws>` branches are the Draft and Proposed revisions, `<pkg>/v<N>` tags the
//!   published ones, `deletionProposed/<pkg>/v<N>` branches the ones proposed for deletion.
//!
//! Several rounds, each killed after a random delay from a seed printed at the start (set
//! `PORCH_FAULT_SEED` to replay one), accumulate on the same data directory and two `file://`
//! remotes, so later rounds also check what earlier ones left.
//!
//! And a damaged local mirror (a truncated pack file), found by the next sync of the running
//! server or at the restart of a killed one: cloned again, the Repository's `Ready` condition
//! saying so, the package list the same throughout.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use porch_e2e::git::{GitDaemon, file_url, git, remote_with_packages};
use porch_e2e::{Endpoint, HttpResponse, http_request, repository_manifest, wait_until};
use serde_json::{Value, json};

/// Kill points, one per round.
const ROUNDS: u64 = 5;
/// Concurrent writers per round.
const WORKERS: usize = 4;
/// The kill comes this long (ms) after the burst starts, uniformly at random within.
const KILL_AFTER_MS: (u64, u64) = (150, 1500);
const REPOSITORIES: [&str; 2] = ["left", "right"];
const PORCH: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/default";
const CONFIG: &str = "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default";

/// SplitMix64: a small deterministic generator, so a seed replays a run's choices.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifecycle {
    Draft,
    Proposed,
    Published,
    DeletionProposed,
}

impl Lifecycle {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "Draft" => Self::Draft,
            "Proposed" => Self::Proposed,
            "Published" => Self::Published,
            "DeletionProposed" => Self::DeletionProposed,
            _ => return None,
        })
    }
}

/// One write of a package's lifecycle.
#[derive(Debug, Clone)]
enum Op {
    Create,
    Label(String, String),
    Edit(String, String),
    Propose,
    Approve,
    ProposeDeletion,
    Delete,
}

/// What the API should show of one package revision.
#[derive(Debug, Clone, PartialEq, Default)]
struct State {
    /// `None`: no such revision.
    lifecycle: Option<Lifecycle>,
    files: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
}

impl State {
    fn after(&self, op: &Op) -> State {
        let mut next = self.clone();
        match op {
            Op::Create => next.lifecycle = Some(Lifecycle::Draft),
            Op::Label(k, v) => {
                next.labels.insert(k.clone(), v.clone());
            }
            Op::Edit(path, content) => {
                next.files.insert(path.clone(), content.clone());
            }
            Op::Propose => next.lifecycle = Some(Lifecycle::Proposed),
            Op::Approve => next.lifecycle = Some(Lifecycle::Published),
            Op::ProposeDeletion => next.lifecycle = Some(Lifecycle::DeletionProposed),
            Op::Delete => next = State::default(),
        }
        next
    }
}

/// A package revision one worker drives through its lifecycle.
#[derive(Debug, Clone)]
struct Tracked {
    repository: String,
    package: String,
    name: String,
    /// After the acknowledged writes.
    acked: State,
    /// After the write whose outcome is unknown (no response, or an error), if one was sent;
    /// the worker leaves the package alone after it.
    uncertain: Option<State>,
}

#[derive(Debug, Default)]
struct Tally {
    acked: usize,
    uncertain: usize,
}

/// The body of a JSON response, or why there is none.
fn json_of(response: &HttpResponse) -> Result<Value> {
    serde_json::from_slice(&response.body).with_context(|| format!("not JSON: {}", response.text()))
}

fn send(addr: &str, method: &str, path: &str, content_type: &str, body: &[u8]) -> Result<HttpResponse> {
    http_request(addr, method, path, &[("Content-Type", content_type), ("Accept", "application/json")], body)
}

fn get(addr: &str, path: &str) -> Result<HttpResponse> {
    http_request(addr, "GET", path, &[("Accept", "application/json")], b"")
}

/// What a write came back with: acknowledged, refused (the server answered, not 2xx), or lost
/// (no response: the server died).
enum Outcome {
    Acked,
    Refused,
    Lost,
}

/// Sends one write of `op` on `t`.
fn write(addr: &str, t: &Tracked, op: &Op) -> Result<Outcome> {
    let pr = format!("{PORCH}/packagerevisions/{}", t.name);
    let merge =
        |patch: Value| send(addr, "PATCH", &pr, "application/merge-patch+json", patch.to_string().as_bytes());
    let response = match op {
        Op::Create => {
            let body = json!({"apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision",
                "metadata": {"name": "x"},
                "spec": {"repository": t.repository, "packageName": t.package, "workspaceName": "ws"}});
            send(
                addr,
                "POST",
                &format!("{PORCH}/packagerevisions"),
                "application/json",
                body.to_string().as_bytes(),
            )
        }
        Op::Label(k, v) => merge(json!({"metadata": {"labels": {k: v}}})),
        Op::Propose => merge(json!({"spec": {"lifecycle": "Proposed"}})),
        Op::ProposeDeletion => merge(json!({"spec": {"lifecycle": "DeletionProposed"}})),
        Op::Edit(path, content) => {
            let prr = format!("{PORCH}/packagerevisionresources/{}", t.name);
            let current = match get(addr, &prr) {
                Ok(r) if r.status == 200 => json_of(&r)?,
                // Nothing was written yet.
                Ok(_) => return Ok(Outcome::Refused),
                Err(_) => return Ok(Outcome::Lost),
            };
            let mut next = current;
            next["spec"]["resources"][path] = json!(content);
            send(addr, "PUT", &prr, "application/json", next.to_string().as_bytes())
        }
        Op::Approve => {
            let mut current = match get(addr, &pr) {
                Ok(r) if r.status == 200 => json_of(&r)?,
                Ok(_) => return Ok(Outcome::Refused),
                Err(_) => return Ok(Outcome::Lost),
            };
            current["spec"]["lifecycle"] = json!("Published");
            send(addr, "PUT", &format!("{pr}/approval"), "application/json", current.to_string().as_bytes())
        }
        Op::Delete => http_request(addr, "DELETE", &pr, &[("Accept", "application/json")], b""),
    };
    Ok(match response {
        Ok(r) if (200..300).contains(&r.status) => Outcome::Acked,
        Ok(_) => Outcome::Refused,
        Err(_) => Outcome::Lost,
    })
}

/// The writes of one package, chosen at random: publish it (with a label and a resource edit on
/// the way), delete it as a draft after an edit, or publish it and delete it again.
fn plan(rng: &mut Rng, round: u64) -> Vec<Op> {
    let label = || Op::Label("fault-round".into(), format!("r{round}"));
    let edit =
        |n: u64| Op::Edit(format!("cm-{n}.yaml"), format!("kind: ConfigMap\nmetadata:\n  name: cm{n}\n"));
    match rng.between(0, 2) {
        0 => vec![Op::Create, label(), edit(rng.next() % 1000), Op::Propose, Op::Approve],
        1 => vec![Op::Create, edit(rng.next() % 1000), label(), Op::Delete],
        _ => vec![Op::Create, Op::Propose, Op::Approve, Op::ProposeDeletion, Op::Delete],
    }
}

/// One worker of a round: packages one after another until the server goes away.
fn worker(
    addr: String,
    round: u64,
    index: usize,
    mut rng: Rng,
    out: Arc<Mutex<Vec<Tracked>>>,
    tally: Arc<Mutex<Tally>>,
) {
    for n in 0.. {
        let repository = REPOSITORIES[(index + n) % REPOSITORIES.len()].to_string();
        let package = format!("p{round}-{index}-{n}");
        let name = format!("{repository}.{package}.ws");
        let mut t = Tracked { repository, package, name, acked: State::default(), uncertain: None };
        let mut server_gone = false;
        for op in plan(&mut rng, round) {
            let outcome = write(&addr, &t, &op).unwrap_or(Outcome::Refused);
            match outcome {
                Outcome::Acked => {
                    t.acked = t.acked.after(&op);
                    tally.lock().unwrap().acked += 1;
                }
                Outcome::Refused | Outcome::Lost => {
                    t.uncertain = Some(t.acked.after(&op));
                    tally.lock().unwrap().uncertain += 1;
                    server_gone = matches!(outcome, Outcome::Lost);
                    break;
                }
            }
        }
        out.lock().unwrap().push(t);
        if server_gone {
            return;
        }
    }
}

/// A PackageRevision as listed.
#[derive(Debug, Clone)]
struct Listed {
    repository: String,
    package: String,
    workspace: String,
    revision: i64,
    lifecycle: Lifecycle,
    labels: BTreeMap<String, String>,
}

fn list(addr: &str) -> Result<BTreeMap<String, Listed>> {
    let response = get(addr, &format!("{PORCH}/packagerevisions"))?;
    if response.status != 200 {
        bail!("list: {} {}", response.status, response.text());
    }
    let mut out = BTreeMap::new();
    for item in json_of(&response)?["items"].as_array().context("items")? {
        let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let labels = item["metadata"]["labels"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), s(v))).collect())
            .unwrap_or_default();
        let listed = Listed {
            repository: s(&item["spec"]["repository"]),
            package: s(&item["spec"]["packageName"]),
            workspace: s(&item["spec"]["workspaceName"]),
            revision: item["spec"]["revision"].as_i64().unwrap_or(0),
            lifecycle: Lifecycle::parse(item["spec"]["lifecycle"].as_str().unwrap_or_default())
                .context("lifecycle")?,
            labels,
        };
        out.insert(s(&item["metadata"]["name"]), listed);
    }
    Ok(out)
}

/// Whether the API shows `state` for `t` (acknowledged files and labels present, maybe more).
fn shows(addr: &str, listed: &BTreeMap<String, Listed>, t: &Tracked, state: &State) -> Result<bool> {
    let Some(found) = listed.get(&t.name) else { return Ok(state.lifecycle.is_none()) };
    if Some(found.lifecycle) != state.lifecycle {
        return Ok(false);
    }
    if state.labels.iter().any(|(k, v)| found.labels.get(k) != Some(v)) {
        return Ok(false);
    }
    if state.files.is_empty() {
        return Ok(true);
    }
    let prr = get(addr, &format!("{PORCH}/packagerevisionresources/{}", t.name))?;
    if prr.status != 200 {
        bail!("GET the resources of {}: {} {}", t.name, prr.status, prr.text());
    }
    let resources = json_of(&prr)?["spec"]["resources"].clone();
    Ok(state.files.iter().all(|(path, content)| resources[path].as_str() == Some(content.as_str())))
}

/// Revisions as `(kind, package, workspace or version)`.
type Revisions = BTreeSet<(String, String, String)>;

/// The revisions the refs of `remote` hold, as `(kind, package, workspace or version)`, and the
/// same from the API's list for `repository`; placeholders (the branch) are left out.
fn refs_and_api(
    remote: &std::path::Path,
    repository: &str,
    listed: &BTreeMap<String, Listed>,
) -> Result<(Revisions, Revisions)> {
    let mut from_git = BTreeSet::new();
    let refs = git(remote, &["for-each-ref", "--format=%(refname)"])?;
    for name in refs.lines() {
        let entry = if let Some(rest) = name.strip_prefix("refs/heads/drafts/") {
            rest.rsplit_once('/').map(|(p, w)| ("Draft", p, w.to_string()))
        } else if let Some(rest) = name.strip_prefix("refs/heads/proposed/") {
            rest.rsplit_once('/').map(|(p, w)| ("Proposed", p, w.to_string()))
        } else if let Some(rest) = name.strip_prefix("refs/heads/deletionProposed/") {
            rest.rsplit_once('/').map(|(p, v)| ("DeletionProposed", p, v.to_string()))
        } else if let Some(rest) = name.strip_prefix("refs/tags/") {
            rest.rsplit_once('/').map(|(p, v)| ("Tag", p, v.to_string()))
        } else {
            None
        };
        if let Some((kind, package, suffix)) = entry {
            from_git.insert((kind.to_string(), package.to_string(), suffix));
        }
    }
    let mut from_api = BTreeSet::new();
    for pr in listed.values().filter(|p| p.repository == repository) {
        let key = |kind: &str, suffix: String| (kind.to_string(), pr.package.clone(), suffix);
        match pr.lifecycle {
            Lifecycle::Draft => {
                from_api.insert(key("Draft", pr.workspace.clone()));
            }
            Lifecycle::Proposed => {
                from_api.insert(key("Proposed", pr.workspace.clone()));
            }
            _ if pr.revision < 1 => {} // the placeholder
            Lifecycle::Published => {
                from_api.insert(key("Tag", format!("v{}", pr.revision)));
            }
            Lifecycle::DeletionProposed => {
                from_api.insert(key("Tag", format!("v{}", pr.revision)));
                from_api.insert(key("DeletionProposed", format!("v{}", pr.revision)));
            }
        }
    }
    Ok((from_git, from_api))
}

/// Everything the test checks after a restart; the error says what disagrees. Returns how many
/// of the writes in flight at a kill (or refused) took effect.
fn verify(addr: &str, remotes: &[std::path::PathBuf], tracked: &[Tracked]) -> Result<usize> {
    let listed = list(addr)?;
    let mut took_effect = 0;
    for t in tracked {
        let acked = shows(addr, &listed, t, &t.acked)?;
        let applied = match &t.uncertain {
            Some(state) => shows(addr, &listed, t, state)?,
            None => false,
        };
        took_effect += usize::from(applied && !acked);
        if !acked && !applied {
            bail!(
                "{} shows {:?}; acknowledged: {:?}; in flight: {:?}",
                t.name,
                listed.get(&t.name),
                t.acked,
                t.uncertain
            );
        }
    }
    for (repository, remote) in REPOSITORIES.iter().zip(remotes) {
        let (from_git, from_api) = refs_and_api(remote, repository, &listed)?;
        if from_git != from_api {
            let only_git: Vec<_> = from_git.difference(&from_api).collect();
            let only_api: Vec<_> = from_api.difference(&from_git).collect();
            bail!("{repository}: only in git {only_git:?}; only in the API {only_api:?}");
        }
    }
    Ok(took_effect)
}

fn ready(addr: &str, repository: &str) -> bool {
    let Ok(r) = get(addr, &format!("{CONFIG}/repositories/{repository}")) else { return false };
    let Ok(repo) = json_of(&r) else { return false };
    repo["status"]["conditions"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

#[test]
fn kill_9_during_a_lifecycle_burst_loses_no_acknowledged_write() -> Result<()> {
    let seed = std::env::var("PORCH_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64));
    println!("fault seed: {seed} (PORCH_FAULT_SEED={seed} replays its choices and kill delays)");
    let started = Instant::now();
    let mut ep = Endpoint::start()?;
    if !ep.is_local() {
        println!("skipped: the endpoint is not a local server");
        return Ok(());
    }
    let mut remotes = Vec::new();
    for name in REPOSITORIES {
        let remote = remote_with_packages(ep.scratch(), name, &[("base", &[1])])?;
        let manifest = repository_manifest(name, &file_url(&remote), "fault");
        let addr = ep.host_port().context("address")?.to_string();
        let created =
            send(&addr, "POST", &format!("{CONFIG}/repositories"), "application/yaml", manifest.as_bytes())?;
        if created.status != 201 {
            bail!("register {name}: {} {}", created.status, created.text());
        }
        remotes.push(remote);
    }
    let addr = ep.host_port().context("address")?.to_string();
    if wait_until(Duration::from_secs(60), || REPOSITORIES.iter().all(|r| ready(&addr, r)).then_some(()))
        .is_none()
    {
        bail!("the repositories did not become ready; log:\n{}", ep.server_logs());
    }

    let mut rng = Rng(seed);
    let mut tracked: Vec<Tracked> = Vec::new();
    for round in 0..ROUNDS {
        let addr = ep.host_port().context("address")?.to_string();
        let kill_after = Duration::from_millis(rng.between(KILL_AFTER_MS.0, KILL_AFTER_MS.1));
        let out = Arc::new(Mutex::new(Vec::new()));
        let tally = Arc::new(Mutex::new(Tally::default()));
        let workers: Vec<_> = (0..WORKERS)
            .map(|i| {
                let (addr, worker_rng, out, tally) =
                    (addr.clone(), Rng(rng.next()), out.clone(), tally.clone());
                thread::spawn(move || worker(addr, round, i, worker_rng, out, tally))
            })
            .collect();
        thread::sleep(kill_after);
        ep.kill()?;
        for w in workers {
            w.join().map_err(|_| anyhow::anyhow!("a worker panicked"))?;
        }
        tracked.extend(out.lock().unwrap().drain(..));
        let tally = tally.lock().unwrap();
        println!(
            "round {round}: kill -9 after {} ms; {} writes acknowledged, {} in flight or refused",
            kill_after.as_millis(),
            tally.acked,
            tally.uncertain
        );

        let restarting = Instant::now();
        ep.restart()?;
        let restarted = restarting.elapsed();
        let addr = ep.host_port().context("address")?.to_string();
        let mut last = String::new();
        let verified = wait_until(Duration::from_secs(30), || match verify(&addr, &remotes, &tracked) {
            Ok(took_effect) => Some(took_effect),
            Err(e) => {
                last = format!("{e:#}");
                None
            }
        });
        let Some(took_effect) = verified else {
            bail!("round {round} (seed {seed}): {last}\nserver log:\n{}", ep.server_logs());
        };
        println!(
            "round {round}: restarted in {} ms, verified after {} ms; {took_effect} unacknowledged writes \
             (all rounds so far) took effect",
            restarted.as_millis(),
            (restarting.elapsed() - restarted).as_millis()
        );
    }
    let logs = ep.server_logs();
    assert!(!logs.contains("panicked"), "a panic in the server log:\n{logs}");
    let finished = logs.matches("finished a local push interrupted by a crash").count();
    println!("local pushes cut off by a kill and finished at a restart: {finished}");
    println!(
        "{} package revisions checked after {ROUNDS} kills in {:.1} s",
        tracked.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The `Ready` condition's message of a Repository, once it is `True`.
fn ready_message(addr: &str, repository: &str) -> Option<String> {
    let repo = json_of(&get(addr, &format!("{CONFIG}/repositories/{repository}")).ok()?).ok()?;
    let conditions = repo["status"]["conditions"].as_array()?.clone();
    let ready = conditions.into_iter().find(|c| c["type"] == "Ready" && c["status"] == "True")?;
    Some(ready["message"].as_str()?.to_string())
}

/// Cuts the largest pack file of `mirror` to half its size, in place.
fn truncate_pack(mirror: &std::path::Path) -> Result<()> {
    let pack = std::fs::read_dir(mirror.join("objects/pack"))?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .context("the mirror has a pack")?;
    let len = std::fs::metadata(&pack)?.len();
    std::fs::OpenOptions::new().write(true).open(&pack)?.set_len(len / 2)?;
    Ok(())
}

#[test]
fn a_damaged_mirror_is_cloned_again_and_the_repository_says_so() -> Result<()> {
    let mut ep = Endpoint::start()?;
    let Some(data_dir) = ep.data_dir() else {
        println!("skipped: the endpoint is not a local server");
        return Ok(());
    };
    let served = ep.scratch().join("served");
    std::fs::create_dir_all(&served)?;
    remote_with_packages(&served, "catalog", &[("app", &[1, 2]), ("net", &[1])])?;
    let daemon = GitDaemon::start(&served)?;
    let addr = ep.host_port().context("address")?.to_string();
    let manifest = repository_manifest("catalog", &daemon.url("catalog.git"), "damage");
    let created =
        send(&addr, "POST", &format!("{CONFIG}/repositories"), "application/yaml", manifest.as_bytes())?;
    assert_eq!(created.status, 201, "{}", created.text());
    let wait_for = |addr: &str, what: &dyn Fn(&str) -> bool| {
        wait_until(Duration::from_secs(60), || ready_message(addr, "catalog").filter(|m| what(m)))
    };
    wait_for(&addr, &|m| m == "Repository Ready").context("the repository became ready")?;
    let names = |addr: &str| -> Result<Vec<String>> { Ok(list(addr)?.into_keys().collect()) };
    let before = names(&addr)?;
    assert_eq!(before.len(), 5, "{before:?}");
    let mirror = data_dir.join("git/default/catalog");
    let change = |addr: &str, description: &str| -> Result<()> {
        let patch = json!({"spec": {"description": description}}).to_string();
        let r = send(
            addr,
            "PATCH",
            &format!("{CONFIG}/repositories/catalog"),
            "application/merge-patch+json",
            patch.as_bytes(),
        )?;
        if r.status != 200 {
            bail!("PATCH the repository: {} {}", r.status, r.text());
        }
        Ok(())
    };

    // The running server: a spec change makes it sync, and the sync finds the damage.
    truncate_pack(&mirror)?;
    change(&addr, "after the damage")?;
    let message = wait_for(&addr, &|m| m != "Repository Ready").context("the repair was reported")?;
    println!("running server: {message}");
    assert!(message.starts_with("Repository Ready: the local mirror was damaged ("), "{message}");
    assert!(message.contains("is truncated or does not match its index) and was cloned again"), "{message}");
    assert_eq!(names(&addr)?, before);
    let prr = get(&addr, &format!("{PORCH}/packagerevisionresources/catalog.app.v2"))?;
    assert_eq!(prr.status, 200, "{}", prr.text());
    assert!(json_of(&prr)?["spec"]["resources"]["cm.yaml"].as_str().is_some_and(|c| c.contains("v: \"2\"")));
    // The next sync has nothing to report.
    change(&addr, "repaired")?;
    wait_for(&addr, &|m| m == "Repository Ready").context("the notice went away")?;

    // A killed server, damaged while it was down: found when it starts again.
    ep.kill()?;
    truncate_pack(&mirror)?;
    ep.restart()?;
    let addr = ep.host_port().context("address")?.to_string();
    let message =
        wait_for(&addr, &|m| m != "Repository Ready").context("the repair was reported after the restart")?;
    println!("after a restart: {message}");
    assert!(
        message.contains("the local mirror was damaged") && message.contains("cloned again"),
        "{message}"
    );
    assert_eq!(names(&addr)?, before);
    assert!(!ep.server_logs().contains("panicked"));
    Ok(())
}
