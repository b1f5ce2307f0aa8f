//! Moving objects between two repositories on the same file system, for the local transport
//! (`local.rs`): object by object, or, for an empty mirror, by sharing the remote's object files.
//!
//! - [`copy_missing`] copies every object reachable from a tip that the target lacks, reading
//!   the links of raw commits, trees and tags itself; a tree or commit the target has is not
//!   descended into (a repository holds everything reachable from its objects); loose objects
//!   are linked, as below, rather than inflated and written again;
//! - [`link_objects`] hard-links every pack (`.pack` then its `.idx`) and loose object of one
//!   object directory into another (copied, through a temporary file and a rename, when linking
//!   fails, e.g. across devices). Pack and loose object files are immutable and named by their
//!   content, so sharing them is safe.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use git2::{ObjectType, OdbLookupFlags, Oid};

/// A repository's object database and the directory of its own object files.
pub(super) struct Objects<'r> {
    odb: git2::Odb<'r>,
    dir: PathBuf,
}

impl<'r> Objects<'r> {
    /// The objects of `repo`.
    pub(super) fn of(repo: &'r git2::Repository) -> Result<Self, git2::Error> {
        Ok(Self { odb: repo.odb()?, dir: repo.commondir().join("objects") })
    }

    /// Rescans the object directory for packs written since it was first read.
    pub(super) fn refresh(&self) -> Result<(), git2::Error> {
        self.odb.refresh()
    }

    /// Where `oid` lives when it is a loose object of this repository.
    fn loose_path(&self, oid: Oid) -> PathBuf {
        let hex = oid.to_string();
        self.dir.join(&hex[..2]).join(&hex[2..])
    }
}

/// Copies every object reachable from `start` that `to` does not have. A loose object of
/// `from` is linked into `to` (its file, the zlib stream of the object, is the same in any
/// repository); a packed one (or one that cannot be linked) is read and written. Blobs are
/// never inflated when linked; commits, trees and tags are read for their links.
///
/// A new commit's tree is compared with the tree of a parent `to` has, level by level: an entry
/// the same there is in `to` already and is not looked up (a draft adds one package to a tree
/// of hundreds; each lookup of a loose object is a file system call).
///
/// Lookups in `to` do not rescan its packs on a miss: it was opened (or refreshed) just before,
/// and an object packed there meanwhile is merely written once more.
pub(super) fn copy_missing(from: &Objects<'_>, to: &Objects<'_>, start: Oid) -> Result<(), git2::Error> {
    let has = |oid: Oid| to.odb.exists_ext(oid, OdbLookupFlags::NO_REFRESH);
    // Each object to copy, with the tree at its place in a commit `to` has (when it is a tree).
    let mut pending: Vec<(Oid, Option<Oid>)> = vec![(start, None)];
    while let Some((oid, before)) = pending.pop() {
        if has(oid) {
            continue;
        }
        let (_, kind) = from.odb.read_header(oid)?;
        let object = match kind {
            ObjectType::Blob => None,
            _ => Some(from.odb.read(oid)?),
        };
        if let Some(object) = &object {
            let data = object.data();
            match kind {
                ObjectType::Commit => {
                    let (tree, parents) = commit_links(data);
                    let (known, missing): (Vec<Oid>, Vec<Oid>) = parents.into_iter().partition(|p| has(*p));
                    let before = match known.first() {
                        Some(parent) => commit_links(from.odb.read(*parent)?.data()).0,
                        None => None,
                    };
                    pending.extend(tree.map(|tree| (tree, before)));
                    pending.extend(missing.into_iter().map(|parent| (parent, None)));
                }
                ObjectType::Tree => pending.extend(new_entries(from, data, before)?),
                ObjectType::Tag => pending.extend(header_oid(data, b"object ").map(|target| (target, None))),
                _ => {}
            }
        }
        let (source, target) = (from.loose_path(oid), to.loose_path(oid));
        let linked = target.parent().is_some_and(|fanout| fs::create_dir_all(fanout).is_ok())
            && link_or_copy(&source, &target).unwrap_or(false);
        if !linked {
            let object = match object {
                Some(object) => object,
                None => from.odb.read(oid)?,
            };
            to.odb.write(kind, object.data())?;
        }
    }
    Ok(())
}

/// The tree and parents named in a raw commit.
fn commit_links(data: &[u8]) -> (Option<Oid>, Vec<Oid>) {
    let header = data.split(|b| *b == b'\n').take_while(|line| !line.is_empty());
    let (mut tree, mut parents) = (None, Vec::new());
    for line in header {
        let hex_oid = |hex: &[u8]| Oid::from_str(std::str::from_utf8(hex).ok()?).ok();
        if let Some(hex) = line.strip_prefix(b"tree ") {
            tree = hex_oid(hex);
        } else if let Some(parent) = line.strip_prefix(b"parent ").and_then(hex_oid) {
            parents.push(parent);
        }
    }
    (tree, parents)
}

