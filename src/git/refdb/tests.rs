//! Tests of the ref store: the `packed-refs` reader, the compare-and-swap writes of the files
//! store checked against libgit2 and git, [`Refs`] through both paths, and the refs a fetch
//! leaves.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use git2::{ErrorCode, Oid, Repository};

use super::Refs;
use super::fetched::replace_fetched;
use super::loose::{Current, Files};
use super::packed::Packed;
use crate::git::libgit2::init_for_tests;

fn oid(n: u8) -> Oid {
    Oid::from_bytes(&[n; 20]).unwrap()
}

fn write_packed(dir: &Path, header: &str, lines: &[String]) {
    let mut text = header.to_string();
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    fs::write(dir.join("packed-refs"), text).unwrap();
}

fn many(n: usize) -> Vec<String> {
    let mut names: Vec<String> = (0..n).map(|i| format!("refs/tags/pkg/v{i}")).collect();
    names.push("refs/heads/main".into());
    names.push("refs/tags/a".into());
    names.sort();
    names
}

#[test]
fn finds_every_packed_ref_by_binary_search_and_by_scan() {
    for (header, peel) in [
        ("# pack-refs with: peeled fully-peeled sorted \n", true),
        ("# pack-refs with: sorted \n", false),
        ("", false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        // Large enough for the binary search to take many steps before its final scan.
        let names = many(3000);
        let mut lines = Vec::new();
        for (i, name) in names.iter().enumerate() {
            lines.push(format!("{} {name}", oid((i % 200) as u8 + 1)));
            if peel && i % 3 == 0 {
                lines.push(format!("^{}", oid(250)));
            }
        }
        write_packed(dir.path(), header, &lines);
        let files = Files::at(dir.path());
        let step = if header.is_empty() { 97 } else { 1 };
        for (i, name) in names.iter().enumerate().step_by(step) {
            assert_eq!(files.current(name).unwrap(), Current::Direct(oid((i % 200) as u8 + 1)), "{name}");
        }
        for missing in ["refs/tags/pkg/v", "refs/tags/pkg/v9999", "refs/heads/a", "refs/tags/zzz", "refs/a"] {
            assert_eq!(files.current(missing).unwrap(), Current::Absent, "{missing}");
        }
        let packed = Packed::open(dir.path()).unwrap();
        assert_eq!(packed.sorted, !header.is_empty());
        assert_eq!(packed.collision("refs/tags/a/v1").unwrap().as_deref(), Some("refs/tags/a"));
        assert_eq!(packed.collision("refs/tags/pkg").unwrap().as_deref(), Some("refs/tags/pkg/v0"));
        assert_eq!(packed.collision("refs/tags/pk").unwrap(), None);
        assert_eq!(packed.collision("refs/tags/pkg/v10000").unwrap(), None);
    }
}

#[test]
fn writes_compare_and_swap_and_agree_with_libgit2() {
    init_for_tests();
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let files = Files::of(&repo).unwrap().expect("a bare repository logs no ref updates");
    // Real commits, so that git itself can list the refs below.
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    let tree = repo.find_tree(repo.treebuilder(None).unwrap().write().unwrap()).unwrap();
    let a = repo.commit(None, &sig, &sig, "a", &tree, &[]).unwrap();
    let b = repo.commit(None, &sig, &sig, "b", &tree, &[]).unwrap();
    let names = many(50);
    let lines: Vec<String> = names.iter().map(|n| format!("{a} {n}")).collect();
    write_packed(dir.path(), "# pack-refs with: peeled fully-peeled sorted \n", &lines);

    // Create: absent expected.
    files.set("refs/heads/drafts/p/ws", b, Some(None)).unwrap();
    let err = files.set("refs/heads/drafts/p/ws", b, Some(None)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Exists);
    // A packed ref counts as present.
    let err = files.set("refs/tags/pkg/v7", b, Some(None)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Exists);
    // Move: old value checked (packed value, then loose).
    let err = files.set("refs/tags/pkg/v7", b, Some(Some(b))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Modified);
    files.set("refs/tags/pkg/v7", b, Some(Some(a))).unwrap();
    assert_eq!(files.current("refs/tags/pkg/v7").unwrap(), Current::Direct(b));
    let err = files.set("refs/tags/none", b, Some(Some(a))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    // Forced.
    files.set("refs/heads/main", b, None).unwrap();
    // Clashes with packed and loose refs.
    assert!(files.set("refs/tags/a/v1", b, None).is_err());
    assert!(files.set("refs/tags/pkg", b, None).is_err());
    assert!(files.set("refs/heads/drafts/p/ws/x", b, None).is_err());
    assert!(files.set("refs/heads/drafts/p", b, None).is_err());
    assert!(files.set("refs/heads/bad..name", b, None).is_err());
    // A held lock.
    fs::write(dir.path().join("refs/heads/main.lock"), "").unwrap();
    assert_eq!(files.set("refs/heads/main", a, None).unwrap_err().code(), ErrorCode::Locked);
    fs::remove_file(dir.path().join("refs/heads/main.lock")).unwrap();

    // libgit2 (a fresh handle) sees the same refs.
    let check = Repository::open_bare(dir.path()).unwrap();
    assert_eq!(check.refname_to_id("refs/heads/drafts/p/ws").unwrap(), b);
    assert_eq!(check.refname_to_id("refs/tags/pkg/v7").unwrap(), b);
    assert_eq!(check.refname_to_id("refs/heads/main").unwrap(), b);
    assert_eq!(check.refname_to_id("refs/tags/pkg/v8").unwrap(), a);

    // Deletes: expected values, packed lines, empty directories.
    let err = files.delete("refs/heads/drafts/p/ws", Some(Some(a))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Modified);
    files.delete("refs/heads/drafts/p/ws", Some(Some(b))).unwrap();
    assert!(!dir.path().join("refs/heads/drafts").exists());
    assert!(dir.path().join("refs/heads").is_dir());
    files.delete("refs/heads/drafts/p/ws", Some(None)).unwrap();
    files.delete("refs/heads/drafts/p/ws", None).unwrap();
    assert!(!dir.path().join("refs/heads/drafts").exists(), "no directories left by the locks");
    let err = files.delete("refs/heads/drafts/p/ws", Some(Some(b))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    // Packed and loose: both go.
    files.delete("refs/tags/pkg/v7", Some(Some(b))).unwrap();
    files.delete("refs/tags/pkg/v8", None).unwrap();
    assert_eq!(files.current("refs/tags/pkg/v7").unwrap(), Current::Absent);
    assert_eq!(files.current("refs/tags/pkg/v8").unwrap(), Current::Absent);
    assert!(!dir.path().join("packed-refs.lock").exists());
    let check = Repository::open_bare(dir.path()).unwrap();
    assert!(check.find_reference("refs/tags/pkg/v7").is_err());
    assert!(check.find_reference("refs/tags/pkg/v8").is_err());
    assert_eq!(check.refname_to_id("refs/tags/pkg/v9").unwrap(), a);
    let count = check.references().unwrap().count();
    assert_eq!(count, names.len() - 2, "the packed refs less the two deleted (main is loose and packed)");
    // And git agrees.
    let listed = std::process::Command::new("git")
        .args(["for-each-ref", "--format=%(objectname) %(refname)"])
        .current_dir(dir.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(listed.status.success() && listed.stderr.is_empty(), "{listed:?}");
    let mut expected: Vec<String> = check
        .references()
        .unwrap()
        .map(|r| r.unwrap())
        .map(|r| format!("{} {}", r.target().unwrap(), r.name().unwrap()))
        .collect();
    expected.sort_by(|x, y| x.split(' ').nth(1).cmp(&y.split(' ').nth(1)));
    let git_listed: Vec<String> =
        String::from_utf8(listed.stdout).unwrap().lines().map(String::from).collect();
    assert_eq!(git_listed, expected);
    let packed = fs::read_to_string(dir.path().join("packed-refs")).unwrap();
    assert!(packed.starts_with("# pack-refs with: peeled fully-peeled sorted \n"));
    assert_eq!(packed.lines().count(), 1 + names.len() - 2, "the header and the packed refs left");
}

#[test]
fn packed_refs_is_rewritten_as_it_is_once_locked() {
    let dir = tempfile::tempdir().unwrap();
    let header = "# pack-refs with: peeled fully-peeled sorted \n";
    let line = |n: u8, name: &str| format!("{} {name}", oid(n));
    write_packed(dir.path(), header, &[line(2, "refs/tags/b"), line(3, "refs/tags/c")]);
    let files = Files::at(dir.path());
    // A delete finds the ref packed; then another writer (git pack-refs in a local remote)
    // replaces the file, packing a ref ahead of it, before the delete takes the lock.
    assert_eq!(files.current("refs/tags/c").unwrap(), Current::Direct(oid(3)));
    let packed = dir.path().join("packed-refs");
    let repacked = [line(1, "refs/tags/a"), line(2, "refs/tags/b"), line(3, "refs/tags/c")];
    fs::write(dir.path().join("packed-refs.new"), format!("{header}{}\n", repacked.join("\n"))).unwrap();
    fs::rename(dir.path().join("packed-refs.new"), &packed).unwrap();
    Packed::remove(dir.path(), "refs/tags/c").unwrap();
    let expected = format!("{header}{}\n{}\n", repacked[0], repacked[1]);
    assert_eq!(fs::read_to_string(&packed).unwrap(), expected, "the other writer's pack is kept");
    // Gone meanwhile: nothing to rewrite.
    Packed::remove(dir.path(), "refs/tags/c").unwrap();
    assert_eq!(fs::read_to_string(&packed).unwrap(), expected);
    // Locked by someone else: refused, nothing changed.
    assert!(!dir.path().join("packed-refs.lock").exists());
    fs::write(dir.path().join("packed-refs.lock"), "").unwrap();
    let err = files.delete("refs/tags/a", None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Locked);
    assert_eq!(fs::read_to_string(&packed).unwrap(), expected);
    assert_eq!(files.current("refs/tags/a").unwrap(), Current::Direct(oid(1)));
}

#[test]
fn refs_compare_and_swap_alike_through_files_and_libgit2() {
    init_for_tests();
    for logged in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        repo.config().unwrap().set_bool("core.logAllRefUpdates", logged).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let tree = repo.find_tree(repo.treebuilder(None).unwrap().write().unwrap()).unwrap();
        let a = repo.commit(None, &sig, &sig, "a", &tree, &[]).unwrap();
        let b = repo.commit(None, &sig, &sig, "b", &tree, &[]).unwrap();
        let refs = Refs::of(&repo).unwrap();
        assert_eq!(refs.files.is_some(), !logged);
        let (name, code) = ("refs/heads/x", |e: git2::Error| e.code());
        refs.set(name, a, Some(None)).unwrap();
        assert_eq!(refs.set(name, b, Some(None)).map_err(code), Err(ErrorCode::Exists), "{logged}");
        assert_eq!(refs.set(name, b, Some(Some(b))).map_err(code), Err(ErrorCode::Modified));
        refs.set(name, b, Some(Some(a))).unwrap();
        refs.set(name, a, None).unwrap();
        assert_eq!(refs.current(name).unwrap(), Some(a));
        assert_eq!(dir.path().join("logs").join(name).exists(), logged, "only libgit2 logs");
        assert_eq!(refs.set("refs/heads/y", a, Some(Some(a))).map_err(code), Err(ErrorCode::NotFound));
        assert_eq!(refs.delete(name, Some(Some(b))).map_err(code), Err(ErrorCode::Modified));
        refs.delete(name, Some(Some(a))).unwrap();
        assert_eq!(refs.current(name).unwrap(), None);
        refs.delete(name, None).unwrap();
        refs.delete(name, Some(None)).unwrap();
        assert_eq!(refs.delete(name, Some(Some(a))).map_err(code), Err(ErrorCode::NotFound));
    }
}

#[test]
fn symbolic_refs_and_logged_repositories() {
    init_for_tests();
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path().join("bare")).unwrap();
    fs::create_dir_all(dir.path().join("bare/refs/heads")).unwrap();
    fs::write(dir.path().join("bare/refs/heads/alias"), "ref: refs/heads/main\n").unwrap();
    let files = Files::of(&repo).unwrap().unwrap();
    assert_eq!(files.current("refs/heads/alias").unwrap(), Current::Symbolic);
    let err = files.set("refs/heads/alias", oid(1), Some(Some(oid(1)))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Modified);
    assert_eq!(files.set("refs/heads/alias", oid(1), Some(None)).unwrap_err().code(), ErrorCode::Exists);
    // Forced, as libgit2's forced write: the symbolic ref becomes a direct one.
    files.set("refs/heads/alias", oid(1), None).unwrap();
    assert_eq!(files.current("refs/heads/alias").unwrap(), Current::Direct(oid(1)));
    assert!(!files.has_log("refs/heads/main"));
    fs::create_dir_all(dir.path().join("bare/logs/refs/heads")).unwrap();
    fs::write(dir.path().join("bare/logs/refs/heads/main"), "").unwrap();
    assert!(files.has_log("refs/heads/main"));

    repo.config().unwrap().set_bool("core.logAllRefUpdates", true).unwrap();
    assert!(Files::of(&repo).unwrap().is_none());
    let work = Repository::init(dir.path().join("work")).unwrap();
    assert!(Files::of(&work).unwrap().is_none());
}

/// The repository at `path`, reopened, and its refs sorted by name.
fn refs_of(path: &Path) -> (Repository, Vec<(String, Oid)>) {
    let repo = Repository::open_bare(path).unwrap();
    let mut names: Vec<(String, Oid)> = repo
        .references()
        .unwrap()
        .map(|r| r.unwrap())
        .map(|r| (r.name().unwrap().to_string(), r.target().unwrap()))
        .collect();
    names.sort();
    (repo, names)
}

#[test]
fn fetched_refs_replace_the_namespaces_tags_packed_branches_loose() {
    init_for_tests();
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    let tree = repo.treebuilder(None).unwrap().write().unwrap();
    let tree = repo.find_tree(tree).unwrap();
    let a = repo.commit(None, &sig, &sig, "a", &tree, &[]).unwrap();
    let b = repo.commit(None, &sig, &sig, "b", &tree, &[]).unwrap();
    repo.reference("refs/tags/old/v1", a, true, "").unwrap();
    repo.reference("refs/remotes/origin/main", a, true, "").unwrap();
    repo.reference("refs/heads/local", a, true, "").unwrap();

    let fetched = BTreeMap::from([
        ("refs/remotes/origin/main".to_string(), b),
        ("refs/tags/pkg/v1".to_string(), a),
        ("refs/tags/pkg/v2".to_string(), b),
    ]);
    replace_fetched(&repo, &fetched).unwrap();

    let (repo, names) = refs_of(dir.path());
    let expected = [
        ("refs/heads/local", a),
        ("refs/remotes/origin/main", b),
        ("refs/tags/pkg/v1", a),
        ("refs/tags/pkg/v2", b),
    ];
    assert_eq!(names, expected.map(|(n, o)| (n.to_string(), o)));
    assert!(!dir.path().join("refs/tags/old").exists());
    assert!(!dir.path().join("refs/tags/pkg").exists());
    assert!(dir.path().join("refs/tags").is_dir());
    // Tags packed, branches loose.
    let packed = fs::read_to_string(dir.path().join("packed-refs")).unwrap();
    assert_eq!(
        packed,
        format!(
            "# pack-refs with: sorted \n{a} refs/heads/local\n{a} refs/tags/pkg/v1\n{b} refs/tags/pkg/v2\n"
        )
    );
    assert_eq!(fs::read_to_string(dir.path().join("refs/remotes/origin/main")).unwrap(), format!("{b}\n"));

    // libgit2 writes over packed refs as usual.
    repo.reference("refs/tags/pkg/v3", a, false, "").unwrap();
    repo.find_reference("refs/tags/pkg/v1").unwrap().delete().unwrap();
    assert!(repo.find_reference("refs/tags/pkg/v1").is_err());
    assert_eq!(repo.refname_to_id("refs/tags/pkg/v2").unwrap(), b);

    // A second fetch: a loose branch moves, one goes, one comes (packed); unchanged files
    // stay as they are.
    repo.reference("refs/remotes/origin/drafts/p/ws", a, true, "").unwrap();
    repo.reference("refs/remotes/origin/gone/x", a, true, "").unwrap();
    let fetched = BTreeMap::from([
        ("refs/remotes/origin/main".to_string(), b),
        ("refs/remotes/origin/drafts/p/ws".to_string(), b),
        ("refs/remotes/origin/gone".to_string(), a),
        ("refs/tags/pkg/v2".to_string(), b),
    ]);
    let main_file = dir.path().join("refs/remotes/origin/main");
    let before = fs::metadata(&main_file).unwrap().modified().unwrap();
    replace_fetched(&repo, &fetched).unwrap();
    assert_eq!(fs::metadata(&main_file).unwrap().modified().unwrap(), before);
    let (_, names) = refs_of(dir.path());
    let expected = [
        ("refs/heads/local", a),
        ("refs/remotes/origin/drafts/p/ws", b),
        ("refs/remotes/origin/gone", a),
        ("refs/remotes/origin/main", b),
        ("refs/tags/pkg/v2", b),
    ];
    assert_eq!(names, expected.map(|(n, o)| (n.to_string(), o)));
    assert!(!dir.path().join("refs/remotes/origin/gone/x").exists());
    assert!(!dir.path().join("refs/remotes/origin/gone").exists(), "a new branch is packed");
    let draft = fs::read_to_string(dir.path().join("refs/remotes/origin/drafts/p/ws")).unwrap();
    assert_eq!(draft, format!("{b}\n"));
    let packed = fs::read_to_string(dir.path().join("packed-refs")).unwrap();
    let lines = [
        format!("{a} refs/heads/local"),
        format!("{a} refs/remotes/origin/gone"),
        format!("{b} refs/tags/pkg/v2"),
    ];
    assert_eq!(packed, format!("# pack-refs with: sorted \n{}\n", lines.join("\n")));

    // A cold fetch packs everything.
    let cold = tempfile::tempdir().unwrap();
    let cold_repo = Repository::init_bare(cold.path()).unwrap();
    replace_fetched(&cold_repo, &fetched).unwrap();
    assert!(!cold.path().join("refs/remotes/origin").exists());
    let packed = fs::read_to_string(cold.path().join("packed-refs")).unwrap();
    assert_eq!(packed.lines().count(), 1 + fetched.len());
}
