//! Tree plumbing on the object database: build a package tree from files, splice a subtree into
//! a parent tree along one path (only the trees on that path are rewritten), read a package's
//! files, and find package directories.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{FileMode, ObjectType, Oid, Repository, Tree};

use super::kptfile::KPTFILE;

/// Checks a slash-separated relative path: no empty, `.`, `..` or `.git` components.
pub(crate) fn validate_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    for part in path.split('/') {
        match part {
            "" => return Err(format!("{path:?} has an empty component or a leading/trailing slash")),
            "." | ".." => return Err(format!("{path:?} may not contain {part:?}")),
            p if p.eq_ignore_ascii_case(".git") => return Err(format!("{path:?} may not contain .git")),
            p if p.contains('\0') => return Err(format!("{path:?} contains a NUL byte")),
            _ => {}
        }
    }
    Ok(())
}

enum Node<'a> {
    File(&'a [u8]),
    Dir(BTreeMap<&'a str, Node<'a>>),
}

/// Writes `files` (relative path → content) as a tree of regular files and returns its id.
/// Paths must have been checked with [`validate_path`].
pub(crate) fn write_files(repo: &Repository, files: &BTreeMap<String, Vec<u8>>) -> Result<Oid, git2::Error> {
    let mut root: BTreeMap<&str, Node<'_>> = BTreeMap::new();
    for (path, content) in files {
        let mut dir = &mut root;
        let mut parts = path.split('/').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                dir.insert(part, Node::File(content));
                break;
            }
            let entry = dir.entry(part).or_insert_with(|| Node::Dir(BTreeMap::new()));
            if let Node::File(_) = entry {
                *entry = Node::Dir(BTreeMap::new());
            }
            let Node::Dir(next) = entry else { unreachable!("just made a directory") };
            dir = next;
        }
    }
    write_dir(repo, &root)
}

fn write_dir(repo: &Repository, dir: &BTreeMap<&str, Node<'_>>) -> Result<Oid, git2::Error> {
    let mut builder = repo.treebuilder(None)?;
    for (name, node) in dir {
        match node {
            Node::File(content) => {
                let blob = repo.blob(content)?;
                builder.insert(name, blob, FileMode::Blob.into())?;
            }
            Node::Dir(children) => {
                let tree = write_dir(repo, children)?;
                builder.insert(name, tree, FileMode::Tree.into())?;
            }
        }
    }
    builder.write()
}

/// Returns the id of `root` with the directory at `path` replaced by tree `new` (or removed when
/// `None`). Only the trees along `path` are rewritten; directories left empty by a removal are
/// removed too. `root` = `None` starts from the empty tree.
pub(crate) fn replace_path(
    repo: &Repository,
    root: Option<&Tree<'_>>,
    path: &str,
    new: Option<Oid>,
) -> Result<Oid, git2::Error> {
    let parts: Vec<&str> = path.split('/').collect();
    match splice(repo, root, &parts, new)? {
        Some(oid) => Ok(oid),
        None => repo.treebuilder(None)?.write(),
    }
}

fn splice(
    repo: &Repository,
    tree: Option<&Tree<'_>>,
    parts: &[&str],
    new: Option<Oid>,
) -> Result<Option<Oid>, git2::Error> {
    let Some((name, rest)) = parts.split_first() else { return Ok(new) };
    let mut builder = repo.treebuilder(tree)?;
    let child = if rest.is_empty() {
        new
    } else {
        let existing = match tree.and_then(|t| t.get_name(name)) {
            Some(entry) if entry.kind() == Some(ObjectType::Tree) => Some(repo.find_tree(entry.id())?),
            _ => None,
        };
        splice(repo, existing.as_ref(), rest, new)?
    };
    match child {
        Some(oid) => {
            builder.insert(name, oid, FileMode::Tree.into())?;
        }
        None => {
            if builder.get(name)?.is_some() {
                builder.remove(name)?;
            }
        }
    }
    if builder.is_empty() { Ok(None) } else { builder.write().map(Some) }
}

