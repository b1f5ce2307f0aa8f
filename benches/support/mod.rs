//! What the benchmarks share: sizes from the environment, quantiles, and the git fixtures
//! (the test suite's git helpers, and a template repository copied once per remote).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use git2::{Oid, Repository, Signature};
use porch_server::git::{Annotation, Libgit2Options, annotate, init_libgit2};

pub(crate) mod fanout;
#[path = "../../tests/support/git.rs"]
pub(crate) mod git;
pub(crate) mod package;
pub(crate) mod server;

/// `name` from the environment as a number, else `default`.
pub(crate) fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `d` in milliseconds.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The sample at quantile `q` (nearest rank) of sorted `samples`.
pub(crate) fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

/// p50 and p99 (nearest rank) of `samples`.
pub(crate) fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort_unstable();
    (quantile(&samples, 0.50), quantile(&samples, 0.99))
}

/// A package directory: a Kptfile for `name` and a ConfigMap holding `data`.
pub(crate) fn package_tree(repo: &Repository, name: &str, data: &str) -> Oid {
    let kpt = repo.blob(git::kptfile(name).as_bytes()).expect("writing the Kptfile blob");
    let cm = repo.blob(format!("kind: ConfigMap\ndata: {data}\n").as_bytes()).expect("writing a blob");
    let mut tb = repo.treebuilder(None).expect("a tree builder");
    tb.insert("Kptfile", kpt, 0o100644).expect("inserting the Kptfile");
    tb.insert("cm.yaml", cm, 0o100644).expect("inserting cm.yaml");
    tb.write().expect("writing a package tree")
}

/// A bare repository with `packages` packages `pkgNNN` × `revisions` tags `pkgNNN/v<r>`, one
/// commit per revision with a `kpt:` trailer carrying the creation task (as Porch writes them)
/// and workspace `ws<r>`; `main` at the last commit; objects and refs packed.
pub(crate) fn build_template(path: &Path, packages: usize, revisions: usize) {
    // libgit2's process-wide settings before this thread uses git2 (see `git/libgit2.rs`).
    init_libgit2(Libgit2Options::default());
    let repo = Repository::init_bare(path).expect("creating the template repository");
    repo.set_head("refs/heads/main").expect("setting HEAD");
    let sig =
        Signature::new("Dev", "dev@example.com", &git2::Time::new(1_700_000_000, 0)).expect("a signature");
    let mut root = repo.treebuilder(None).expect("a tree builder");
    let mut parent: Option<Oid> = None;
    let task: porch_api::porch::Task =
        serde_json::from_str(r#"{"type":"init","init":{"description":"bench"}}"#).expect("an init task");
    for r in 1..=revisions {
        for p in 0..packages {
            let name = format!("pkg{p:03}");
            let package = package_tree(&repo, &name, &format!("r{r}"));
            root.insert(&name, package, 0o040000).expect("inserting a package");
            let tree = repo.find_tree(root.write().expect("writing the root tree")).expect("the root tree");
            let annotation = Annotation {
                package: name.clone(),
                workspace_name: format!("ws{r}"),
                revision: "0".into(),
                task: Some(task.clone()),
            };
            let message = annotate(&format!("Creating {name} revision {r}"), &annotation);
            let parents: Vec<_> = parent.iter().map(|o| repo.find_commit(*o).expect("the parent")).collect();
            let parents: Vec<_> = parents.iter().collect();
            let commit = repo.commit(None, &sig, &sig, &message, &tree, &parents).expect("committing");
            repo.reference(&format!("refs/tags/{name}/v{r}"), commit, true, "").expect("tagging");
            parent = Some(commit);
        }
    }
    repo.reference("refs/heads/main", parent.expect("at least one package"), true, "").expect("main");
    git::git(path, &["repack", "-adq"]);
    git::git(path, &["pack-refs", "--all"]);
}

/// `count` copies `<root>/remotes/rNNN.git` of the repository at `template`.
pub(crate) fn copies(template: &Path, root: &Path, count: usize) -> Vec<PathBuf> {
    (0..count)
        .map(|i| {
            let path = root.join(format!("remotes/r{i:03}.git"));
            copy_dir(template, &path);
            path
        })
        .collect()
}

/// Copies the directory tree `from` to `to`.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display())) {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copying to {}: {e}", target.display()));
        }
    }
}
