//! The ref store of a repository: git's files backend (loose ref files plus `packed-refs`) read
//! and written directly, in git's own formats and locking protocol, where libgit2 would cost
//! O(refs) per operation.
//!
//! libgit2's ref writes cost O(refs) each: before creating or moving any ref it loads
//! `packed-refs` into a sorted cache (parsing every line when the handle is fresh, as a push's
//! handle on the remote always is) and then compares the new name against every packed ref, to
//! refuse a `a` / `a/b` clash. With 10 000 packed tags that is most of an approval. And it writes
//! every fetched ref as a loose file, so thousands of tags cost thousands of file creations on a
//! fetch and as many reads on every later listing. Here:
//!
//! - [`Refs`] (this file) is what callers use: one ref read, set or deleted with an expected
//!   current value (compare-and-swap), through the files store where no reflog is involved and
//!   through libgit2 (which logs the update as `push`) otherwise;
//! - `loose.rs`: the files store itself ([`loose::Files`]), the loose ref files and the
//!   compare-and-swap write protocol;
//! - `packed.rs`: the `packed-refs` format in one place: header and record lines, a reader that
//!   finds one ref in a few positioned reads, the writers of the whole file and of one ref less;
//! - `fetched.rs`: the mirror's refs as a fetch leaves them ([`replace_fetched`]: tags packed,
//!   remote-tracking branches loose);
//! - `lock.rs`: git's lock-file protocol, which every write goes through.

mod fetched;
mod lock;
mod loose;
mod packed;
#[cfg(test)]
mod tests;

use git2::{ErrorCode, Oid, Repository};

pub(crate) use fetched::replace_fetched;
use loose::{Files, error};

/// The refs of one repository, read and written through its [`Files`] store where no reflog is
/// involved, else through libgit2 (which logs the update as `push`).
pub(crate) struct Refs<'r> {
    repo: &'r Repository,
    files: Option<Files>,
}

impl<'r> Refs<'r> {
    /// The refs of `repo`.
    pub(crate) fn of(repo: &'r Repository) -> Result<Self, git2::Error> {
        Ok(Self { repo, files: Files::of(repo)? })
    }

    /// The object `name` points to (`None` when absent or symbolic).
    pub(crate) fn current(&self, name: &str) -> Result<Option<Oid>, git2::Error> {
        if let Some(files) = &self.files {
            return Ok(files.current(name)?.target());
        }
        match self.repo.find_reference(name) {
            Ok(reference) => Ok(reference.target()),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The files store, for a write of `name` that appends to no reflog.
    fn files_for(&self, name: &str) -> Option<&Files> {
        self.files.as_ref().filter(|files| !files.has_log(name))
    }

    /// Sets `name` to `new` if it currently is `expect`, as [`Files::set`] (libgit2 checks the
    /// old value under the ref's lock too).
    pub(crate) fn set(&self, name: &str, new: Oid, expect: Option<Option<Oid>>) -> Result<(), git2::Error> {
        if let Some(files) = self.files_for(name) {
            return files.set(name, new, expect);
        }
        match expect {
            None => self.repo.reference(name, new, true, "push"),
            Some(None) => self.repo.reference(name, new, false, "push"),
            Some(Some(old)) => self.repo.reference_matching(name, new, true, old, "push"),
        }
        .map(drop)
    }

    /// Deletes `name` if it currently is `expect`, as [`Files::delete`].
    pub(crate) fn delete(&self, name: &str, expect: Option<Option<Oid>>) -> Result<(), git2::Error> {
        if let Some(files) = self.files_for(name) {
            return files.delete(name, expect);
        }
        let mut reference = match self.repo.find_reference(name) {
            Ok(reference) => reference,
            // Already gone, as wanted.
            Err(e) if e.code() == ErrorCode::NotFound && expect.is_none_or(|old| old.is_none()) => {
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if expect.is_some_and(|old| old != reference.target()) {
            return Err(error(ErrorCode::Modified, "ref moved"));
        }
        // Deletes only if the ref still has the value read above.
        reference.delete()
    }
}
