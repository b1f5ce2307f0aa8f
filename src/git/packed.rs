//! The mirror's ref store kept in one `packed-refs` file, as `git clone --mirror` and
//! `git pack-refs --all` leave it.
//!
//! libgit2 writes every ref it creates as a loose file (`refs/tags/<path>/v<N>` plus a lock file
//! and its directories). With thousands of tags that makes a fetch create thousands of files, and
//! every later listing of the refs (the writer's ref set, libgit2's push, which walks every local
//! tag) open and read each of them. libgit2 can pack refs (`git_refdb_compress`) but the `git2`
//! crate does not expose it, so the fetch stores the fetched refs here itself, in git's format:
//!
//! - a header `# pack-refs with: sorted ` — no peel trait, so readers (git, libgit2) peel an
//!   annotated tag on demand instead of trusting a `^` line we would have to compute;
//! - one `<oid> <refname>` line per ref, in byte order (what `sorted` promises);
//! - written to `packed-refs.lock` and renamed over `packed-refs` (atomic for readers), then the
//!   loose files of the replaced namespaces are removed (a loose ref would shadow its packed
//!   value).
//!
//! Only the repository's single writer calls this, so there is no competing writer; a reader
//! between the rename and the removal of a loose file sees that ref's previous value, as it would
//! have before the fetch.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use git2::{Oid, Repository};

use super::refs::{TAGS, TRACKING};

/// The namespaces a fetch owns: every ref in them comes from the remote.
const NAMESPACES: [&str; 2] = [TRACKING, TAGS];

fn owned(name: &str) -> bool {
    NAMESPACES.iter().any(|ns| name.starts_with(ns))
}

/// Replaces every mirror ref under `refs/remotes/origin/` and `refs/tags/` with `refs` (local
/// names → objects), keeping the mirror's other refs, and leaves them all packed.
pub(crate) fn replace_fetched(repo: &Repository, refs: &BTreeMap<String, Oid>) -> Result<(), git2::Error> {
    let mut all: BTreeMap<String, Oid> = BTreeMap::new();
    for reference in repo.references()? {
        let reference = reference?;
        let (Ok(name), Some(target)) = (reference.name(), reference.target()) else { continue };
        if !owned(name) {
            all.insert(name.to_string(), target);
        }
    }
    all.extend(refs.iter().map(|(name, oid)| (name.clone(), *oid)));
    let dir = repo.path();
    write_packed(dir, &all).map_err(|e| io_error("write packed-refs", &e))?;
    for ns in NAMESPACES {
        let root = dir.join(ns.trim_end_matches('/'));
        remove_loose(&root, true).map_err(|e| io_error("remove loose refs", &e))?;
    }
    Ok(())
}

fn io_error(action: &str, error: &io::Error) -> git2::Error {
    git2::Error::from_str(&format!("failed to {action}: {error}"))
}

/// Writes `packed-refs` through `packed-refs.lock`. A lock file left behind is stale: only the
/// repository's writer (this process, serialised) takes it.
fn write_packed(dir: &Path, refs: &BTreeMap<String, Oid>) -> io::Result<()> {
    let lock = dir.join("packed-refs.lock");
    let file = match fs::OpenOptions::new().write(true).create_new(true).open(&lock) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            tracing::warn!(path = %lock.display(), "removing a stale packed-refs lock");
            fs::remove_file(&lock)?;
            fs::OpenOptions::new().write(true).create_new(true).open(&lock)?
        }
        Err(e) => return Err(e),
    };
    let written = (|| {
        let mut out = io::BufWriter::with_capacity(64 * 1024, file);
        out.write_all(b"# pack-refs with: sorted \n")?;
        for (name, oid) in refs {
            writeln!(out, "{oid} {name}")?;
        }
        // No fsync, as libgit2's own ref writes: the mirror is a cache of the remote.
        out.into_inner().map_err(|e| e.into_error())?;
        fs::rename(&lock, dir.join("packed-refs"))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&lock);
    }
    written
}

/// Removes every loose ref file below `dir` and the directories left empty (`dir` itself only
/// when `keep` is false).
fn remove_loose(dir: &Path, keep: bool) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_loose(&entry.path(), false)?;
        } else {
            fs::remove_file(entry.path())?;
        }
    }
    if !keep {
        match fs::remove_dir(dir) {
            Ok(()) => {}
            // Not empty: something was created meanwhile; it stays.
            Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetched_refs_replace_the_namespaces_and_are_packed() {
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

        let repo = Repository::open_bare(dir.path()).unwrap();
        let mut names: Vec<(String, Oid)> = repo
            .references()
            .unwrap()
            .map(|r| r.unwrap())
            .map(|r| (r.name().unwrap().to_string(), r.target().unwrap()))
            .collect();
        names.sort();
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
        // libgit2 writes over packed refs as usual.
        repo.reference("refs/tags/pkg/v3", a, false, "").unwrap();
        repo.find_reference("refs/tags/pkg/v1").unwrap().delete().unwrap();
        assert!(repo.find_reference("refs/tags/pkg/v1").is_err());
        assert_eq!(repo.refname_to_id("refs/tags/pkg/v2").unwrap(), b);
    }
}
