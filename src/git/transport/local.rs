//! Fetch and push for a remote on the local file system (`file://` URLs, absolute paths),
//! without going through libgit2's local transport.
//!
//! libgit2's local fetch builds a pack of everything the mirror lacks (a revision walk, a delta
//! search, compression) and then indexes that pack again on the receiving side: for a cold
//! mirror it costs about twice `git clone --mirror`, which copies or links the remote's object
//! files instead. Its local push lists every ref of the remote twice (one lookup per ref, each a
//! failed loose-file open plus a `packed-refs` check) and walks every local tag while writing the
//! pack, so a push to a remote with 10 000 tags costs hundreds of milliseconds however small it
//! is. The transport does nothing a direct copy cannot (it runs no hooks), so here a fetch:
//!
//! 1. reads the remote's branches and tags from its ref store (symbolic refs resolved, as an
//!    advertisement lists them);
//! 2. when the mirror has no objects yet (a cold fetch) and the remote has no alternates, links
//!    the remote's object files into the mirror ([`odb::link_objects`](super::odb::link_objects));
//! 3. copies every object reachable from a ref tip that the mirror still lacks
//!    ([`odb::copy_missing`](super::odb::copy_missing); after step 2 only a pack written meanwhile on the remote can leave
//!    any);
//! 4. returns the refs, which the caller stores as the libgit2 fetch path does (`mod.rs`).
//!
//! And a push:
//!
//! 1. copies every object reachable from the new ref values that the remote lacks;
//! 2. checks every update's expected current value before any ref moves (a mismatch is a
//!    [`GitError::Conflict`] and changes nothing);
//! 3. compare-and-swaps each ref under the remote's ref lock, in order; one that moved
//!    meanwhile is a conflict too (earlier updates stay, as with a real push, and the retry sees
//!    them). In a bare remote that logs no ref updates this goes through the files ref store
//!    directly ([`Refs`]: a loose-file write, `packed-refs` only searched), since libgit2's ref
//!    writes load and scan every packed ref each time; otherwise through libgit2. The updates
//!    are journaled in the mirror while they are applied, so that a crash between two of them is
//!    finished when the mirror is opened again (`journal.rs`).

use std::io;
use std::path::Path;

use git2::{ErrorCode, Oid, Repository};

use super::journal::Journal;
use super::odb::{Objects, copy_missing, is_empty, link_objects};
use super::update::RefUpdate;
use crate::git::Result;
use crate::git::error::{GitError, Scrubber, redact_userinfo};
use crate::git::refdb::Refs;
use crate::git::refs::{HEADS, TAGS, local_name, remote_name};

/// Pushes `updates` from `repo` to the repository at `remote`.
pub(super) fn push(repo: &Repository, url: &str, remote: &Path, updates: &[RefUpdate]) -> Result<()> {
    let scrub = Scrubber::default();
    let push_err =
        |source: git2::Error| GitError::Push { url: redact_userinfo(url), source: scrub.error(&source) };
    let target = Repository::open(remote).map_err(push_err)?;
    let (from, to) = (Objects::of(repo).map_err(push_err)?, Objects::of(&target).map_err(push_err)?);
    for oid in updates.iter().filter_map(|u| u.new) {
        copy_missing(&from, &to, oid).map_err(push_err)?;
    }
    let refs = Refs::of(&target).map_err(push_err)?;
    for update in updates {
        let found = refs.current(&update.remote_ref).map_err(push_err)?;
        if !update.expect.allows(found) {
            return Err(update.conflict(found));
        }
    }
    let _journal = Journal::begin(repo, remote, updates).map_err(|e| {
        GitError::local("write the push journal", git2::Error::from_str(&e.to_string()), &scrub)
    })?;
    for update in updates {
        let (name, expect) = (update.remote_ref.as_str(), Some(update.expect.target()));
        let applied = match update.new {
            Some(new) => refs.set(name, new, expect),
            None => refs.delete(name, expect),
        };
        applied.map_err(|e| match e.code() {
            ErrorCode::Modified | ErrorCode::Exists | ErrorCode::NotFound | ErrorCode::Locked => {
                update.conflict(refs.current(name).ok().flatten())
            }
            _ => push_err(e),
        })?;
    }
    Ok(())
}

