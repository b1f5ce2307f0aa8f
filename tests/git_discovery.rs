//! Discovery of a repository prepared only with the git CLI in Porch's layout: revisions,
//! lifecycles, workspaces, tasks, Kptfile fields; directory scoping; incremental re-discovery
//! from ref-set diffs; package files; pruning.

#[path = "support/git.rs"]
mod support;

use porch_api::porch::{PackageRevisionLifecycle as L, TaskType};
use porch_server::git::{DiscoveredRevision, GitError, GitRepository, RepoConfig};
use support::{DEV_EMAIL, WorkTree, blueprints, file_url, git, kptfile};

fn summary(revs: &[DiscoveredRevision]) -> Vec<(String, i32, String, L)> {
    let mut out: Vec<_> = revs
        .iter()
        .map(|r| (r.package.clone(), r.revision, r.workspace.clone(), r.lifecycle.clone()))
        .collect();
    out.sort_by(|a, b| (&a.0, a.1, &a.2).cmp(&(&b.0, b.1, &b.2)));
    out
}

fn find<'a>(revs: &'a [DiscoveredRevision], package: &str, workspace: &str) -> &'a DiscoveredRevision {
    revs.iter().find(|r| r.package == package && r.workspace == workspace).expect("revision present")
}

fn row(p: &str, rev: i32, ws: &str, l: L) -> (String, i32, String, L) {
    (p.to_string(), rev, ws.to_string(), l)
}

#[tokio::test]
async fn cli_made_repository_is_discovered_like_porch() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = blueprints(tmp.path());
    let repo = GitRepository::open(tmp.path().join("mirror"), RepoConfig::new(file_url(&remote)), None)
        .await
        .unwrap();
    let fetched = repo.fetch().await.unwrap();
    let main = git(&remote, &["rev-parse", "main"]);
    assert_eq!(fetched.branch_head.unwrap().to_string(), main);
    assert_eq!(fetched.refs, repo.refs().await.unwrap());

    let revs = repo.discover_all(fetched.refs.clone()).await.unwrap();
    assert_eq!(
        summary(&revs),
        vec![
            row("a/b/pkg", -1, "main", L::Published),
            row("a/b/pkg", 1, "v1", L::Published),
            row("basens", -1, "main", L::Published),
            row("basens", 0, "ws5", L::Draft),
            row("basens", 1, "ws1", L::Published),
            row("basens", 2, "v2", L::DeletionProposed),
            row("basens", 3, "edit3", L::Published),
            row("basens", 4, "v4", L::Published),
            row("bucket", -1, "main", L::DeletionProposed),
            row("bucket", -1, "release", L::Published),
            row("bucket", 0, "ws2", L::Proposed),
            row("withsub", -1, "main", L::Published),
        ]
    );

    // Tasks come from the kpt: trailers.
    let tasks = |ws| find(&revs, "basens", ws).tasks.iter().map(|t| t.type_.clone()).collect::<Vec<_>>();
    assert_eq!(tasks("ws1"), vec![TaskType::Init]);
    assert_eq!(tasks("edit3"), vec![TaskType::Edit]);
    assert_eq!(tasks("ws5"), vec![TaskType::Clone]);
    assert!(tasks("v2").is_empty() && tasks("v4").is_empty() && tasks("main").is_empty());
    let clone = find(&revs, "basens", "ws5").tasks[0].clone.clone().unwrap();
    assert_eq!(clone.upstream.upstream_ref.unwrap().name, "up.basens.v1");

    // Refs, commits and publish info.
    let v1 = find(&revs, "basens", "ws1");
    assert_eq!(v1.ref_name, "refs/tags/basens/v1");
    assert_eq!(v1.short_ref(), "basens/v1");
    assert_eq!(v1.commit.to_string(), git(&remote, &["rev-parse", "basens/v1^{commit}"]));
    assert_eq!(v1.published.as_ref().unwrap().by, DEV_EMAIL);
    let placeholder = find(&revs, "basens", "main");
    assert_eq!(placeholder.short_ref(), "main");
    assert_eq!(placeholder.commit.to_string(), main);
    // Newest commit annotated for basens on main is the v3 one (v4's trailer names bucket).
    let v3_time: i64 = git(&remote, &["log", "-1", "--format=%at", "basens/v3"]).parse().unwrap();
    assert_eq!(placeholder.published.as_ref().unwrap().at, v3_time);
    assert!(find(&revs, "withsub", "main").published.is_none());
    assert_eq!(find(&revs, "bucket", "ws2").short_ref(), "proposed/bucket/ws2");

    // Kptfile-derived fields.
    let k = &v1.kptfile;
    assert_eq!(k.name, "basens");
    assert_eq!(k.labels["team"], "blue");
    assert_eq!(k.annotations["owner"], "ops");
    assert_eq!(k.readiness_gates[0].condition_type, "Ready");
    assert_eq!(k.conditions[0].type_, "Rendered");

    // Package files on demand, nested Kptfiles included in the parent package.
    let files = repo.read_package(fetched.branch_head.unwrap(), "withsub".into()).await.unwrap();
    assert_eq!(files.keys().collect::<Vec<_>>(), vec!["Kptfile", "sub/Kptfile", "sub/x.yaml"]);
    let by_tree = repo.read_tree(find(&revs, "withsub", "main").tree).await.unwrap();
    assert_eq!(files, by_tree);
    let v2 = repo.read_package(find(&revs, "basens", "v2").commit, "basens".into()).await.unwrap();
    assert_eq!(v2["ns.yaml"], b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: v2\n");
    assert!(matches!(
        repo.read_package(fetched.branch_head.unwrap(), "nothere".into()).await,
        Err(GitError::NotFound { .. })
    ));
}