/// The entries of the raw tree `data` that differ from those of the same name in the tree
/// `before` (which the target has), each with its counterpart there when both are trees.
fn new_entries(
    from: &Objects<'_>,
    data: &[u8],
    before: Option<Oid>,
) -> Result<Vec<(Oid, Option<Oid>)>, git2::Error> {
    let old = match before {
        Some(tree) => Some(from.odb.read(tree)?),
        None => None,
    };
    let old: HashMap<&[u8], Entry<'_>> =
        old.as_ref().map(|o| tree_entries(o.data()).map(|e| (e.name, e)).collect()).unwrap_or_default();
    Ok(tree_entries(data)
        .filter_map(|entry| match old.get(entry.name) {
            Some(was) if was.oid == entry.oid => None,
            Some(was) if was.is_tree && entry.is_tree => Some((entry.oid, Some(was.oid))),
            _ => Some((entry.oid, None)),
        })
        .collect())
}

/// The first `<key><hex>` header line of a raw tag.
fn header_oid(data: &[u8], key: &[u8]) -> Option<Oid> {
    let line = data.split(|b| *b == b'\n').find_map(|line| line.strip_prefix(key))?;
    Oid::from_str(std::str::from_utf8(line).ok()?).ok()
}

/// One entry of a raw tree.
struct Entry<'a> {
    name: &'a [u8],
    is_tree: bool,
    oid: Oid,
}

/// The entries of a raw tree (`<mode> <name>\0<20-byte id>`), submodule commits excluded.
fn tree_entries(mut data: &[u8]) -> impl Iterator<Item = Entry<'_>> {
    std::iter::from_fn(move || {
        loop {
            let nul = data.iter().position(|b| *b == 0)?;
            let (head, rest) = data.split_at(nul);
            let id = rest.get(1..21)?;
            data = &rest[21..];
            let space = head.iter().position(|b| *b == b' ')?;
            let (mode, name) = (&head[..space], &head[space + 1..]);
            if mode == b"160000" {
                continue;
            }
            let Ok(oid) = Oid::from_bytes(id) else { continue };
            return Some(Entry { name, is_tree: mode == b"40000", oid });
        }
    })
}

/// Whether an object directory holds no pack and no loose object.
pub(super) fn is_empty(objects: &Path) -> io::Result<bool> {
    let entries = match fs::read_dir(objects) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "pack" {
            for file in fs::read_dir(entry.path())? {
                if file?.file_name().to_string_lossy().ends_with(".pack") {
                    return Ok(false);
                }
            }
        } else if is_fanout(&name) && fs::read_dir(entry.path())?.next().is_some() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A loose-object directory name: two hex digits.
fn is_fanout(name: &str) -> bool {
    name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Links (or copies) every complete pack and every loose object of `from` into `to`. A file that
/// disappears meanwhile (a repack on the remote) is skipped: the object copy catches up.
pub(super) fn link_objects(from: &Path, to: &Path) -> io::Result<()> {
    let (from_pack, to_pack) = (from.join("pack"), to.join("pack"));
    match fs::read_dir(&from_pack) {
        Ok(entries) => {
            fs::create_dir_all(&to_pack)?;
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name();
                let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".idx")) else { continue };
                if !stem.starts_with("pack-") {
                    continue;
                }
                // The pack before its index: readers find packs by their index.
                let pack = format!("{stem}.pack");
                if link_or_copy(&from_pack.join(&pack), &to_pack.join(&pack))? {
                    link_or_copy(&entry.path(), &to_pack.join(name))?;
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if !name.to_str().is_some_and(is_fanout) || !entry.file_type()?.is_dir() {
            continue;
        }
        let target = to.join(&name);
        let mut created = false;
        let objects = match fs::read_dir(entry.path()) {
            Ok(objects) => objects,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for object in objects {
            let object = object?;
            let file = object.file_name();
            // Skip temporary files of a writer on the remote.
            if file.len() != 38 || !file.to_str().is_some_and(|f| f.bytes().all(|b| b.is_ascii_hexdigit())) {
                continue;
            }
            if !created {
                fs::create_dir_all(&target)?;
                created = true;
            }
            link_or_copy(&object.path(), &target.join(file))?;
        }
    }
    Ok(())
}

/// Hard-links `from` at `to`, or copies it there (through a temporary file, renamed into place)
/// when linking fails. `false` when `from` no longer exists.
fn link_or_copy(from: &Path, to: &Path) -> io::Result<bool> {
    match fs::hard_link(from, to) {
        Ok(()) => return Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(true),
        // Gone from the remote; otherwise the copy below reports what is wrong.
        Err(e) if e.kind() == io::ErrorKind::NotFound && !from.exists() => return Ok(false),
        Err(_) => {}
    }
    let tmp = to.with_file_name(format!(
        "tmp_fetch_{}_{}",
        std::process::id(),
        to.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    ));
    match fs::copy(from, &tmp) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    }
    fs::rename(&tmp, to).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })?;
    Ok(true)
}
