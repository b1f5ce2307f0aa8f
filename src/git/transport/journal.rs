//! The journal of a push to a remote on the local file system, so that a crash in the middle of
//! it cannot leave the remote half-updated.
//!
//! A push to a network remote is all-or-nothing as far as our process is concerned: once the
//! remote has the request, its `receive-pack` updates every ref whether or not we are still
//! there. A local push (`local.rs`) moves the remote's refs itself, one after another,
//! so a crash between two of them (`kill -9`, an OOM kill, a power cut) would leave, say, an
//! approval's tag without the proposed branch deleted — one revision shown twice — or a deleted
//! tag's `deletionProposed/…` branch behind, marking the next revision with that number. So:
//!
//! 1. after the objects are copied and every expected value checked, the updates are written to
//!    `porch-push-journal` in the mirror (a temporary file renamed into place);
//! 2. the refs are moved;
//! 3. the journal is removed, whether the updates all went through or one failed.
//!
//! A journal found when the mirror is opened again belongs to a push that was cut off: [`recover`]
//! finishes it — each ref still at its expected value is moved, one already moved is left, one
//! that someone else changed meanwhile is left too (a warning) — and removes the journal. The
//! write was never acknowledged, so finishing it is as valid an outcome as not having made it.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

use super::update::{Expect, RefUpdate};
use crate::git::refdb::Refs;

/// File name of the journal, in the mirror's directory.
const FILE: &str = "porch-push-journal";
/// First line of a journal.
const HEADER: &str = "porch local push 1";

/// A journal on disk for the duration of one local push; removed when dropped.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
}

impl Journal {
    /// Records that `updates` are about to be applied to the repository at `remote`.
    pub(crate) fn begin(repo: &Repository, remote: &Path, updates: &[RefUpdate]) -> io::Result<Self> {
        let path = repo.path().join(FILE);
        let text = render(remote, updates)?;
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, &path)?;
        Ok(Self { path })
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), %error, "could not remove the local push journal");
        }
    }
}

fn render(remote: &Path, updates: &[RefUpdate]) -> io::Result<String> {
    let remote = remote.to_str().filter(|p| !p.contains('\n')).ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the remote's path cannot be written to the journal")
    })?;
    let show = |oid: Option<Oid>| oid.map_or_else(|| "-".to_string(), |o| o.to_string());
    let mut text = format!("{HEADER}\n{remote}\n");
    for update in updates {
        // Ref names hold no whitespace (git refuses them).
        let _ = writeln!(text, "{} {} {}", update.remote_ref, show(update.expect.target()), show(update.new));
    }
    Ok(text)
}

fn parse(text: &str) -> Option<(PathBuf, Vec<RefUpdate>)> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let remote = PathBuf::from(lines.next()?);
    let oid = |s: &str| if s == "-" { Some(None) } else { Oid::from_str(s).ok().map(Some) };
    let mut updates = Vec::new();
    for line in lines {
        let mut fields = line.split(' ');
        let (name, expect, new) = (fields.next()?, oid(fields.next()?)?, oid(fields.next()?)?);
        updates.push(RefUpdate { remote_ref: name.to_string(), new, expect: Expect::value(expect) });
    }
    Some((remote, updates))
}

/// Finishes the push a journal in the mirror `repo` records, if there is one (see the module
/// docs), and removes the journal. Problems are logged: the mirror opens regardless.
pub(crate) fn recover(repo: &Repository) {
    let path = repo.path().join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return,
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "could not read the local push journal");
            return;
        }
    };
    match parse(&text) {
        Some((remote, updates)) => finish(&remote, &updates),
        None => tracing::warn!(path = %path.display(), "ignoring a local push journal that does not parse"),
    }
    if let Err(error) = std::fs::remove_file(&path) {
        tracing::warn!(path = %path.display(), %error, "could not remove the local push journal");
    }
}

