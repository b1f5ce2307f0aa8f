//! Is the local mirror intact? A check cheap enough for every sync, and a deeper one for when a
//! read already failed in a way that points at the object database.
//!
//! The mirror is a cache of the remote: when it is damaged (a pack file truncated, an object a
//! ref needs deleted — a full disk, a crash of the machine, someone's hands), the remedy is to
//! throw it away and fetch everything again ([`GitRepository`](super::GitRepository) does).
//! Only a positive finding counts as damage: a check that cannot read a file (too many open files,
//! a permission problem) fails instead, so a passing I/O problem never costs a full re-clone.
//!
//! - [`check`] with `deep == false`: every pack's trailing checksum matches the one its index was
//!   built for (a truncated or overwritten pack does not; libgit2 then ignores the whole pack and
//!   its objects read as missing), and the object of every ref exists.
//! - `deep == true` also reads every commit reachable from the refs (discovery reads their
//!   messages, and a fetch negotiates with them), and for every ref the tree of its commit and
//!   every tree below it, looking up every blob those trees name: everything discovery and
//!   package reads touch, each distinct tree once.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use git2::{ErrorClass, ErrorCode, ObjectType, Odb, Oid, Repository};

use super::error::{GitError, Scrubber};
use crate::git::Result;

/// Length of a SHA-1 checksum: the trailer of a pack, and each half of an index's trailer.
const CHECKSUM: usize = 20;

/// What is wrong with the mirror, or `None` when the check found it intact.
pub(crate) fn check(repo: &Repository, deep: bool) -> Result<Option<String>> {
    let scrub = Scrubber::default();
    let io = |what: &str, e: io::Error| {
        GitError::local(format!("check the mirror ({what})"), git2::Error::from_str(&e.to_string()), &scrub)
    };
    if let Some(damage) = check_packs(&repo.commondir().join("objects/pack")).map_err(|e| io("packs", e))? {
        return Ok(Some(damage));
    }
    let failed = |e| GitError::local("check the mirror's objects", e, &scrub);
    let odb = repo.odb().map_err(failed)?;
    let mut refs = Vec::new();
    for reference in repo.references().map_err(failed)? {
        let reference = reference.map_err(failed)?;
        let (Ok(name), Some(oid)) = (reference.name(), reference.target()) else { continue };
        refs.push((name.to_string(), oid));
    }
    for (name, oid) in &refs {
        if let Some(damage) = missing(&odb, *oid).map_err(failed)? {
            return Ok(Some(format!("object {oid} of {name} {damage}")));
        }
    }
    if deep {
        if let Some(damage) = check_history(repo, &refs).map_err(failed)? {
            return Ok(Some(damage));
        }
        let mut seen = HashSet::new();
        for (name, oid) in &refs {
            if let Some(damage) = check_history_tip(repo, &odb, *oid, &mut seen).map_err(failed)? {
                return Ok(Some(format!("{damage} (reached from {name})")));
            }
        }
    }
    Ok(None)
}

/// Whether an error of a read from the mirror may mean the mirror is damaged (worth a
/// [`check`]): libgit2's object database or zlib failed.
pub(crate) fn suspicious(error: &git2::Error) -> bool {
    matches!(error.class(), ErrorClass::Odb | ErrorClass::Zlib)
}

/// `Some(why)` when the object `oid` is missing or unreadable; an error for other failures.
fn missing(odb: &Odb<'_>, oid: Oid) -> Result<Option<&'static str>, git2::Error> {
    match odb.read_header(oid) {
        Ok(_) => Ok(None),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(Some("is missing")),
        Err(e) if suspicious(&e) => Ok(Some("cannot be read")),
        Err(e) => Err(e),
    }
}

/// Every commit reachable from `refs` can be read.
fn check_history(repo: &Repository, refs: &[(String, Oid)]) -> Result<Option<String>, git2::Error> {
    let mut walk = repo.revwalk()?;
    for (_, oid) in refs {
        // Refs on trees or blobs start no history.
        if let Ok(commit) = repo.find_object(*oid, None).and_then(|o| o.peel_to_commit()) {
            walk.push(commit.id())?;
        }
    }
    for step in walk {
        match step {
            Ok(_) => {}
            Err(e) if e.code() == ErrorCode::NotFound || suspicious(&e) => {
                return Ok(Some(format!("a commit of the history cannot be read: {}", e.message())));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// The commit `tip` peels to, and every tree and blob below it (trees in `seen` are skipped).
fn check_history_tip(
    repo: &Repository,
    odb: &Odb<'_>,
    tip: Oid,
    seen: &mut HashSet<Oid>,
) -> Result<Option<String>, git2::Error> {
    let damaged = |what: String, e: &git2::Error| -> Option<String> {
        (e.code() == ErrorCode::NotFound || suspicious(e)).then(|| format!("{what}: {}", e.message()))
    };
    let object = match repo.find_object(tip, None) {
        Ok(object) => object,
        Err(e) => return damaged(format!("object {tip}"), &e).ok_or(e).map(Some),
    };
    // A tag or branch on something that is not a commit is a layout question, not damage.
    let Ok(commit) = object.peel_to_commit() else { return Ok(None) };
    let mut pending = vec![commit.tree_id()];
    while let Some(id) = pending.pop() {
        if !seen.insert(id) {
            continue;
        }
        let tree = match repo.find_tree(id) {
            Ok(tree) => tree,
            Err(e) => return damaged(format!("tree {id}"), &e).ok_or(e).map(Some),
        };
        for entry in tree.iter() {
            match entry.kind() {
                Some(ObjectType::Tree) => pending.push(entry.id()),
                Some(ObjectType::Blob) => {
                    if let Some(why) = missing(odb, entry.id())? {
                        return Ok(Some(format!("blob {} {why}", entry.id())));
                    }
                }
                // Submodule commits live in other repositories.
                _ => {}
            }
        }
    }
    Ok(None)
}

/// The first pack in `dir` whose content does not end with the checksum its index records.
fn check_packs(dir: &Path) -> io::Result<Option<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let idx = entry?.path();
        if idx.extension().is_none_or(|e| e != "idx") {
            continue;
        }
        let pack = idx.with_extension("pack");
        let name = pack.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // The index trailer: the pack's checksum, then the index's own.
        let Some(expected) = tail(&idx, 2 * CHECKSUM)? else {
            return Ok(Some(format!("the index of {name} is truncated")));
        };
        match tail(&pack, CHECKSUM) {
            Ok(Some(found)) if found == expected[..CHECKSUM] => {}
            Ok(_) => return Ok(Some(format!("{name} is truncated or does not match its index"))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Some(format!("{name} is missing (its index is there)")));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// The last `n` bytes of `path`, or `None` if it is shorter than `n` bytes (plus a header).
fn tail(path: &Path, n: usize) -> io::Result<Option<Vec<u8>>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    if len < (n + 12) as u64 {
        return Ok(None);
    }
    file.seek(SeekFrom::End(-(n as i64)))?;
    let mut buf = vec![0; n];
    file.read_exact(&mut buf)?;
    Ok(Some(buf))
}
