//! A damaged local mirror heals by being cloned again: a truncated pack, a deleted object a ref
//! needs (its commit, or a tree below it), a config file that no longer parses — found by the
//! next sync or at the next open (a restart), the mirror replaced by a fresh clone of the remote
//! (a `git daemon`), the repair reported once, and lists and package reads never showing what the
//! broken mirror happened to hold.

#[path = "support/change_log.rs"]
mod change_log;
#[path = "support/git.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use porch_server::cache::{CacheOptions, RepositoryCache, RepositorySpec};
use porch_server::git::{DraftContent, RepoConfig};
use support::{GitDaemon, blueprints, git, kptfile};

fn content(name: &str) -> DraftContent {
    let files = BTreeMap::from([
        ("Kptfile".to_string(), kptfile(name).into_bytes()),
        ("cm.yaml".to_string(), b"kind: ConfigMap\n".to_vec()),
    ]);
    DraftContent { files, task: None, user: Some("alice".into()) }
}

struct Fixture {
    tmp: tempfile::TempDir,
    _daemon: GitDaemon,
    store: change_log::Sequence,
    spec: RepositorySpec,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("served");
        blueprints(&base);
        let daemon = GitDaemon::start(&base);
        let store = change_log::Sequence::default();
        let spec = RepositorySpec {
            namespace: "ns".into(),
            name: "blueprints".into(),
            config: RepoConfig::new(daemon.url("blueprints.git")),
            credentials: None,
            data_dir: tmp.path().join("data"),
        };
        Self { tmp, _daemon: daemon, store, spec }
    }

    /// A cache over the mirror in the data directory (a restart when one existed before).
    async fn cache(&self) -> RepositoryCache {
        RepositoryCache::new(self.spec.clone(), self.store.log(), CacheOptions::default()).await.unwrap()
    }

    fn mirror(&self) -> PathBuf {
        self.spec.mirror_dir()
    }

    fn remote(&self) -> PathBuf {
        self.tmp.path().join("served/blueprints.git")
    }
}

/// Names and commits of the listed revisions.
fn listing(cache: &RepositoryCache) -> Vec<(String, String)> {
    cache.list().iter().map(|r| (r.name.clone(), r.revision.commit.to_string())).collect()
}

/// Every pack file of a mirror.
fn packs(mirror: &Path) -> Vec<PathBuf> {
    let dir = mirror.join("objects/pack");
    let mut packs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .collect();
    packs.sort();
    packs
}

/// The file of a loose object.
fn loose(mirror: &Path, oid: &str) -> PathBuf {
    mirror.join("objects").join(&oid[..2]).join(&oid[2..])
}

/// `git fsck` of the mirror passes.
fn fsck_passes(mirror: &Path) -> bool {
    std::process::Command::new("git")
        .args(["fsck", "--no-progress"])
        .current_dir(mirror)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

#[tokio::test]
async fn a_truncated_pack_is_found_by_the_next_sync_and_cloned_again() {
    let f = Fixture::new();
    let cache = f.cache().await;
    cache.open().await.unwrap();
    let before = listing(&cache);
    assert_eq!(before.len(), 12);
    assert_eq!(cache.git().take_repair(), None);

    let pack = packs(&f.mirror()).pop().expect("the fetch wrote a pack");
    let len = std::fs::metadata(&pack).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&pack).unwrap().set_len(len / 2).unwrap();
    assert!(!fsck_passes(&f.mirror()));

    let mut events = cache.subscribe();
    cache.refresh().await.unwrap();
    assert!(events.try_recv().is_err(), "the remote did not change: no event");
    assert_eq!(listing(&cache), before);
    let notice = cache.git().take_repair().expect("the repair is reported");
    assert!(
        notice.contains("truncated or does not match its index") && notice.contains("cloned again"),
        "{notice}"
    );
    assert_eq!(cache.git().take_repair(), None, "reported once");
    assert!(fsck_passes(&f.mirror()));
    // Package files come from the new clone.
    let v1 = cache.find("basens", "ws1").expect("basens v1");
    let files = cache.git().read_tree(v1.revision.tree).await.unwrap();
    assert!(files.contains_key("Kptfile"));
    // And the next sync finds nothing to repair.
    cache.refresh().await.unwrap();
    assert_eq!(cache.git().take_repair(), None);
}