/// Applies each of `updates` whose ref still has its expected value.
fn finish(remote: &Path, updates: &[RefUpdate]) {
    let target = match Repository::open(remote) {
        Ok(target) => target,
        Err(error) => {
            tracing::warn!(remote = %remote.display(), %error, "cannot finish an interrupted local push");
            return;
        }
    };
    let refs = match Refs::of(&target) {
        Ok(refs) => refs,
        Err(error) => {
            tracing::warn!(remote = %remote.display(), %error, "cannot finish an interrupted local push");
            return;
        }
    };
    let mut moved = 0;
    for update in updates {
        let name = update.remote_ref.as_str();
        let current = match refs.current(name) {
            Ok(current) => current,
            Err(error) => {
                tracing::warn!(git.ref = name, %error, "cannot read a ref of an interrupted local push");
                continue;
            }
        };
        if current == update.new {
            continue;
        }
        if !update.expect.allows(current) {
            tracing::warn!(git.ref = name, "a ref of an interrupted local push changed since; left as it is");
            continue;
        }
        let expect = Some(update.expect.target());
        let applied = match update.new {
            Some(new) => refs.set(name, new, expect),
            None => refs.delete(name, expect),
        };
        match applied {
            Ok(()) => moved += 1,
            Err(error) => {
                tracing::warn!(git.ref = name, %error, "could not finish a ref of an interrupted local push")
            }
        }
    }
    tracing::info!(remote = %remote.display(), moved, "finished a local push interrupted by a crash");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::libgit2::init_for_tests;

    #[test]
    fn journals_round_trip() {
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let updates = vec![
            RefUpdate::set("refs/heads/main", b, Expect::Is(a)),
            RefUpdate::set("refs/tags/p/v1", b, Expect::Absent),
            RefUpdate::delete("refs/heads/proposed/p/ws", Expect::Is(a)),
        ];
        let text = render(Path::new("/srv/r.git"), &updates).unwrap();
        assert_eq!(parse(&text), Some((PathBuf::from("/srv/r.git"), updates)));
        assert_eq!(parse("something else\n/x\n"), None);
        assert!(render(Path::new("/srv/a\nb"), &[]).is_err());
    }

    #[test]
    fn an_interrupted_push_is_finished_when_the_mirror_opens() {
        init_for_tests();
        let dir = tempfile::tempdir().unwrap();
        let mirror = Repository::init_bare(dir.path().join("mirror")).unwrap();
        let remote = Repository::init_bare(dir.path().join("remote")).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let tree = remote.find_tree(remote.treebuilder(None).unwrap().write().unwrap()).unwrap();
        let a = remote.commit(Some("refs/heads/proposed/p/ws"), &sig, &sig, "a", &tree, &[]).unwrap();
        let b = remote.commit(Some("refs/heads/other"), &sig, &sig, "b", &tree, &[]).unwrap();
        // An approval cut off after its first ref: the tag is there, the proposed branch too.
        let updates = [
            RefUpdate::set("refs/tags/p/v1", a, Expect::Absent),
            RefUpdate::delete("refs/heads/proposed/p/ws", Expect::Is(a)),
            RefUpdate::set("refs/heads/other", a, Expect::Is(a)), // changed by someone else since
        ];
        remote.reference("refs/tags/p/v1", a, false, "test").unwrap();
        std::mem::forget(Journal::begin(&mirror, remote.path(), &updates).unwrap());
        assert!(mirror.path().join(FILE).exists());

        recover(&mirror);
        assert!(remote.find_reference("refs/heads/proposed/p/ws").is_err(), "finished");
        assert_eq!(remote.refname_to_id("refs/tags/p/v1").unwrap(), a);
        assert_eq!(remote.refname_to_id("refs/heads/other").unwrap(), b, "not overwritten");
        assert!(!mirror.path().join(FILE).exists(), "the journal is gone");
        recover(&mirror); // nothing to do
    }

    #[test]
    fn a_finished_push_leaves_no_journal() {
        init_for_tests();
        let dir = tempfile::tempdir().unwrap();
        let mirror = Repository::init_bare(dir.path().join("mirror")).unwrap();
        drop(Journal::begin(&mirror, Path::new("/srv/r.git"), &[]).unwrap());
        assert!(!mirror.path().join(FILE).exists());
    }
}