#[tokio::test]
async fn directory_scoped_repository_sees_only_its_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = blueprints(tmp.path());
    let mut config = RepoConfig::new(file_url(&remote));
    config.directory = "/a/".into();
    let repo = GitRepository::open(tmp.path().join("mirror"), config, None).await.unwrap();
    let refs = repo.fetch().await.unwrap().refs;
    let revs = repo.discover_all(refs).await.unwrap();
    assert_eq!(
        summary(&revs),
        vec![row("b/pkg", -1, "main", L::Published), row("b/pkg", 1, "v1", L::Published)]
    );
    assert!(revs.iter().all(|r| r.full_path == "a/b/pkg"));
    let files = repo.read_package(revs[0].commit, "b/pkg".into()).await.unwrap();
    assert_eq!(files["Kptfile"], kptfile("pkg").as_bytes());
}

#[tokio::test]
async fn refresh_diffs_refs_and_rediscovers_only_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = tmp.path().join("r.git");
    std::fs::create_dir_all(&remote).unwrap();
    git(&remote, &["init", "--bare", "-q", "-b", "main"]);
    let w = WorkTree::new(tmp.path().join("work"), &remote);
    w.write("p1/Kptfile", &kptfile("p1"));
    w.commit("p1");
    w.git(&["tag", "p1/v1"]);
    w.git(&["tag", "p1/v2"]);
    w.push_all();

    let repo = GitRepository::open(tmp.path().join("mirror"), RepoConfig::new(file_url(&remote)), None)
        .await
        .unwrap();
    let first = repo.fetch().await.unwrap().refs;
    assert_eq!(repo.discover_all(first.clone()).await.unwrap().len(), 3);

    // A new tag, a moved branch, a deleted tag and a deletionProposed marker.
    w.write("p2/Kptfile", &kptfile("p2"));
    w.commit("p2");
    w.git(&["tag", "p2/v1"]);
    w.git(&["branch", "deletionProposed/p1/v1", "p1/v1"]);
    w.push_all();
    git(&remote, &["tag", "-d", "p1/v2"]);

    let second = repo.fetch().await.unwrap().refs;
    let diff = second.diff(&first);
    assert_eq!(diff.added, vec!["refs/heads/deletionProposed/p1/v1", "refs/tags/p2/v1"]);
    assert_eq!(diff.changed, vec!["refs/heads/main"]);
    assert_eq!(diff.removed, vec!["refs/tags/p1/v2"], "fetch prunes deleted tags");
    assert!(second.is_deletion_proposed("p1", "v1"));

    let names: Vec<String> = diff.added.iter().chain(&diff.changed).cloned().collect();
    let changed = repo.discover_refs(second.clone(), names).await.unwrap();
    assert_eq!(
        summary(&changed),
        vec![
            row("p1", -1, "main", L::Published),
            row("p2", -1, "main", L::Published),
            row("p2", 1, "v1", L::Published)
        ]
    );
    let p1 = repo.discover_placeholder(second, "p1".into()).await.unwrap().unwrap();
    assert_eq!(p1.revision, -1);
}
