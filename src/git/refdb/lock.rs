//! git's lock-file protocol for replacing a file of a repository: create `<file>.lock`
//! exclusively (`O_EXCL`: whoever created it holds the lock), write the new content there, and
//! rename it over `<file>` (atomic for readers). A lock given up before the rename is removed.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use git2::{ErrorClass, ErrorCode};

/// `<target>.lock`, held until committed or dropped (then removed).
pub(crate) struct LockFile {
    /// The lock file; empty once renamed over the target (no longer ours then: another writer
    /// may take it right away).
    path: PathBuf,
    target: PathBuf,
    file: Option<File>,
}

impl LockFile {
    /// Takes the lock of `target`; held by someone else, it fails with
    /// [`io::ErrorKind::AlreadyExists`].
    pub(crate) fn take(target: &Path) -> io::Result<Self> {
        let path = lock_path(target);
        let file = create(&path)?;
        Ok(Self { path, target: target.to_path_buf(), file: Some(file) })
    }

    /// [`take`](Self::take) for the only writer of `target` (this process, serialised): a lock
    /// left behind is stale (from a write that died) and is removed first.
    pub(crate) fn take_over(target: &Path) -> io::Result<Self> {
        match Self::take(target) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let path = lock_path(target);
                tracing::warn!(path = %path.display(), "removing a stale lock file");
                fs::remove_file(&path)?;
                let file = create(&path)?;
                Ok(Self { path, target: target.to_path_buf(), file: Some(file) })
            }
            other => other,
        }
    }

    /// Writes the new content with `write` (unbuffered: a caller writing many pieces buffers
    /// them) and renames the lock over the target. No fsync, as libgit2's own ref writes.
    pub(crate) fn commit(mut self, write: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
        let mut file = self.file.take().expect("an uncommitted lock has its file");
        write(&mut file)?;
        drop(file);
        fs::rename(&self.path, &self.target)?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn lock_path(target: &Path) -> PathBuf {
    let mut path = OsString::from(target);
    path.push(".lock");
    path.into()
}

fn create(path: &Path) -> io::Result<File> {
    fs::OpenOptions::new().write(true).create_new(true).open(path)
}

/// An I/O error on `path` as libgit2 reports one: a lock held by someone else (the lock file
/// exists) is [`ErrorCode::Locked`].
pub(crate) fn io_error(action: &str, path: &Path, e: &io::Error) -> git2::Error {
    let code =
        if e.kind() == io::ErrorKind::AlreadyExists { ErrorCode::Locked } else { ErrorCode::GenericError };
    git2::Error::new(code, ErrorClass::Os, format!("failed to {action} '{}': {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn commits_by_rename_and_removes_abandoned_locks() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("packed-refs");
        let lock = dir.path().join("packed-refs.lock");
        LockFile::take(&target).unwrap().commit(|out| out.write_all(b"one\n")).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"one\n");
        assert!(!lock.exists());

        // Held: refused, unless stale (the only writer's own).
        let held = LockFile::take(&target).unwrap();
        assert_eq!(LockFile::take(&target).err().map(|e| e.kind()), Some(io::ErrorKind::AlreadyExists));
        std::mem::forget(held);
        LockFile::take_over(&target).unwrap().commit(|out| out.write_all(b"two\n")).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"two\n");

        // Abandoned, or failed while writing: the lock goes, the target stays.
        drop(LockFile::take(&target).unwrap());
        let failed = LockFile::take(&target).unwrap().commit(|_| Err(io::Error::other("full")));
        assert!(failed.is_err());
        assert!(!lock.exists());
        assert_eq!(fs::read(&target).unwrap(), b"two\n");
    }
}
