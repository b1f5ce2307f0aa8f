//! Unit tests of the index: ordering, latest flags, event planning.

use git2::Oid;
use porch_api::porch::PackageRevisionLifecycle as L;

use super::*;
use crate::git::KptfileInfo;

fn oid(n: u8) -> Oid {
    Oid::from_bytes(&[n; 20]).unwrap()
}

fn rev(package: &str, workspace: &str, revision: i32, lifecycle: L) -> DiscoveredRevision {
    let ref_name = match (revision, &lifecycle) {
        (-1, _) => "refs/heads/main".to_string(),
        (0, L::Draft) => format!("refs/heads/drafts/{package}/{workspace}"),
        (0, _) => format!("refs/heads/proposed/{package}/{workspace}"),
        (n, _) => format!("refs/tags/{package}/v{n}"),
    };
    DiscoveredRevision {
        package: package.into(),
        full_path: package.into(),
        workspace: workspace.into(),
        revision,
        lifecycle,
        ref_name,
        commit: oid(revision.unsigned_abs() as u8 + 1),
        tree: oid(100),
        tasks: Vec::new(),
        published: None,
        kptfile: KptfileInfo::default(),
    }
}

fn commit(index: &mut Index, changes: Vec<Change>, rv: &mut u64) -> Vec<(EventType, String, bool)> {
    let planned = index.plan(changes);
    let n = planned.len() as u64;
    let events = index.apply(planned, (*rv..*rv + n).collect());
    *rv += n;
    events.iter().map(|e| (e.event_type, e.revision.name.clone(), e.revision.latest)).collect()
}

#[test]
fn order_latest_and_packages() {
    let mut index = Index::new("ns", "r");
    let mut rv = 1;
    let events = commit(
        &mut index,
        vec![
            Change::put(rev("b", "v1", 1, L::Published)),
            Change::put(rev("a/x", "v2", 2, L::DeletionProposed)),
            Change::put(rev("a/x", "v1", 1, L::Published)),
            Change::put(rev("a/x", "main", -1, L::Published)),
            Change::put(rev("a/x", "ws", 0, L::Proposed)),
            Change::put(rev("a/x", "dr", 0, L::Draft)),
            // Same bare name "x", other path: must not compete for latest.
            Change::put(rev("c/x", "v9", 9, L::Published)),
        ],
        &mut rv,
    );
    assert_eq!(events.len(), 7);
    assert!(events.iter().all(|e| e.0 == EventType::Added));
    let names: Vec<_> = index.list().iter().map(|r| (r.name.clone(), r.latest)).collect();
    let row = |n: &str, l| (n.to_string(), l);
    assert_eq!(
        names,
        vec![
            row("r.a.x.main", false),
            row("r.a.x.dr", false),
            row("r.a.x.ws", false),
            row("r.a.x.v1", false),
            row("r.a.x.v2", true),
            row("r.b.v1", true),
            row("r.c.x.v9", true),
        ]
    );
    assert_eq!(index.next_revision("a/x"), 3);
    assert_eq!(index.next_revision("new"), 1);
    let packages: Vec<_> = index.packages().into_iter().map(|p| (p.name, p.latest_revision)).collect();
    assert_eq!(packages, vec![("r.a.x".into(), 2), ("r.b".into(), 1), ("r.c.x".into(), 9)]);
}

#[test]
fn latest_moves_and_no_op_changes_are_silent() {
    let mut index = Index::new("ns", "r");
    let mut rv = 1;
    commit(
        &mut index,
        vec![Change::put(rev("p", "v1", 1, L::Published)), Change::put(rev("p", "ws", 0, L::Proposed))],
        &mut rv,
    );
    // Re-putting the same revision changes nothing.
    assert!(commit(&mut index, vec![Change::put(rev("p", "v1", 1, L::Published))], &mut rv).is_empty());
    // Approval: the proposal becomes v2 (same key), the old latest loses its flag.
    let mut approved = rev("p", "ws", 2, L::Published);
    approved.workspace = "ws".into();
    let events = commit(
        &mut index,
        vec![Change::DropRef("refs/heads/proposed/p/ws".into()), Change::put(approved)],
        &mut rv,
    );
    assert_eq!(
        events,
        vec![(EventType::Modified, "r.p.ws".into(), true), (EventType::Modified, "r.p.v1".into(), false)]
    );
    // Deleting the latest moves the flag back.
    let events = commit(&mut index, vec![Change::DropRef("refs/tags/p/v2".into())], &mut rv);
    assert_eq!(
        events,
        vec![(EventType::Deleted, "r.p.ws".into(), true), (EventType::Modified, "r.p.v1".into(), true)]
    );
    assert_eq!(index.get("r.p.v1").unwrap().resource_version, rv - 1);
    assert!(index.get("r.p.ws").is_none());
}

#[test]
fn placeholder_commit_alone_is_not_a_change() {
    let mut index = Index::new("ns", "r");
    let mut rv = 1;
    commit(&mut index, vec![Change::put(rev("p", "main", -1, L::Published))], &mut rv);
    let mut moved = rev("p", "main", -1, L::Published);
    moved.commit = oid(77);
    assert!(commit(&mut index, vec![Change::put(moved.clone())], &mut rv).is_empty());
    moved.tree = oid(78);
    assert_eq!(commit(&mut index, vec![Change::put(moved)], &mut rv).len(), 1);
}

#[test]
fn nesting_finds_ancestors_and_descendants_only() {
    let mut index = Index::new("ns", "r");
    let mut rv = 1;
    commit(
        &mut index,
        vec![
            Change::put(rev("a/b", "v1", 1, L::Published)),
            // Sort between "a/b" and "a/b/": siblings, not descendants.
            Change::put(rev("a/b-c", "v1", 1, L::Published)),
            Change::put(rev("a/b.c", "v1", 1, L::Published)),
            Change::put(rev("x/y/z", "v1", 1, L::Published)),
        ],
        &mut rv,
    );
    assert_eq!(index.nesting("a/b/c"), Some("a/b"), "an ancestor");
    assert_eq!(index.nesting("a/b/c/d"), Some("a/b"), "a grand-ancestor");
    assert_eq!(index.nesting("a"), Some("a/b"), "a descendant");
    assert_eq!(index.nesting("x"), Some("x/y/z"), "a grand-descendant");
    assert_eq!(index.nesting("x/y"), Some("x/y/z"));
    assert_eq!(index.nesting("a/b"), None, "the package itself is not nested in itself");
    assert_eq!(index.nesting("a/bc"), None);
    assert_eq!(index.nesting("a/b-"), None);
    assert_eq!(index.nesting("x/y/zz"), None);
    assert_eq!(index.nesting("y"), None);
}
