//! A repository's syncs and revisions on the metrics: an open and a refresh are timed, the
//! revisions counted after each, and 0 once the repository is closed.

use std::path::Path;

use serde_json::json;

use super::{REVISIONS, SYNC_DURATION};
use crate::cache::registry::tests::in_process;
use crate::git::{Libgit2Options, init_libgit2};
use crate::metrics::{sample, test_recorder};

/// A bare remote whose `main` holds one package, `app`.
fn remote_with_a_package(path: &Path) {
    let repo = git2::Repository::init_bare(path).unwrap();
    let kptfile = repo.blob(b"apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\n").unwrap();
    let mut app = repo.treebuilder(None).unwrap();
    app.insert("Kptfile", kptfile, 0o100_644).unwrap();
    let app = app.write().unwrap();
    let mut root = repo.treebuilder(None).unwrap();
    root.insert("app", app, 0o040_000).unwrap();
    let tree = repo.find_tree(root.write().unwrap()).unwrap();
    let who = git2::Signature::now("test", "test@example.com").unwrap();
    repo.commit(Some("refs/heads/main"), &who, &who, "app", &tree, &[]).unwrap();
}

#[tokio::test]
async fn syncs_are_timed_and_revisions_counted_until_the_repository_closes() {
    let handle = test_recorder();
    init_libgit2(Libgit2Options::default());
    let tmp = tempfile::tempdir().unwrap();
    let remote = tmp.path().join("remote.git");
    remote_with_a_package(&remote);
    let (_app, registry) = in_process(tmp.path());
    let repository: porch_api::Repository = serde_json::from_value(json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
        "metadata": {"name": "metered", "namespace": "default", "uid": "u1", "resourceVersion": "1"},
        "spec": {"type": "git", "git": {"repo": format!("file://{}", remote.display()), "branch": "main"}},
    }))
    .unwrap();
    let labels = [("repository", "default/metered")];
    let syncs = |outcome| {
        let text = handle.render();
        let labels = [labels[0], ("outcome", outcome)];
        sample(&text, &format!("{SYNC_DURATION}_count"), &labels)
    };
    let revisions = || sample(&handle.render(), REVISIONS, &labels);

    let cache = registry.get(&repository).await.unwrap();
    assert_eq!(cache.len(), 1, "the placeholder of app");
    assert_eq!((syncs("success"), revisions()), (Some(1.0), Some(1.0)));
    registry.sync(&repository).await.unwrap();
    assert_eq!(syncs("success"), Some(2.0), "a refresh is a sync too");
    let bucket = format!("{SYNC_DURATION}_bucket");
    assert_eq!(sample(&handle.render(), &bucket, &[labels[0], ("le", "600")]), Some(2.0));
    registry.close("default", "metered").await;
    assert_eq!(revisions(), Some(0.0));
}
