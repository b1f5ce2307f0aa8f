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
//! - a header `# pack-refs with: sorted ` — no peel trait, so readers (git, libgit2) peel an
//!   annotated tag on demand instead of trusting a `^` line we would have to compute;
//! - one `<oid> <refname>` line per ref, in byte order (what `sorted` promises);
//! - written to `packed-refs.lock` and renamed over `packed-refs` (atomic for readers), then the
//!   loose files of the tags are removed (a loose ref would shadow its packed value).
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
use std::io::{self, Write};
use std::path::Path;

use git2::{Oid, Repository};

use super::lockfile::{LockFile, io_error};
use super::refs::{TAGS, TRACKING};

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
    write_packed(dir, &packed)?;
    prune_loose(dir, TAGS, &BTreeMap::new())?;
    for name in &loose {
        write_loose(dir, name, branches[name.as_str()])?;
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

/// Writes loose ref `name` = `oid` (through `<name>.lock`, renamed over it) unless it already
/// holds that value.
fn write_loose(dir: &Path, name: &str, oid: Oid) -> Result<(), git2::Error> {
    let path = dir.join(name);
    let content = format!("{oid}\n");
    if fs::read(&path).is_ok_and(|c| c == content.as_bytes()) {
        return Ok(());
    }
    let written = (|| {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        LockFile::take_over(&path)?.commit(|out| out.write_all(content.as_bytes()))
    })();
    written.map_err(|e| io_error("write reference", &path, &e))
}

/// Writes `packed-refs` through `packed-refs.lock` (taken over when left behind: only the
/// repository's writer, this process, serialised, takes it).
fn write_packed(dir: &Path, refs: &BTreeMap<String, Oid>) -> Result<(), git2::Error> {
    let path = dir.join("packed-refs");
    let written = LockFile::take_over(&path).and_then(|lock| {
        lock.commit(|file| {
            let mut out = io::BufWriter::with_capacity(64 * 1024, file);
            out.write_all(b"# pack-refs with: sorted \n")?;
            for (name, oid) in refs {
                writeln!(out, "{oid} {name}")?;
            }
            out.flush()
        })
    });
    written.map_err(|e| io_error("write", &path, &e))
}

/// Removes `dir` unless something is in it (created meanwhile, say): that stays.
fn remove_dir_if_empty(dir: &Path) -> io::Result<()> {
    match fs::remove_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            fs::read_to_string(dir.path().join("refs/remotes/origin/main")).unwrap(),
            format!("{b}\n")
        );

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
}
