//! Pushes to a remote on the local file system (`file://` URLs, absolute paths) without going
//! through libgit2's local transport.
//!
//! libgit2's local push lists every ref of the remote twice (one lookup per ref, each a failed
//! loose-file open plus a `packed-refs` check) and walks every local tag while writing the pack,
//! so a push to a remote with 10 000 tags costs hundreds of milliseconds however small it is.
//! The transport does nothing a direct write cannot: it copies the missing objects into the
//! remote's object database and updates the refs there; it runs no hooks. Here:
//!
//! 1. every object reachable from the new ref values that the remote lacks is copied (a tree or
//!    commit the remote has is not descended into: a repository holds everything reachable from
//!    its objects);
//! 2. every update's expected current value is checked before any ref moves (a mismatch is a
//!    [`GitError::Conflict`] and changes nothing);
//! 3. each ref is then compare-and-swapped under the remote's ref lock, in order; one that moved
//!    meanwhile is a conflict too (earlier updates stay, as with a real push, and the retry sees
//!    them). In a bare remote that logs no ref updates this goes through the files ref store
//!    directly ([`Refs`]: a loose-file write, `packed-refs` only searched), since libgit2's ref
//!    writes load and scan every packed ref each time; otherwise through libgit2. The updates
//!    are journaled in the mirror while they are applied, so that a crash between two of them is
//!    finished when the mirror is opened again (`journal.rs`).

use std::path::{Path, PathBuf};

use git2::{ErrorCode, ObjectType, Oid, Repository};

use super::error::{GitError, Scrubber, redact_userinfo};
use super::journal::Journal;
use super::push::RefUpdate;
use super::refstore::Refs;

/// The directory of a local remote: `file:///abs/path` (without percent-escapes) or `/abs/path`.
pub(crate) fn remote_path(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("file://").unwrap_or(url);
    (path.starts_with('/') && !path.contains('%')).then(|| PathBuf::from(path))
}

/// Pushes `updates` from `repo` to the repository at `remote`.
pub(crate) fn push(
    repo: &Repository,
    url: &str,
    remote: &Path,
    updates: &[RefUpdate],
) -> Result<(), GitError> {
    let scrub = Scrubber::default();
    let push_err =
        |source: git2::Error| GitError::Push { url: redact_userinfo(url), source: scrub.error(&source) };
    let target = Repository::open(remote).map_err(push_err)?;
    let (from, to) = (repo.odb().map_err(push_err)?, target.odb().map_err(push_err)?);
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

/// Copies every object reachable from `start` that `to` does not have.
pub(super) fn copy_missing(from: &git2::Odb<'_>, to: &git2::Odb<'_>, start: Oid) -> Result<(), git2::Error> {
    let mut pending = vec![start];
    while let Some(oid) = pending.pop() {
        if to.exists(oid) {
            continue;
        }
        let object = from.read(oid)?;
        let data = object.data();
        match object.kind() {
            ObjectType::Commit => pending.extend(commit_links(data)),
            ObjectType::Tree => pending.extend(tree_links(data)),
            ObjectType::Tag => pending.extend(header_oid(data, b"object ")),
            _ => {}
        }
        to.write(object.kind(), data)?;
    }
    Ok(())
}

/// The tree and parents named in a raw commit.
fn commit_links(data: &[u8]) -> Vec<Oid> {
    let header = data.split(|b| *b == b'\n').take_while(|line| !line.is_empty());
    header
        .filter_map(|line| {
            let hex = line.strip_prefix(b"tree ").or_else(|| line.strip_prefix(b"parent "))?;
            Oid::from_str(std::str::from_utf8(hex).ok()?).ok()
        })
        .collect()
}

/// The first `<key><hex>` header line of a raw tag.
fn header_oid(data: &[u8], key: &[u8]) -> Option<Oid> {
    let line = data.split(|b| *b == b'\n').find_map(|line| line.strip_prefix(key))?;
    Oid::from_str(std::str::from_utf8(line).ok()?).ok()
}

/// The entries of a raw tree (`<mode> <name>\0<20-byte id>`), submodule commits excluded.
fn tree_links(mut data: &[u8]) -> Vec<Oid> {
    let mut out = Vec::new();
    while let Some(nul) = data.iter().position(|b| *b == 0) {
        let (entry, rest) = data.split_at(nul);
        let Some(id) = rest.get(1..21) else { break };
        if !entry.starts_with(b"160000 ")
            && let Ok(oid) = Oid::from_bytes(id)
        {
            out.push(oid);
        }
        data = &rest[21..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::push::Expect;

    #[test]
    fn local_urls() {
        assert_eq!(remote_path("file:///srv/r.git"), Some(PathBuf::from("/srv/r.git")));
        assert_eq!(remote_path("/srv/r.git"), Some(PathBuf::from("/srv/r.git")));
        assert_eq!(remote_path("file:///srv/a%20b"), None);
        assert_eq!(remote_path("git://host/r"), None);
        assert_eq!(remote_path("http://host/r"), None);
        assert_eq!(remote_path("relative/r"), None);
    }

    #[test]
    fn copies_only_what_the_remote_lacks_and_checks_old_values() {
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
        let path = remote_path(&url).unwrap();
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
}