/// Copies into the mirror `repo` every object of the branches and tags of the repository at
/// `remote` that it lacks, and returns those refs as an advertisement would list them (the
/// caller stores them).
pub(super) fn fetch(repo: &Repository, url: &str, remote: &Path) -> Result<Vec<(String, Oid)>> {
    let scrub = Scrubber::default();
    let fetch_err =
        |source: git2::Error| GitError::Fetch { url: redact_userinfo(url), source: scrub.error(&source) };
    let source = Repository::open(remote).map_err(fetch_err)?;
    let advertised = remote_refs(&source).map_err(fetch_err)?;

    let (from_dir, to_dir) = (source.commondir().join("objects"), repo.commondir().join("objects"));
    if !from_dir.join("info/alternates").exists() && is_empty(&to_dir).map_err(io_err)? {
        link_objects(&from_dir, &to_dir).map_err(io_err)?;
    }
    let (from, to) = (Objects::of(&source).map_err(fetch_err)?, Objects::of(repo).map_err(fetch_err)?);
    to.refresh().map_err(fetch_err)?;
    for (_, oid) in &advertised {
        copy_missing(&from, &to, *oid).map_err(fetch_err)?;
    }
    Ok(advertised)
}

fn io_err(error: io::Error) -> GitError {
    GitError::local(
        "copy the remote's objects",
        git2::Error::from_str(&error.to_string()),
        &Scrubber::default(),
    )
}

