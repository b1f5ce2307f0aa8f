//! Loose refs (`<git dir>/<name>`, one file each) and the compare-and-swap write of one ref
//! over loose files plus `packed-refs`, in git's own format and locking protocol, at a cost
//! independent of the number of refs:
//!
//! - a ref's value is its loose file or, when there is none, its line in `packed-refs`
//!   (`packed.rs`: a binary search over the file when it is sorted, a scan when not);
//! - a write takes `<name>.lock` (`O_EXCL`; held by someone else it fails with
//!   [`ErrorCode::Locked`]), checks the current value under the lock (compare-and-swap,
//!   [`ErrorCode::Modified`] / [`ErrorCode::Exists`] / [`ErrorCode::NotFound`] as libgit2
//!   reports them), checks that the name clashes with no packed ref (the parent paths and the
//!   names under `<name>/`, each a binary search; loose clashes show up as the file system
//!   refusing the directories), writes `<oid>\n` and renames the lock over the ref;
//! - a delete removes the ref's `packed-refs` line (rewriting the file under
//!   `packed-refs.lock`, only when the ref is packed), then the loose file, then the directories
//!   left empty below `refs/<namespace>/`.
//!
//! No reflog is written: [`Files::of`] declines repositories whose ref updates git would log
//! (non-bare, or `core.logAllRefUpdates` set), and [`Files::has_log`] tells of a ref that has a
//! log already.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use git2::{ErrorClass, ErrorCode, Oid, Repository};

use super::lock::{LockFile, io_error};
use super::packed::{self, Packed};

/// What a ref name currently is in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Current {
    /// No such ref.
    Absent,
    /// A ref pointing at an object.
    Direct(Oid),
    /// A symbolic ref (`ref: …`).
    Symbolic,
}

impl Current {
    /// The object a direct ref points to (`None` when absent or symbolic, as
    /// `git2::Reference::target`).
    pub(super) fn target(self) -> Option<Oid> {
        match self {
            Self::Direct(oid) => Some(oid),
            Self::Absent | Self::Symbolic => None,
        }
    }
}

/// The files ref store of one repository.
#[derive(Debug, Clone)]
pub(super) struct Files {
    dir: PathBuf,
}

/// A reference error as libgit2 reports one.
pub(super) fn error(code: ErrorCode, message: impl AsRef<str>) -> git2::Error {
    git2::Error::new(code, ErrorClass::Reference, message)
}

fn collision(name: &str, other: &str) -> git2::Error {
    error(
        ErrorCode::GenericError,
        format!("path to reference '{name}' collides with existing one ('{other}')"),
    )
}

impl Files {
    /// The store of `repo` when its ref updates are not logged (a bare repository without
    /// `core.logAllRefUpdates`, the default for bare repositories); `None` otherwise.
    pub(super) fn of(repo: &Repository) -> Result<Option<Self>, git2::Error> {
        if !repo.is_bare() {
            return Ok(None);
        }
        let config = repo.config()?;
        let logged = match config.get_bool("core.logAllRefUpdates") {
            Ok(value) => value,
            Err(e) if e.code() == ErrorCode::NotFound => false,
            Err(_) => true, // `always`, or unreadable: let libgit2 decide
        };
        Ok((!logged).then(|| Self { dir: repo.commondir().to_path_buf() }))
    }

    /// The store in git directory `dir` (tests).
    #[cfg(test)]
    pub(super) fn at(dir: &Path) -> Self {
        Self { dir: dir.to_path_buf() }
    }

    /// Whether `name` has a reflog (an update would have to append to it).
    pub(super) fn has_log(&self, name: &str) -> bool {
        self.dir.join("logs").join(name).exists()
    }

    fn check_name(name: &str) -> Result<(), git2::Error> {
        if name.starts_with("refs/") && git2::Reference::is_valid_name(name) {
            Ok(())
        } else {
            Err(git2::Error::new(
                ErrorCode::InvalidSpec,
                ErrorClass::Reference,
                format!("the given reference name '{name}' is not valid"),
            ))
        }
    }

    /// What `name` currently is: its loose file, else its `packed-refs` line.
    pub(super) fn current(&self, name: &str) -> Result<Current, git2::Error> {
        Self::check_name(name)?;
        let packed = self.packed()?;
        Ok(self.read(name, &packed)?.0)
    }

    fn packed_path(&self) -> PathBuf {
        self.dir.join(packed::FILE)
    }

    fn packed(&self) -> Result<Packed, git2::Error> {
        Packed::open(&self.dir).map_err(|e| io_error("read", &self.packed_path(), &e))
    }

