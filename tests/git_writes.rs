//! Writes through the git backend, checked with the plain git CLI on the remote: createBranch,
//! the draft → proposed → published lifecycle, deletion markers, deletes, and retries after
//! concurrent remote changes.

#[path = "support/git.rs"]
mod support;

use std::collections::BTreeMap;

use porch_api::porch::{InitTaskSpec, PackageRevisionLifecycle as L, Task, TaskType};
use porch_server::git::{DraftContent, GitError, GitRepository, Published, RepoConfig, Stage};
use support::{WorkTree, bare_repo, file_url, git, kptfile, remote_refs};

fn content(name: &str, extra: &str, task: Option<Task>, user: Option<&str>) -> DraftContent {
    let files = BTreeMap::from([
        ("Kptfile".to_string(), kptfile(name).into_bytes()),
        ("cm.yaml".to_string(), format!("kind: ConfigMap\ndata: {extra}\n").into_bytes()),
    ]);
    DraftContent { files, task, user: user.map(str::to_string) }
}

fn init_task() -> Task {
    Task {
        type_: TaskType::Init,
        init: Some(InitTaskSpec { description: "my app".into(), ..Default::default() }),
        ..Default::default()
    }
}

async fn open(dir: &std::path::Path, name: &str, config: RepoConfig) -> GitRepository {
    GitRepository::open(dir.join(name), config, None).await.unwrap()
}

#[tokio::test]
async fn create_branch_on_an_empty_remote() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = bare_repo(tmp.path(), "empty.git");
    let mut config = RepoConfig::new(file_url(&remote));
    config.create_branch = true;
    let repo = open(tmp.path(), "m1", config.clone()).await;
    let fetched = repo.fetch().await.unwrap();
    let head = fetched.branch_head.expect("branch created").to_string();
    assert_eq!(git(&remote, &["rev-parse", "main"]), head);
    assert_eq!(git(&remote, &["log", "-1", "--format=%B", "main"]), "Initial commit: Creating main branch");
    assert_eq!(
        git(&remote, &["log", "-1", "--format=%an <%ae>|%cn <%ce>|%P", "main"]),
        "Package Orchestration Service <porch@kpt.dev>|Package Orchestration Service <porch@kpt.dev>|"
    );
    assert_eq!(git(&remote, &["show", "main:README.md"]), "Created by porch");
    // A second fetch keeps the branch as it is.
    assert_eq!(repo.fetch().await.unwrap().branch_head.unwrap().to_string(), head);

    // Without createBranch a missing branch is an error.
    let other = bare_repo(tmp.path(), "other.git");
    let mut config = RepoConfig::new(file_url(&other));
    config.branch = "deploy".into();
    let err = open(tmp.path(), "m2", config).await.fetch().await.unwrap_err();
    assert!(matches!(err, GitError::BranchMissing { .. }));
    assert_eq!(err.to_string(), "branch \"deploy\" doesn't exist");
}