/// The tree at `path` under `root`, if `path` is a directory.
pub(crate) fn subtree<'r>(
    repo: &'r Repository,
    root: &Tree<'_>,
    path: &str,
) -> Result<Option<Tree<'r>>, git2::Error> {
    if path.is_empty() {
        return repo.find_tree(root.id()).map(Some);
    }
    match root.get_path(Path::new(path)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => repo.find_tree(entry.id()).map(Some),
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether a tree holds a `Kptfile` blob (a package root).
pub(crate) fn has_kptfile(tree: &Tree<'_>) -> bool {
    tree.get_name(KPTFILE).is_some_and(|e| e.kind() == Some(ObjectType::Blob))
}

/// Every file under `tree` (relative path → content); submodule entries are skipped.
pub(crate) fn read_files(
    repo: &Repository,
    tree: &Tree<'_>,
) -> Result<BTreeMap<String, Vec<u8>>, git2::Error> {
    let mut files = BTreeMap::new();
    let mut failure = None;
    let walked = tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() != Some(ObjectType::Blob) {
            return git2::TreeWalkResult::Ok;
        }
        let Ok(name) = entry.name() else { return git2::TreeWalkResult::Ok };
        match repo.find_blob(entry.id()) {
            Ok(blob) => {
                files.insert(format!("{dir}{name}"), blob.content().to_vec());
                git2::TreeWalkResult::Ok
            }
            Err(e) => {
                failure = Some(e);
                git2::TreeWalkResult::Abort
            }
        }
    });
    // The blob's own error, not the walk's "callback returned -7", says what went wrong.
    match failure {
        Some(e) => Err(e),
        None => walked.map(|()| files),
    }
}

/// Package directories under `tree`: every directory holding a `Kptfile`; the search does not
/// descend into a package (nested Kptfiles belong to it). Returns (path relative to `tree`,
/// package tree id); a Kptfile directly in `tree` yields the path `""`.
pub(crate) fn find_packages(repo: &Repository, tree: &Tree<'_>) -> Result<Vec<(String, Oid)>, git2::Error> {
    let mut found = Vec::new();
    find_in(repo, tree, String::new(), &mut found)?;
    Ok(found)
}

fn find_in(
    repo: &Repository,
    tree: &Tree<'_>,
    path: String,
    found: &mut Vec<(String, Oid)>,
) -> Result<(), git2::Error> {
    if has_kptfile(tree) {
        found.push((path, tree.id()));
        return Ok(());
    }
    for entry in tree.iter() {
        if entry.kind() != Some(ObjectType::Tree) {
            continue;
        }
        let Ok(name) = entry.name() else { continue };
        let child = repo.find_tree(entry.id())?;
        let child_path = if path.is_empty() { name.to_string() } else { format!("{path}/{name}") };
        find_in(repo, &child, child_path, found)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::libgit2::init_for_tests;

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        entries.iter().map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())).collect()
    }

    #[test]
    fn paths_are_validated() {
        assert!(validate_path("a/b/Kptfile").is_ok());
        for bad in ["", "/a", "a/", "a//b", "a/../b", "./a", ".git/config", "a/.GIT"] {
            assert!(validate_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn splice_rewrites_only_the_path() {
        init_for_tests();
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let base =
            write_files(&repo, &files(&[("README.md", "r"), ("a/x/Kptfile", "x"), ("a/y/Kptfile", "y")]))
                .unwrap();
        let base = repo.find_tree(base).unwrap();
        let pkg = write_files(&repo, &files(&[("Kptfile", "new"), ("sub/Kptfile", "nested")])).unwrap();

        let replaced = replace_path(&repo, Some(&base), "a/x", Some(pkg)).unwrap();
        let replaced = repo.find_tree(replaced).unwrap();
        let all = read_files(&repo, &replaced).unwrap();
        assert_eq!(all["a/x/Kptfile"], b"new");
        assert_eq!(all["a/x/sub/Kptfile"], b"nested");
        assert_eq!(all["a/y/Kptfile"], b"y");
        // Untouched siblings keep their tree ids.
        let old_y = base.get_path(Path::new("a/y")).unwrap().id();
        assert_eq!(replaced.get_path(Path::new("a/y")).unwrap().id(), old_y);

        let pkgs = find_packages(&repo, &replaced).unwrap();
        let paths: Vec<&str> = pkgs.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["a/x", "a/y"]);

        // Removing both packages prunes the now-empty directory `a`.
        let t = replace_path(&repo, Some(&replaced), "a/x", None).unwrap();
        let t = replace_path(&repo, Some(&repo.find_tree(t).unwrap()), "a/y", None).unwrap();
        let t = repo.find_tree(t).unwrap();
        assert!(t.get_name("a").is_none());
        assert!(t.get_name("README.md").is_some());

        // Starting from nothing.
        let fresh = replace_path(&repo, None, "d/p", Some(pkg)).unwrap();
        let fresh = repo.find_tree(fresh).unwrap();
        assert!(subtree(&repo, &fresh, "d/p").unwrap().is_some_and(|t| has_kptfile(&t)));
        assert!(subtree(&repo, &fresh, "d/q").unwrap().is_none());
        assert!(subtree(&repo, &fresh, "d/p/Kptfile").unwrap().is_none());
    }
}