/// The remote's branches and tags, named as on the remote, as an advertisement would list them.
fn remote_refs(source: &Repository) -> Result<Vec<(String, Oid)>, git2::Error> {
    let mut refs = Vec::new();
    for reference in source.references()? {
        let reference = reference?;
        let Ok(name) = reference.name() else { continue };
        if !(name.starts_with(HEADS) || name.starts_with(TAGS)) {
            continue;
        }
        // Mirrored as named, as the libgit2 fetch path keeps them.
        let Some(local) = local_name(name) else { continue };
        if remote_name(&local).as_deref() != Some(name) {
            continue;
        }
        let oid = match reference.target() {
            Some(oid) => oid,
            None => match reference.resolve() {
                Ok(resolved) => match resolved.target() {
                    Some(oid) => oid,
                    None => continue,
                },
                // A dangling symbolic ref is not advertised.
                Err(e) if e.code() == git2::ErrorCode::NotFound => continue,
                Err(e) => return Err(e),
            },
        };
        refs.push((name.to_string(), oid));
    }
    Ok(refs)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::git::credentials::Auth;
    use crate::git::libgit2::init_for_tests;
    use crate::git::transport::{self, Expect};

    fn commit(repo: &Repository, name: &str, data: &[u8], parents: &[Oid]) -> Oid {
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let blob = repo.blob(data).unwrap();
        let mut tb = repo.treebuilder(None).unwrap();
        tb.insert(name, blob, 0o100644).unwrap();
        let tree = repo.find_tree(tb.write().unwrap()).unwrap();
        let parents: Vec<_> = parents.iter().map(|p| repo.find_commit(*p).unwrap()).collect();
        let parents: Vec<_> = parents.iter().collect();
        repo.commit(None, &sig, &sig, name, &tree, &parents).unwrap()
    }

    fn git(dir: &Path, args: &[&str]) {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .unwrap();
        assert!(status.success());
    }

    #[test]
    fn cold_links_packs_then_incremental_copies_and_prunes() {
        init_for_tests();
        let dir = tempfile::tempdir().unwrap();
        let remote = Repository::init_bare(dir.path().join("remote")).unwrap();
        let a = commit(&remote, "a", b"a", &[]);
        let b = commit(&remote, "b", b"b", &[a]);
        remote.reference("refs/heads/main", b, true, "").unwrap();
        remote.reference("refs/tags/p/v1", a, true, "").unwrap();
        remote.reference("refs/heads/gone", a, true, "").unwrap();
        remote.reference_symbolic("refs/heads/alias", "refs/heads/main", true, "").unwrap();
        git(remote.path(), &["repack", "-adq"]);
        // A loose object too.
        let c = commit(&remote, "c", b"c", &[b]);
        remote.reference("refs/tags/p/v2", c, true, "").unwrap();

        let mirror = Repository::init_bare(dir.path().join("mirror")).unwrap();
        let url = format!("file://{}", remote.path().display());
        let (refs, _) = transport::fetch(&mirror, &url, &Auth::new(None, &url)).unwrap();
        let names: Vec<_> = refs.iter().map(|(n, o)| (n.to_string(), o)).collect();
        assert_eq!(
            names,
            [
                ("refs/heads/alias".to_string(), b),
                ("refs/heads/gone".to_string(), a),
                ("refs/heads/main".to_string(), b),
                ("refs/tags/p/v1".to_string(), a),
                ("refs/tags/p/v2".to_string(), c),
            ]
        );
        assert!(fs::read_dir(mirror.path().join("objects/pack")).unwrap().count() >= 2);
        for oid in [a, b, c] {
            mirror.find_commit(oid).unwrap().tree().unwrap();
        }
        assert_eq!(mirror.refname_to_id("refs/remotes/origin/main").unwrap(), b);

        // Incremental: new objects are copied, a deleted branch disappears.
        remote.find_reference("refs/heads/gone").unwrap().delete().unwrap();
        let d = commit(&remote, "d", b"d", &[c]);
        remote.reference("refs/heads/main", d, true, "").unwrap();
        let (refs, _) = transport::fetch(&mirror, &url, &Auth::new(None, &url)).unwrap();
        assert!(refs.iter().all(|(n, _)| n != "refs/heads/gone"));
        let mirror = Repository::open_bare(dir.path().join("mirror")).unwrap();
        mirror.find_commit(d).unwrap().tree().unwrap();
        assert_eq!(mirror.refname_to_id("refs/remotes/origin/main").unwrap(), d);
        assert!(mirror.find_reference("refs/remotes/origin/gone").is_err());
        let mut walk = mirror.revwalk().unwrap();
        walk.push(d).unwrap();
        assert_eq!(walk.count(), 4);
    }

    /// A tree of `files` (`dir/name` paths, one level of directories) in `repo`.
    fn tree_of(repo: &Repository, files: &[(&str, &[u8])]) -> Oid {
        let mut dirs: std::collections::BTreeMap<&str, Vec<(&str, Oid)>> = Default::default();
        let mut root = repo.treebuilder(None).unwrap();
        for (path, data) in files {
            let blob = repo.blob(data).unwrap();
            match path.split_once('/') {
                Some((dir, name)) => dirs.entry(dir).or_default().push((name, blob)),
                None => {
                    root.insert(path, blob, 0o100644).unwrap();
                }
            }
        }
        for (dir, entries) in dirs {
            let mut sub = repo.treebuilder(None).unwrap();
            for (name, blob) in entries {
                sub.insert(name, blob, 0o100644).unwrap();
            }
            root.insert(dir, sub.write().unwrap(), 0o040000).unwrap();
        }
        root.write().unwrap()
    }

    #[test]
    fn a_commit_on_one_the_remote_has_brings_every_changed_entry_at_every_level() {
        init_for_tests();
        let dir = tempfile::tempdir().unwrap();
        let local = Repository::init_bare(dir.path().join("local")).unwrap();
        let remote = Repository::init_bare(dir.path().join("remote")).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let url = format!("file://{}", remote.path().display());
        let path = transport::remote_path(&url).unwrap();
        let before = tree_of(&local, &[("a/x", b"1"), ("b/y", b"2"), ("c", b"3"), ("e", b"4")]);
        let base = local.commit(None, &sig, &sig, "base", &local.find_tree(before).unwrap(), &[]).unwrap();
        push(&local, &url, &path, &[RefUpdate::set("refs/heads/main", base, Expect::Absent)]).unwrap();

        // `a` unchanged, `b` changed inside, `c` gone, `d` new, `e` a file turned directory.
        let after =
            tree_of(&local, &[("a/x", b"1"), ("b/y", b"5"), ("b/z", b"6"), ("d/w", b"7"), ("e/v", b"8")]);
        let parent = local.find_commit(base).unwrap();
        let next =
            local.commit(None, &sig, &sig, "next", &local.find_tree(after).unwrap(), &[&parent]).unwrap();
        push(&local, &url, &path, &[RefUpdate::set("refs/heads/main", next, Expect::Is(base))]).unwrap();

        let remote = Repository::open_bare(dir.path().join("remote")).unwrap();
        let odb = remote.odb().unwrap();
        let tree = remote.find_commit(next).unwrap().tree().unwrap();
        let mut walked = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            assert!(odb.exists(entry.id()), "{dir}{} copied", entry.name().unwrap_or_default());
            walked.push(format!("{dir}{}", entry.name().unwrap_or_default()));
            git2::TreeWalkResult::Ok
        })
        .unwrap();
        assert_eq!(walked, ["a", "a/x", "b", "b/y", "b/z", "d", "d/w", "e", "e/v"]);
    }

    #[test]
    fn copies_only_what_the_remote_lacks_and_checks_old_values() {
        init_for_tests();
        let dir = tempfile::tempdir().unwrap();
        let local = Repository::init_bare(dir.path().join("local")).unwrap();
        let remote = Repository::init_bare(dir.path().join("remote")).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let blob = local.blob(b"x").unwrap();
        let mut sub = local.treebuilder(None).unwrap();
        sub.insert("f", blob, 0o100644).unwrap();
        let sub = sub.write().unwrap();
        let mut root = local.treebuilder(None).unwrap();
        root.insert("d", sub, 0o040000).unwrap();
        let tree = local.find_tree(root.write().unwrap()).unwrap();
        let base = local.commit(None, &sig, &sig, "base", &tree, &[]).unwrap();
        let base_commit = local.find_commit(base).unwrap();
        let next = local.commit(None, &sig, &sig, "next", &tree, &[&base_commit]).unwrap();
        let tag = local.tag("t", base_commit.as_object(), &sig, "annotated", false).unwrap();

        let url = format!("file://{}", remote.path().display());
        let path = transport::remote_path(&url).unwrap();
        let updates = [
            RefUpdate::set("refs/heads/main", next, Expect::Absent),
            RefUpdate::set("refs/tags/t", tag, Expect::Absent),
        ];
        push(&local, &url, &path, &updates).unwrap();
        for oid in [blob, sub, tree.id(), base, next, tag] {
            assert!(remote.odb().unwrap().exists(oid), "{oid} copied");
        }
        assert_eq!(remote.refname_to_id("refs/heads/main").unwrap(), next);

        // A stale expectation changes nothing.
        let stale = [
            RefUpdate::set("refs/heads/other", base, Expect::Absent),
            RefUpdate::set("refs/heads/main", base, Expect::Is(base)),
        ];
        let err = push(&local, &url, &path, &stale).unwrap_err();
        assert!(matches!(err, GitError::Conflict { .. }), "{err}");
        assert!(remote.find_reference("refs/heads/other").is_err());
        // Moves and deletes with the right expectations.
        let moves = [
            RefUpdate::set("refs/heads/main", base, Expect::Is(next)),
            RefUpdate::delete("refs/tags/t", Expect::Is(tag)),
        ];
        push(&local, &url, &path, &moves).unwrap();
        assert_eq!(remote.refname_to_id("refs/heads/main").unwrap(), base);
        assert!(remote.find_reference("refs/tags/t").is_err());
    }

    #[test]
    fn push_links_loose_objects_and_writes_packed_ones() {
        use std::os::unix::fs::MetadataExt;

        init_for_tests();
        let dir = tempfile::tempdir().unwrap();
        let local = Repository::init_bare(dir.path().join("local")).unwrap();
        let remote = Repository::init_bare(dir.path().join("remote")).unwrap();
        let packed = commit(&local, "packed", b"packed", &[]);
        local.reference("refs/heads/main", packed, true, "").unwrap();
        git(local.path(), &["repack", "-adq"]);
        let loose = commit(&local, "loose", b"loose", &[packed]);
        let loose_blob = local.find_commit(loose).unwrap().tree().unwrap().get_name("loose").unwrap().id();
        let path_of = |repo: &Repository, oid: Oid| {
            let hex = oid.to_string();
            repo.path().join("objects").join(&hex[..2]).join(&hex[2..])
        };
        assert!(!path_of(&local, packed).exists(), "the first commit is packed");

        let url = format!("file://{}", remote.path().display());
        let path = transport::remote_path(&url).unwrap();
        push(&local, &url, &path, &[RefUpdate::set("refs/heads/main", loose, Expect::Absent)]).unwrap();
        for oid in [loose, loose_blob] {
            let (ours, theirs) = (path_of(&local, oid), path_of(&remote, oid));
            assert_eq!(
                fs::metadata(&ours).unwrap().ino(),
                fs::metadata(&theirs).unwrap().ino(),
                "{oid} linked"
            );
        }
        // The packed commit was written loose into the remote, and reads back whole.
        assert!(path_of(&remote, packed).exists());
        let tree = remote.find_commit(loose).unwrap().parent(0).unwrap().tree().unwrap();
        let blob = remote.find_blob(tree.get_name("packed").unwrap().id()).unwrap();
        assert_eq!(blob.content(), b"packed");
        assert_eq!(remote.find_blob(loose_blob).unwrap().content(), b"loose");
    }
}