#[tokio::test]
async fn draft_propose_approve_and_delete_as_porch_does() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = bare_repo(tmp.path(), "r.git");
    let mut config = RepoConfig::new(file_url(&remote));
    config.create_branch = true;
    config.directory = "deploy".into();
    let repo = open(tmp.path(), "mirror", config.clone()).await;
    let initial = repo.fetch().await.unwrap().branch_head.unwrap();

    // Create: one commit on the branch head, pushed as drafts/<fullpath>/<ws>.
    let out = repo
        .create_draft("team/app".into(), "ws1".into(), content("app", "a", Some(init_task()), Some("alice")))
        .await
        .unwrap();
    let draft_ref = "refs/heads/drafts/deploy/team/app/ws1";
    assert_eq!(out.updated.len(), 1);
    assert_eq!(out.updated[0].0, draft_ref);
    let draft = &out.revisions[0];
    assert_eq!((draft.package.as_str(), draft.revision, draft.lifecycle.clone()), ("team/app", 0, L::Draft));
    assert_eq!(draft.tasks, vec![init_task()]);
    let refs = remote_refs(&remote);
    assert_eq!(refs[draft_ref], draft.commit.to_string());
    assert_eq!(
        git(&remote, &["log", "-1", "--format=%B", draft_ref]),
        "Creating new empty revision\n\n\
         kpt:{\"package\":\"deploy/team/app\",\"workspaceName\":\"ws1\",\"revision\":\"0\",\
         \"task\":{\"type\":\"init\",\"init\":{\"description\":\"my app\"}}}"
    );
    assert_eq!(
        git(&remote, &["log", "-1", "--format=%an <%ae>|%cn <%ce>|%P", draft_ref]),
        format!("alice <alice>|Package Orchestration Service <porch@kpt.dev>|{initial}")
    );
    assert_eq!(git(&remote, &["show", &format!("{draft_ref}:README.md")]), "Created by porch");

    // Update (render): a new commit on the draft branch; the creation task stays.
    let render = Task { type_: TaskType::Render, ..Default::default() };
    let out = repo
        .update_draft("team/app".into(), "ws1".into(), Stage::Draft, content("app", "b", Some(render), None))
        .await
        .unwrap();
    let updated = &out.revisions[0];
    assert_eq!(updated.tasks, vec![init_task()]);
    assert_eq!(
        git(&remote, &["log", "-1", "--format=%s|%P", draft_ref]),
        format!("Rendering package|{}", draft.commit)
    );

    // Propose, take back, propose again.
    repo.move_stage("team/app".into(), "ws1".into(), Stage::Proposed).await.unwrap();
    let proposed_ref = "refs/heads/proposed/deploy/team/app/ws1";
    let refs = remote_refs(&remote);
    assert!(!refs.contains_key(draft_ref));
    assert_eq!(refs[proposed_ref], updated.commit.to_string());
    let back = repo.move_stage("team/app".into(), "ws1".into(), Stage::Draft).await.unwrap();
    assert_eq!(back.revisions[0].lifecycle, L::Draft);
    let out = repo.move_stage("team/app".into(), "ws1".into(), Stage::Proposed).await.unwrap();
    assert_eq!(out.revisions[0].lifecycle, L::Proposed);

    // Approve: merge commit + tag + proposed branch deleted, all visible to the git CLI.
    let out = repo.approve("team/app".into(), "ws1".into(), 1, Some("bob".into())).await.unwrap();
    let refs = remote_refs(&remote);
    assert!(!refs.contains_key(proposed_ref) && !refs.contains_key(draft_ref));
    let tag = "refs/tags/deploy/team/app/v1";
    assert_eq!(refs[tag], refs["refs/heads/main"]);
    assert_eq!(
        git(&remote, &["log", "-1", "--format=%P", "main"]),
        format!("{initial} {}", updated.commit),
        "merge of [branch tip, proposed commit]"
    );
    assert_eq!(
        git(&remote, &["log", "-1", "--format=%B", "main"]),
        "Approving package revision deploy/team/app/1\n\n\
         kpt:{\"package\":\"deploy/team/app\",\"workspaceName\":\"ws1\",\"revision\":\"1\"}"
    );
    assert_eq!(git(&remote, &["log", "-1", "--format=%an|%cn", "main"]), "bob|Package Orchestration Service");
    assert_eq!(git(&remote, &["show", "main:deploy/team/app/cm.yaml"]), "kind: ConfigMap\ndata: b");
    let mut summary: Vec<_> =
        out.revisions.iter().map(|r| (r.revision, r.workspace.clone(), r.lifecycle.clone())).collect();
    summary.sort();
    assert_eq!(summary, vec![(-1, "main".into(), L::Published), (1, "ws1".into(), L::Published)]);
    assert_eq!(out.revisions.iter().find(|r| r.revision == 1).unwrap().tasks, vec![init_task()]);

    // Deletion proposals: idempotent add/remove of the marker branches.
    let v1 = Published::Tag { package: "team/app".into(), revision: 1 };
    let marker = "refs/heads/deletionProposed/deploy/team/app/v1";
    assert_eq!(repo.set_deletion_proposed(v1.clone(), true).await.unwrap().updated.len(), 1);
    assert_eq!(remote_refs(&remote)[marker], refs[tag]);
    assert!(repo.set_deletion_proposed(v1.clone(), true).await.unwrap().updated.is_empty());
    let all = repo.discover_all(repo.refs().await.unwrap()).await.unwrap();
    assert_eq!(all.iter().find(|r| r.revision == 1).unwrap().lifecycle, L::DeletionProposed);
    repo.set_deletion_proposed(v1.clone(), false).await.unwrap();
    assert!(!remote_refs(&remote).contains_key(marker));
    repo.set_deletion_proposed(v1, true).await.unwrap();
    let placeholder = Published::Placeholder { package: "team/app".into() };
    repo.set_deletion_proposed(placeholder, true).await.unwrap();
    assert!(remote_refs(&remote).contains_key("refs/heads/deletionProposed/deploy/team/app/main"));

    // A second mirror sees what the first wrote; the first needed no fetch to see it.
    let fresh = open(tmp.path(), "fresh", config.clone()).await;
    let fresh_refs = fresh.fetch().await.unwrap().refs;
    assert_eq!(fresh_refs, repo.refs().await.unwrap());
    assert_eq!(
        fresh.discover_all(fresh_refs.clone()).await.unwrap(),
        repo.discover_all(fresh_refs).await.unwrap()
    );

    // Delete the tag (and its marker), then the placeholder (and its marker).
    repo.delete_tag("team/app".into(), 1).await.unwrap();
    let refs = remote_refs(&remote);
    assert!(!refs.contains_key(tag) && !refs.contains_key(marker));
    let before = git(&remote, &["rev-parse", "main"]);
    repo.delete_placeholder("team/app".into(), Some("carol".into())).await.unwrap();
    assert_eq!(
        git(&remote, &["log", "-1", "--format=%B|%an|%P", "main"]),
        format!("Delete deploy/team/app|carol|{before}")
    );
    assert_eq!(git(&remote, &["ls-tree", "-r", "--name-only", "main"]), "README.md");
    assert!(!remote_refs(&remote).contains_key("refs/heads/deletionProposed/deploy/team/app/main"));
    assert!(repo.discover_all(repo.refs().await.unwrap()).await.unwrap().is_empty());

    // Delete a draft branch.
    repo.create_draft("other".into(), "w".into(), content("other", "x", None, None)).await.unwrap();
    assert_eq!(git(&remote, &["log", "-1", "--format=%s", "drafts/deploy/other/w"]), "Intermediate commit");
    repo.delete_draft("other".into(), "w".into(), Stage::Draft).await.unwrap();
    assert!(!remote_refs(&remote).contains_key("refs/heads/drafts/deploy/other/w"));
    assert!(matches!(
        repo.delete_draft("other".into(), "w".into(), Stage::Draft).await,
        Err(GitError::NotFound { .. })
    ));
}