    /// The current value of `name`, and whether a loose file and a `packed-refs` line hold it.
    fn read(&self, name: &str, packed: &Packed) -> Result<(Current, bool, bool), git2::Error> {
        let path = self.dir.join(name);
        let loose = match fs::read(&path) {
            Ok(data) => Some(parse_loose(name, &data)?),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::IsADirectory
                ) =>
            {
                None
            }
            Err(e) => return Err(io_error("read reference", &path, &e)),
        };
        let record = packed.find(name).map_err(|e| io_error("read", &self.packed_path(), &e))?;
        let current = loose.or(record.as_ref().map(|r| Current::Direct(r.oid))).unwrap_or(Current::Absent);
        Ok((current, loose.is_some(), record.is_some()))
    }

    /// Sets `name` to `new` if it currently is `expect` (`Some(None)`: absent; `None`: any
    /// value, as a forced update).
    pub(super) fn set(&self, name: &str, new: Oid, expect: Option<Option<Oid>>) -> Result<(), git2::Error> {
        Self::check_name(name)?;
        let lock = lock(&self.dir, name, true)?;
        let packed = self.packed()?;
        let (current, _, _) = self.read(name, &packed)?;
        match (current, expect) {
            (Current::Absent, Some(Some(_))) => {
                return Err(error(ErrorCode::NotFound, format!("reference '{name}' not found")));
            }
            (Current::Direct(_) | Current::Symbolic, Some(None)) => {
                return Err(error(
                    ErrorCode::Exists,
                    format!("failed to write reference '{name}': a reference with that name already exists."),
                ));
            }
            (found, Some(Some(old))) if found.target() != Some(old) => {
                return Err(error(
                    ErrorCode::Modified,
                    format!("old reference value does not match for '{name}'"),
                ));
            }
            _ => {}
        }
        if let Some(other) = packed.collision(name).map_err(|e| io_error("read", &self.packed_path(), &e))? {
            return Err(collision(name, &other));
        }
        let path = self.dir.join(name);
        let content = content(new);
        lock.commit(|file| file.write_all(content.as_bytes()))
            .map_err(|e| io_error("write reference", &path, &e))
    }

    /// Deletes `name` if it currently is `expect` (`Some(None)`: only if absent or symbolic,
    /// and absent is fine; `Some(Some(oid))`: only at `oid`; `None`: whatever it is, absent is
    /// fine).
    pub(super) fn delete(&self, name: &str, expect: Option<Option<Oid>>) -> Result<(), git2::Error> {
        Self::check_name(name)?;
        let lock = lock(&self.dir, name, false)?;
        let deleted = self.delete_locked(name, expect);
        drop(lock);
        // Also the directories the lock itself needed, when there was nothing to delete.
        prune_empty_parents(&self.dir, name);
        deleted
    }

    fn delete_locked(&self, name: &str, expect: Option<Option<Oid>>) -> Result<(), git2::Error> {
        let packed = self.packed()?;
        let (current, loose, is_packed) = self.read(name, &packed)?;
        match (current, expect) {
            (Current::Absent, None | Some(None)) => return Ok(()),
            (Current::Absent, Some(Some(_))) => {
                return Err(error(ErrorCode::NotFound, format!("reference '{name}' not found")));
            }
            (found, Some(wanted)) if found.target() != wanted => {
                return Err(error(ErrorCode::Modified, format!("reference '{name}' moved")));
            }
            _ => {}
        }
        if is_packed {
            Packed::remove(&self.dir, name)?;
        }
        if loose {
            let path = self.dir.join(name);
            fs::remove_file(&path).map_err(|e| io_error("remove reference", &path, &e))?;
        }
        Ok(())
    }
}

/// The content of a loose ref file pointing at `oid`: `<hex>\n`.
fn content(oid: Oid) -> String {
    format!("{oid}\n")
}

/// Writes loose ref `name` = `oid` in git directory `dir` (through `<name>.lock`, taken over when
/// left behind, renamed over it) unless it already holds that value. For the repository's only
/// writer (this process, serialised): no value is compared, no clash checked.
pub(super) fn replace(dir: &Path, name: &str, oid: Oid) -> Result<(), git2::Error> {
    let path = dir.join(name);
    let content = content(oid);
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

/// Parses a loose ref file: `<hex>\n` or `ref: <name>\n`.
fn parse_loose(name: &str, data: &[u8]) -> Result<Current, git2::Error> {
    if data.starts_with(b"ref: ") {
        return Ok(Current::Symbolic);
    }
    let hex = data.split(|b| b.is_ascii_whitespace()).next().unwrap_or_default();
    std::str::from_utf8(hex)
        .ok()
        .and_then(|hex| Oid::from_str(hex).ok().filter(|_| hex.len() == 40))
        .map(Current::Direct)
        .ok_or_else(|| error(ErrorCode::GenericError, format!("corrupted loose reference file: {name}")))
}

/// Removes the directories of `name` left empty, up to `refs/<namespace>/` (kept).
fn prune_empty_parents(dir: &Path, name: &str) {
    let mut parent = Path::new(name).parent();
    while let Some(p) = parent {
        if p.components().count() <= 2 {
            break;
        }
        if fs::remove_dir(dir.join(p)).is_err() {
            break; // not empty (or gone): stop
        }
        parent = p.parent();
    }
}

/// Takes the lock of ref `name`; with `clear`, empty directories where the ref goes are removed
/// first (as git and libgit2 do), and refs below it are a clash.
fn lock(dir: &Path, name: &str, clear: bool) -> Result<LockFile, git2::Error> {
    let target = dir.join(name);
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|e| match e.kind() {
            io::ErrorKind::NotADirectory | io::ErrorKind::AlreadyExists => {
                collision(name, "a loose reference on its path")
            }
            _ => io_error("create the directory of", parent, &e),
        })?;
    }
    if clear && target.is_dir() {
        remove_empty_tree(&target).map_err(|_| collision(name, "references below it"))?;
    }
    LockFile::take(&target).map_err(|e| io_error("lock reference", &target, &e))
}

fn remove_empty_tree(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            return Err(io::Error::new(io::ErrorKind::DirectoryNotEmpty, "not empty"));
        }
        remove_empty_tree(&entry.path())?;
    }
    fs::remove_dir(dir)
}
