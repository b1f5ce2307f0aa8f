//! Fetches from a remote on the local file system (`file://` URLs, absolute paths) without going
//! through libgit2's local transport.
//!
//! libgit2's local fetch builds a pack of everything the mirror lacks (a revision walk, a delta
//! search, compression) and then indexes that pack again on the receiving side: for a cold
//! mirror it costs about twice `git clone --mirror`, which copies or links the remote's object
//! files instead. The transport does nothing a direct copy cannot, so here, as the local push
//! does in the other direction ([`super::local_push`]):
//!
//! 1. the remote's branches and tags are read from its ref store (symbolic refs resolved, as an
//!    advertisement lists them);
//! 2. when the mirror has no objects yet (a cold fetch) and the remote has no alternates, every
//!    pack (`.pack` then its `.idx`) and loose object of the remote is hard-linked into the mirror
//!    (copied, through a temporary file and a rename, when linking fails, e.g. across devices).
//!    Pack and loose object files are immutable and named by their content, so sharing them is
//!    safe;
//! 3. every object reachable from a ref tip that the mirror still lacks is copied object by
//!    object (after step 2 only a pack written meanwhile on the remote can leave any);
//! 4. the refs are stored as the libgit2 fetch path stores them ([`packed::replace_fetched`]),
//!    which prunes the refs the remote no longer has.

use std::fs;
use std::io;
use std::path::Path;

use git2::{Oid, Repository};

use super::error::{GitError, Scrubber, redact_userinfo};
use super::local_push::copy_missing;
use super::packed;
use super::refs::{HEADS, RefSet, TAGS, local_name, remote_name};

/// Fetches every branch and tag of the repository at `remote` into the mirror `repo`, pruning
/// refs the remote no longer has, and returns the remote's refs as now mirrored.
pub(crate) fn fetch(repo: &Repository, url: &str, remote: &Path) -> Result<RefSet, GitError> {
    let scrub = Scrubber::default();
    let fetch_err =
        |source: git2::Error| GitError::Fetch { url: redact_userinfo(url), source: scrub.error(&source) };
    let source = Repository::open(remote).map_err(fetch_err)?;
    let advertised = remote_refs(&source).map_err(fetch_err)?;

    let (from_dir, to_dir) = (source.commondir().join("objects"), repo.commondir().join("objects"));
    if !from_dir.join("info/alternates").exists() && is_empty(&to_dir).map_err(io_err)? {
        link_objects(&from_dir, &to_dir).map_err(io_err)?;
    }
    let (from, to) = (source.odb().map_err(fetch_err)?, repo.odb().map_err(fetch_err)?);
    to.refresh().map_err(fetch_err)?;
    for (_, oid) in &advertised {
        copy_missing(&from, &to, *oid).map_err(fetch_err)?;
    }

    let refs = RefSet::from_refs(advertised);
    let local = refs.iter().filter_map(|(name, oid)| Some((local_name(name)?, oid))).collect();
    packed::replace_fetched(repo, &local)
        .map_err(|e| GitError::local("store the fetched refs", e, &scrub))?;
    Ok(refs)
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

/// Whether an object directory holds no pack and no loose object.
fn is_empty(objects: &Path) -> io::Result<bool> {
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
fn link_objects(from: &Path, to: &Path) -> io::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let refs = fetch(&mirror, &url, remote.path()).unwrap();
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
        let refs = fetch(&mirror, &url, remote.path()).unwrap();
        assert!(refs.iter().all(|(n, _)| n != "refs/heads/gone"));
        let mirror = Repository::open_bare(dir.path().join("mirror")).unwrap();
        mirror.find_commit(d).unwrap().tree().unwrap();
        assert_eq!(mirror.refname_to_id("refs/remotes/origin/main").unwrap(), d);
        assert!(mirror.find_reference("refs/remotes/origin/gone").is_err());
        let mut walk = mirror.revwalk().unwrap();
        walk.push(d).unwrap();
        assert_eq!(walk.count(), 4);
    }
}