#[tokio::test]
async fn conflicting_remote_changes_are_detected_and_approval_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = bare_repo(tmp.path(), "r.git");
    let w = WorkTree::new(tmp.path().join("work"), &remote);
    w.write("README.md", "x\n");
    w.commit("init");
    w.push_all();
    let mut config = RepoConfig::new(file_url(&remote));
    config.author = "Porch Bot".into();
    let repo = open(tmp.path(), "mirror", config).await;
    repo.fetch().await.unwrap();

    repo.create_draft("app".into(), "ws".into(), content("app", "1", Some(init_task()), Some("alice")))
        .await
        .unwrap();
    assert_eq!(git(&remote, &["log", "-1", "--format=%an <%ae>", "drafts/app/ws"]), "Porch Bot <Porch Bot>");
    let err =
        repo.create_draft("app".into(), "ws".into(), content("app", "1", None, None)).await.unwrap_err();
    assert!(err.is_conflict(), "{err}");

    // Someone moves the draft branch behind our back: the update is refused, nothing is lost.
    w.git(&["fetch", "-q", "origin"]);
    w.git(&["checkout", "-q", "-b", "side", "origin/drafts/app/ws"]);
    w.write("app/extra.yaml", "kind: Extra\n");
    let theirs = w.commit("their change");
    w.git(&["push", "-q", "origin", "side:drafts/app/ws"]);
    let err = repo
        .update_draft("app".into(), "ws".into(), Stage::Draft, content("app", "2", None, None))
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::Conflict { .. }), "{err}");
    assert_eq!(git(&remote, &["rev-parse", "drafts/app/ws"]), theirs);

    // The branch moves after our last fetch: approval fetches, rebuilds on the new tip, lands.
    repo.fetch().await.unwrap();
    w.git(&["checkout", "-q", "main"]);
    w.write("unrelated.txt", "u\n");
    let moved = w.commit("unrelated change on main");
    w.git(&["push", "-q", "origin", "main"]);
    let out = repo.approve("app".into(), "ws".into(), 1, None).await.unwrap();
    assert_eq!(git(&remote, &["log", "-1", "--format=%P", "main"]), format!("{moved} {theirs}"));
    assert_eq!(git(&remote, &["show", "main:unrelated.txt"]), "u");
    assert_eq!(git(&remote, &["show", "main:app/extra.yaml"]), "kind: Extra");
    assert_eq!(
        out.revisions.iter().find(|r| r.revision == 1).unwrap().commit.to_string(),
        git(&remote, &["rev-parse", "main"])
    );
    // The tag cannot be created twice.
    repo.create_draft("app".into(), "ws2".into(), content("app", "3", None, None)).await.unwrap();
    assert!(repo.approve("app".into(), "ws2".into(), 1, None).await.unwrap_err().is_conflict());
}