#[tokio::test]
async fn a_deleted_object_a_ref_needs_is_found_by_a_sync_or_a_failed_read() {
    let f = Fixture::new();
    let cache = f.cache().await;
    cache.open().await.unwrap();
    // A draft written through the cache: its commit, trees and blobs are loose objects.
    let draft = cache.create_draft("web", "ws", content("web")).await.unwrap();
    let before = listing(&cache);
    let commit = draft.revision.commit.to_string();

    // Its commit goes: the cheap check of the next sync sees a ref pointing at nothing.
    std::fs::remove_file(loose(&f.mirror(), &commit)).unwrap();
    cache.refresh().await.unwrap();
    let notice = cache.git().take_repair().expect("repaired");
    assert!(
        notice.contains(&format!("object {commit} of refs/remotes/origin/drafts/web/ws is missing")),
        "{notice}"
    );
    assert_eq!(listing(&cache), before);
    assert!(fsck_passes(&f.mirror()));

    // Now the blob of a file below the draft's tip (the tip itself is intact): the cheap check
    // cannot see it, a package read fails (no wrong content), and the sync after it checks deeply.
    let blob = git(&f.mirror(), &["rev-parse", "refs/remotes/origin/drafts/web/ws:web/cm.yaml"]);
    assert!(loose_or_unpack(&f.mirror(), &blob));
    std::fs::remove_file(loose(&f.mirror(), &blob)).unwrap();
    assert!(cache.git().read_tree(draft.revision.tree).await.is_err());
    assert!(cache.git().is_suspect());
    cache.refresh().await.unwrap();
    let notice = cache.git().take_repair().expect("repaired after the failed read");
    assert!(notice.contains(&format!("blob {blob} is missing")), "{notice}");
    let files = cache.git().read_tree(draft.revision.tree).await.unwrap();
    assert_eq!(files["cm.yaml"], b"kind: ConfigMap\n");
    assert_eq!(listing(&cache), before);
    // The remote was never touched by any of this.
    assert!(fsck_passes(&f.remote()));
}

#[tokio::test]
async fn a_missing_commit_deep_in_the_history_is_found_when_a_sync_trips_over_it() {
    let f = Fixture::new();
    let cache = f.cache().await;
    cache.open().await.unwrap();
    let names = |cache: &RepositoryCache| cache.list().iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    let before = names(&cache);
    // A commit of the branch's history that no ref points at.
    let tips = git(&f.mirror(), &["for-each-ref", "--format=%(objectname)"]);
    let history = git(&f.mirror(), &["rev-list", "refs/remotes/origin/main"]);
    let old = history.lines().find(|c| !tips.contains(c)).expect("an inner commit").to_string();
    assert!(loose_or_unpack(&f.mirror(), &old));
    std::fs::remove_file(loose(&f.mirror(), &old)).unwrap();
    // Someone pushes to the branch: the sync fetches (negotiating with the mirror's history) and
    // re-discovers the branch's packages (reading that history); no ref tip is missing.
    let work = f.tmp.path().join("work");
    git(f.tmp.path(), &["clone", "-q", &f.remote().display().to_string(), &work.display().to_string()]);
    std::fs::write(work.join("README.md"), "changed\n").unwrap();
    git(&work, &["commit", "-q", "-am", "change the readme"]);
    git(&work, &["push", "-q", "origin", "main"]);

    cache.refresh().await.unwrap();
    let notice = cache.git().take_repair().expect("repaired");
    assert!(notice.contains("history"), "{notice}");
    assert_eq!(cache.branch_head().map(|h| h.to_string()), Some(git(&work, &["rev-parse", "HEAD"])));
    assert_eq!(names(&cache), before);
    assert!(fsck_passes(&f.mirror()));
}

/// Makes sure object `oid` is a loose object of `mirror` (unpacking the mirror's packs if it is
/// packed); `true` when it is.
fn loose_or_unpack(mirror: &Path, oid: &str) -> bool {
    if loose(mirror, oid).exists() {
        return true;
    }
    for pack in packs(mirror) {
        let moved = pack.with_extension("pack.old");
        std::fs::rename(&pack, &moved).unwrap();
        std::fs::remove_file(pack.with_extension("idx")).unwrap();
        let data = std::fs::read(&moved).unwrap();
        let mut child = std::process::Command::new("git")
            .args(["unpack-objects", "-q"])
            .current_dir(mirror)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&data).unwrap();
        assert!(child.wait().unwrap().success());
        std::fs::remove_file(&moved).unwrap();
    }
    loose(mirror, oid).exists()
}

#[tokio::test]
async fn a_damaged_mirror_is_cloned_again_at_the_next_open() {
    let f = Fixture::new();
    let cache = f.cache().await;
    cache.open().await.unwrap();
    let before = listing(&cache);
    drop(cache);

    // Stopped with a truncated pack: the restarted cache lists everything, from a fresh clone.
    let pack = packs(&f.mirror()).pop().unwrap();
    std::fs::OpenOptions::new().write(true).open(&pack).unwrap().set_len(100).unwrap();
    let cache = f.cache().await;
    cache.open().await.unwrap();
    assert_eq!(listing(&cache), before);
    assert!(cache.git().take_repair().is_some());
    drop(cache);

    // Stopped with a config file that does not parse: the mirror cannot even be opened.
    std::fs::write(f.mirror().join("config"), "[core\nthis is not git config\n").unwrap();
    let cache = f.cache().await;
    cache.open().await.unwrap();
    assert_eq!(listing(&cache), before);
    let notice = cache.git().take_repair().expect("reported");
    assert!(notice.contains("could not be opened") && notice.contains("cloned again"), "{notice}");
    assert!(fsck_passes(&f.mirror()));
}
