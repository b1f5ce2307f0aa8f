//! The mirror's ref store as a fetch leaves it: the tags (and any other refs) in one
//! `packed-refs` file, as `git clone --mirror` and `git pack-refs --all` leave them, and the
//! remote-tracking branches as loose files.
//!
//! libgit2 writes every ref it creates as a loose file (`refs/tags/<path>/v<N>` plus a lock file
//! and its directories). With thousands of tags that makes a fetch create thousands of files, and
//! every later listing of the refs (the writer's ref set, libgit2's push, which walks every local
//! tag) open and read each of them. libgit2 can pack refs (`git_refdb_compress`) but the `git2`
//! crate does not expose it, so the fetch stores the fetched refs here itself, in git's format:
//!
//! - every ref but the loose branches goes into one `packed-refs` (`packed.rs`: sorted, without
//!   peel lines), written to `packed-refs.lock` and renamed over `packed-refs` (atomic for
//!   readers);
//! - then the loose files of the tags are removed (a loose ref would shadow its packed value).
//!
//! A branch that has a loose file stays loose (rewritten only when it changed; removed when the
//! remote no longer has it); the other branches are packed with the tags. The writes leave the
//! refs they push loose, so the branches this server creates and then deletes (drafts,
//! proposals, deletion markers) stay loose across fetches: a packed ref can only be deleted by
//! rewriting the whole file, and an approval (which deletes its proposed branch) after a fetch
//! would otherwise rewrite every tag's line. A cold fetch still packs everything.
//!
//! Only the repository's single writer calls this, so there is no competing writer; a reader
//! between the rename and the removal of a loose file sees that ref's previous value, as it would
//! have before the fetch.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::Path;

use git2::{Oid, Repository};

use super::lock::io_error;
use super::{loose, packed};
use crate::git::refs::{TAGS, TRACKING};

/// The namespaces a fetch owns: every ref in them comes from the remote.
const NAMESPACES: [&str; 2] = [TRACKING, TAGS];

fn owned(name: &str) -> bool {
    NAMESPACES.iter().any(|ns| name.starts_with(ns))
}

/// Replaces every mirror ref under `refs/remotes/origin/` and `refs/tags/` with `refs` (local
/// names → objects), keeping the mirror's other refs: remote-tracking branches that have a loose
/// file stay loose, everything else is packed.
pub(crate) fn replace_fetched(repo: &Repository, refs: &BTreeMap<String, Oid>) -> Result<(), git2::Error> {
    let mut packed: BTreeMap<String, Oid> = BTreeMap::new();
    for reference in repo.references()? {
        let reference = reference?;
        let (Ok(name), Some(target)) = (reference.name(), reference.target()) else { continue };
        if !owned(name) {
            packed.insert(name.to_string(), target);
        }
    }
    let dir = repo.path();
    let branches: BTreeMap<&str, Oid> = refs
        .iter()
        .filter(|(name, _)| name.starts_with(TRACKING))
        .map(|(name, oid)| (name.as_str(), *oid))
        .collect();
    // Loose branches the remote still has stay loose; the others go.
    let loose = prune_loose(dir, TRACKING, &branches)?;
    let to_pack = refs.iter().filter(|(name, _)| !loose.contains(name.as_str()));
    packed.extend(to_pack.map(|(name, oid)| (name.clone(), *oid)));
    packed::write(dir, &packed)?;
    prune_loose(dir, TAGS, &BTreeMap::new())?;
    for name in &loose {
        loose::replace(dir, name, branches[name.as_str()])?;
    }
    Ok(())
}

/// Removes the loose refs of namespace `ns` (`refs/…/`) that are not refs of `keep`, and the
/// directories left empty below it; returns the names of the loose refs kept.
fn prune_loose(dir: &Path, ns: &str, keep: &BTreeMap<&str, Oid>) -> Result<BTreeSet<String>, git2::Error> {
    let ns = ns.trim_end_matches('/');
    let mut kept = BTreeSet::new();
    let path = dir.join(ns);
    prune_below(&path, ns, keep, true, &mut kept)
        .map_err(|e| io_error("remove the loose refs below", &path, &e))?;
    Ok(kept)
}

/// Removes the files below `dir` (the loose refs named `<prefix>/…`) that are not refs of
/// `keep`, and the directories left empty (`dir` itself only when `root` is false); the names of
/// the files kept go to `kept`.
fn prune_below(
    dir: &Path,
    prefix: &str,
    keep: &BTreeMap<&str, Oid>,
    root: bool,
    kept: &mut BTreeSet<String>,
) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let name = format!("{prefix}/{}", file_name.to_string_lossy());
        if entry.file_type()?.is_dir() {
            prune_below(&entry.path(), &name, keep, false, kept)?;
        } else if keep.contains_key(name.as_str()) {
            kept.insert(name);
        } else {
            fs::remove_file(entry.path())?;
        }
    }
    if !root {
        remove_dir_if_empty(dir)?;
    }
    Ok(())
}

/// Removes `dir` unless something is in it (created meanwhile, say): that stays.
fn remove_dir_if_empty(dir: &Path) -> io::Result<()> {
    match fs::remove_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => Ok(()),
        other => other,
    }
}
