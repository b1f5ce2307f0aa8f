//! Single-ref writes on a repository's files ref store (loose files plus `packed-refs`), in
//! git's own format and locking protocol, at a cost independent of the number of refs.
//!
//! libgit2's ref writes cost O(refs) each: before creating or moving any ref it loads
//! `packed-refs` into a sorted cache (parsing every line when the handle is fresh, as a push's
//! handle on the remote always is) and then compares the new name against every packed ref, to
//! refuse a `a` / `a/b` clash. With 10 000 packed tags that is most of an approval. Here:
//!
//! - a ref's value is its loose file `<dir>/<name>` or, when there is none, its line in
//!   `packed-refs`, found by a binary search over the file (`sorted` trait; a few positioned
//!   reads) or a scan of it when it is not sorted;
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
//! log already; [`Refs`], what callers use, goes through libgit2 for those.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use git2::{ErrorClass, ErrorCode, Oid, Repository};

use super::lockfile::{LockFile, io_error};

/// What a ref name currently is in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Current {
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
    pub(crate) fn target(self) -> Option<Oid> {
        match self {
            Self::Direct(oid) => Some(oid),
            Self::Absent | Self::Symbolic => None,
        }
    }
}

/// The files ref store of one repository.
#[derive(Debug, Clone)]
pub(crate) struct Files {
    dir: PathBuf,
}

fn error(code: ErrorCode, message: impl AsRef<str>) -> git2::Error {
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
    pub(crate) fn of(repo: &Repository) -> Result<Option<Self>, git2::Error> {
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
    pub(crate) fn at(dir: &Path) -> Self {
        Self { dir: dir.to_path_buf() }
    }

    /// Whether `name` has a reflog (an update would have to append to it).
    pub(crate) fn has_log(&self, name: &str) -> bool {
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
    pub(crate) fn current(&self, name: &str) -> Result<Current, git2::Error> {
        Self::check_name(name)?;
        let packed = self.packed()?;
        Ok(self.read(name, &packed)?.0)
    }

    fn packed_path(&self) -> PathBuf {
        self.dir.join("packed-refs")
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
    pub(crate) fn set(&self, name: &str, new: Oid, expect: Option<Option<Oid>>) -> Result<(), git2::Error> {
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
        let content = format!("{new}\n");
        lock.commit(|file| file.write_all(content.as_bytes()))
            .map_err(|e| io_error("write reference", &path, &e))
    }

    /// Deletes `name` if it currently is `expect` (`Some(None)`: only if absent or symbolic,
    /// and absent is fine; `Some(Some(oid))`: only at `oid`; `None`: whatever it is, absent is
    /// fine).
    pub(crate) fn delete(&self, name: &str, expect: Option<Option<Oid>>) -> Result<(), git2::Error> {
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

/// One ref line of `packed-refs`: byte range (with its peel lines), name and object.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    start: u64,
    end: u64,
    name: String,
    oid: Oid,
}

/// Bytes read per positioned read.
const CHUNK: usize = 4096;
/// Below this window size the binary search turns into a scan (a read or two).
const SCAN: u64 = 4 * CHUNK as u64;

/// Lines of a file from an offset, read in chunks with positioned reads.
struct Lines<'a> {
    file: &'a File,
    len: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    buf_at: u64,
    /// File offset of the next line.
    next: u64,
}

impl<'a> Lines<'a> {
    fn new(file: &'a File, len: u64, at: u64) -> Self {
        Self { file, len, buf: Vec::new(), buf_at: at, next: at }
    }

    /// The next line (without its newline), its start and the offset after it.
    fn next_line(&mut self) -> io::Result<Option<(u64, Vec<u8>, u64)>> {
        if self.next >= self.len {
            return Ok(None);
        }
        let start = self.next;
        loop {
            let from = (start - self.buf_at) as usize;
            if from <= self.buf.len()
                && let Some(nl) = self.buf[from..].iter().position(|b| *b == b'\n')
            {
                let line = self.buf[from..from + nl].to_vec();
                self.next = start + nl as u64 + 1;
                return Ok(Some((start, line, self.next)));
            }
            let buffered_end = self.buf_at + self.buf.len() as u64;
            if buffered_end >= self.len && from <= self.buf.len() {
                // The last line, without a newline.
                let line = self.buf[from..].to_vec();
                self.next = self.len;
                return Ok(Some((start, line, self.len)));
            }
            // Refill from `start`, keeping the partial line and growing for long ones.
            let keep = if from <= self.buf.len() { self.buf.split_off(from) } else { Vec::new() };
            let read_from = start + keep.len() as u64;
            let want = CHUNK.min((self.len - read_from) as usize);
            let mut chunk = vec![0u8; want];
            let n = self.file.read_at(&mut chunk, read_from)?;
            chunk.truncate(n);
            self.buf = keep;
            self.buf.extend_from_slice(&chunk);
            self.buf_at = start;
            if n == 0 {
                self.len = read_from; // the file shrank under us: stop at what was read
            }
        }
    }
}

/// An open `packed-refs` file (absent: empty).
struct Packed {
    file: Option<File>,
    len: u64,
    /// Offset of the first line after the header.
    data_start: u64,
    sorted: bool,
}

impl Packed {
    fn open(dir: &Path) -> io::Result<Self> {
        let file = match File::open(dir.join("packed-refs")) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Self { file: None, len: 0, data_start: 0, sorted: true });
            }
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        let (mut data_start, mut sorted) = (0, false);
        if let Some((_, line, end)) = Lines::new(&file, len, 0).next_line()?
            && let Some(traits) = line.strip_prefix(b"# pack-refs with:")
        {
            sorted = traits.split(|b| *b == b' ').any(|t| t == b"sorted");
            data_start = end;
        }
        Ok(Self { file: Some(file), len, data_start, sorted })
    }

    /// Reads records from the first line starting at or after `pos`.
    fn records_from(&self, pos: u64) -> io::Result<Records<'_>> {
        let Some(file) = &self.file else {
            return Ok(Records { lines: None, pending: None });
        };
        let pos = pos.max(self.data_start);
        let mut lines = Lines::new(file, self.len, pos.saturating_sub(1));
        if pos > 0 {
            // The rest of the line holding byte `pos - 1` (just its newline when a line starts
            // at `pos`).
            lines.next_line()?;
        }
        Ok(Records { lines: Some(lines), pending: None })
    }

    /// The first record whose name is ≥ `target`.
    fn lower_bound(&self, target: &str) -> io::Result<Option<Record>> {
        let mut lo = self.data_start;
        if self.sorted {
            let mut hi = self.len;
            // Records starting before `lo` sort before `target`; those from `hi` on do not.
            while hi - lo > SCAN {
                let mid = lo + (hi - lo) / 2;
                match self.records_from(mid)?.next()? {
                    Some(record) if record.start < hi && record.name.as_str() < target => lo = record.end,
                    _ => hi = mid,
                }
            }
            let mut records = self.records_from(lo)?;
            while let Some(record) = records.next()? {
                if record.name.as_str() >= target {
                    return Ok(Some(record));
                }
            }
            return Ok(None);
        }
        let mut best: Option<Record> = None;
        let mut records = self.records_from(lo)?;
        while let Some(record) = records.next()? {
            if record.name.as_str() >= target && best.as_ref().is_none_or(|b| record.name < b.name) {
                best = Some(record);
            }
        }
        Ok(best)
    }

    /// The record of `name`.
    fn find(&self, name: &str) -> io::Result<Option<Record>> {
        if self.sorted {
            return Ok(self.lower_bound(name)?.filter(|r| r.name == name));
        }
        let mut records = self.records_from(self.data_start)?;
        while let Some(record) = records.next()? {
            if record.name == name {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// A packed ref that `name` cannot coexist with: one of its parent paths, or one below
    /// `<name>/`.
    fn collision(&self, name: &str) -> io::Result<Option<String>> {
        if self.file.is_none() {
            return Ok(None);
        }
        for (i, _) in name.match_indices('/').skip(1) {
            if let Some(record) = self.find(&name[..i])? {
                return Ok(Some(record.name));
            }
        }
        let below = format!("{name}/");
        Ok(self.lower_bound(&below)?.filter(|r| r.name.starts_with(&below)).map(|r| r.name))
    }

    /// Rewrites `packed-refs` without the line of `name`, through `packed-refs.lock`. The file is
    /// read once the lock is held, as git does: another writer (a `git pack-refs` in a local
    /// remote, say) may have rewritten it since the caller looked.
    fn remove(dir: &Path, name: &str) -> Result<(), git2::Error> {
        let path = dir.join("packed-refs");
        let lock = LockFile::take(&path).map_err(|e| io_error("lock", &path, &e))?;
        let read_err = |e: io::Error| io_error("read", &path, &e);
        let packed = Packed::open(dir).map_err(read_err)?;
        let (Some(file), Some(record)) = (&packed.file, packed.find(name).map_err(read_err)?) else {
            return Ok(()); // no longer packed
        };
        let mut data = vec![0u8; packed.len as usize];
        file.read_exact_at(&mut data, 0).map_err(read_err)?;
        lock.commit(|out| {
            out.write_all(&data[..record.start as usize])?;
            out.write_all(&data[record.end as usize..])
        })
        .map_err(|e| io_error("write", &path, &e))
    }
}

/// Ref records of `packed-refs` in file order (peel and comment lines skipped; a record's
/// range covers its peel lines).
struct Records<'a> {
    lines: Option<Lines<'a>>,
    /// A line read past the previous record's peel lines.
    pending: Option<(u64, Vec<u8>, u64)>,
}

impl Records<'_> {
    fn next(&mut self) -> io::Result<Option<Record>> {
        let Some(lines) = self.lines.as_mut() else { return Ok(None) };
        let mut record = loop {
            let line = match self.pending.take() {
                Some(line) => line,
                None => match lines.next_line()? {
                    Some(line) => line,
                    None => return Ok(None),
                },
            };
            if let Some(record) = parse_record(&line.1, line.0, line.2) {
                break record;
            }
        };
        while let Some(line) = lines.next_line()? {
            if !line.1.starts_with(b"^") {
                self.pending = Some(line);
                break;
            }
            record.end = line.2;
        }
        Ok(Some(record))
    }
}

/// `<40 hex> <name>` → a record spanning `start..end`.
fn parse_record(line: &[u8], start: u64, end: u64) -> Option<Record> {
    if line.len() < 42 || line[40] != b' ' {
        return None;
    }
    let oid = Oid::from_str(std::str::from_utf8(&line[..40]).ok()?).ok()?;
    let name = std::str::from_utf8(&line[41..]).ok()?.trim_end_matches('\r').to_string();
    Some(Record { start, end, name, oid })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    fn write_packed(dir: &Path, header: &str, lines: &[String]) {
        let mut text = header.to_string();
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        fs::write(dir.join("packed-refs"), text).unwrap();
    }

    fn many(n: usize) -> Vec<String> {
        let mut names: Vec<String> = (0..n).map(|i| format!("refs/tags/pkg/v{i}")).collect();
        names.push("refs/heads/main".into());
        names.push("refs/tags/a".into());
        names.sort();
        names
    }

    #[test]
    fn finds_every_packed_ref_by_binary_search_and_by_scan() {
        for (header, peel) in [
            ("# pack-refs with: peeled fully-peeled sorted \n", true),
            ("# pack-refs with: sorted \n", false),
            ("", false),
        ] {
            let dir = tempfile::tempdir().unwrap();
            // Large enough for the binary search to take many steps before its final scan.
            let names = many(3000);
            let mut lines = Vec::new();
            for (i, name) in names.iter().enumerate() {
                lines.push(format!("{} {name}", oid((i % 200) as u8 + 1)));
                if peel && i % 3 == 0 {
                    lines.push(format!("^{}", oid(250)));
                }
            }
            write_packed(dir.path(), header, &lines);
            let files = Files::at(dir.path());
            let step = if header.is_empty() { 97 } else { 1 };
            for (i, name) in names.iter().enumerate().step_by(step) {
                assert_eq!(files.current(name).unwrap(), Current::Direct(oid((i % 200) as u8 + 1)), "{name}");
            }
            for missing in
                ["refs/tags/pkg/v", "refs/tags/pkg/v9999", "refs/heads/a", "refs/tags/zzz", "refs/a"]
            {
                assert_eq!(files.current(missing).unwrap(), Current::Absent, "{missing}");
            }
            let packed = Packed::open(dir.path()).unwrap();
            assert_eq!(packed.sorted, !header.is_empty());
            assert_eq!(packed.collision("refs/tags/a/v1").unwrap().as_deref(), Some("refs/tags/a"));
            assert_eq!(packed.collision("refs/tags/pkg").unwrap().as_deref(), Some("refs/tags/pkg/v0"));
            assert_eq!(packed.collision("refs/tags/pk").unwrap(), None);
            assert_eq!(packed.collision("refs/tags/pkg/v10000").unwrap(), None);
        }
    }

    #[test]
    fn writes_compare_and_swap_and_agree_with_libgit2() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let files = Files::of(&repo).unwrap().expect("a bare repository logs no ref updates");
        // Real commits, so that git itself can list the refs below.
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let tree = repo.find_tree(repo.treebuilder(None).unwrap().write().unwrap()).unwrap();
        let a = repo.commit(None, &sig, &sig, "a", &tree, &[]).unwrap();
        let b = repo.commit(None, &sig, &sig, "b", &tree, &[]).unwrap();
        let names = many(50);
        let lines: Vec<String> = names.iter().map(|n| format!("{a} {n}")).collect();
        write_packed(dir.path(), "# pack-refs with: peeled fully-peeled sorted \n", &lines);

        // Create: absent expected.
        files.set("refs/heads/drafts/p/ws", b, Some(None)).unwrap();
        let err = files.set("refs/heads/drafts/p/ws", b, Some(None)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Exists);
        // A packed ref counts as present.
        let err = files.set("refs/tags/pkg/v7", b, Some(None)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Exists);
        // Move: old value checked (packed value, then loose).
        let err = files.set("refs/tags/pkg/v7", b, Some(Some(b))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Modified);
        files.set("refs/tags/pkg/v7", b, Some(Some(a))).unwrap();
        assert_eq!(files.current("refs/tags/pkg/v7").unwrap(), Current::Direct(b));
        let err = files.set("refs/tags/none", b, Some(Some(a))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotFound);
        // Forced.
        files.set("refs/heads/main", b, None).unwrap();
        // Clashes with packed and loose refs.
        assert!(files.set("refs/tags/a/v1", b, None).is_err());
        assert!(files.set("refs/tags/pkg", b, None).is_err());
        assert!(files.set("refs/heads/drafts/p/ws/x", b, None).is_err());
        assert!(files.set("refs/heads/drafts/p", b, None).is_err());
        assert!(files.set("refs/heads/bad..name", b, None).is_err());
        // A held lock.
        fs::write(dir.path().join("refs/heads/main.lock"), "").unwrap();
        assert_eq!(files.set("refs/heads/main", a, None).unwrap_err().code(), ErrorCode::Locked);
        fs::remove_file(dir.path().join("refs/heads/main.lock")).unwrap();

        // libgit2 (a fresh handle) sees the same refs.
        let check = Repository::open_bare(dir.path()).unwrap();
        assert_eq!(check.refname_to_id("refs/heads/drafts/p/ws").unwrap(), b);
        assert_eq!(check.refname_to_id("refs/tags/pkg/v7").unwrap(), b);
        assert_eq!(check.refname_to_id("refs/heads/main").unwrap(), b);
        assert_eq!(check.refname_to_id("refs/tags/pkg/v8").unwrap(), a);

        // Deletes: expected values, packed lines, empty directories.
        let err = files.delete("refs/heads/drafts/p/ws", Some(Some(a))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Modified);
        files.delete("refs/heads/drafts/p/ws", Some(Some(b))).unwrap();
        assert!(!dir.path().join("refs/heads/drafts").exists());
        assert!(dir.path().join("refs/heads").is_dir());
        files.delete("refs/heads/drafts/p/ws", Some(None)).unwrap();
        files.delete("refs/heads/drafts/p/ws", None).unwrap();
        assert!(!dir.path().join("refs/heads/drafts").exists(), "no directories left by the locks");
        let err = files.delete("refs/heads/drafts/p/ws", Some(Some(b))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotFound);
        // Packed and loose: both go.
        files.delete("refs/tags/pkg/v7", Some(Some(b))).unwrap();
        files.delete("refs/tags/pkg/v8", None).unwrap();
        assert_eq!(files.current("refs/tags/pkg/v7").unwrap(), Current::Absent);
        assert_eq!(files.current("refs/tags/pkg/v8").unwrap(), Current::Absent);
        assert!(!dir.path().join("packed-refs.lock").exists());
        let check = Repository::open_bare(dir.path()).unwrap();
        assert!(check.find_reference("refs/tags/pkg/v7").is_err());
        assert!(check.find_reference("refs/tags/pkg/v8").is_err());
        assert_eq!(check.refname_to_id("refs/tags/pkg/v9").unwrap(), a);
        let count = check.references().unwrap().count();
        assert_eq!(count, names.len() - 2, "the packed refs less the two deleted (main is loose and packed)");
        // And git agrees.
        let listed = std::process::Command::new("git")
            .args(["for-each-ref", "--format=%(objectname) %(refname)"])
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(listed.status.success() && listed.stderr.is_empty(), "{listed:?}");
        let mut expected: Vec<String> = check
            .references()
            .unwrap()
            .map(|r| r.unwrap())
            .map(|r| format!("{} {}", r.target().unwrap(), r.name().unwrap()))
            .collect();
        expected.sort_by(|x, y| x.split(' ').nth(1).cmp(&y.split(' ').nth(1)));
        let git_listed: Vec<String> =
            String::from_utf8(listed.stdout).unwrap().lines().map(String::from).collect();
        assert_eq!(git_listed, expected);
        let packed = fs::read_to_string(dir.path().join("packed-refs")).unwrap();
        assert!(packed.starts_with("# pack-refs with: peeled fully-peeled sorted \n"));
        assert_eq!(packed.lines().count(), 1 + names.len() - 2, "the header and the packed refs left");
    }

    #[test]
    fn packed_refs_is_rewritten_as_it_is_once_locked() {
        let dir = tempfile::tempdir().unwrap();
        let header = "# pack-refs with: peeled fully-peeled sorted \n";
        let line = |n: u8, name: &str| format!("{} {name}", oid(n));
        write_packed(dir.path(), header, &[line(2, "refs/tags/b"), line(3, "refs/tags/c")]);
        let files = Files::at(dir.path());
        // A delete finds the ref packed; then another writer (git pack-refs in a local remote)
        // replaces the file, packing a ref ahead of it, before the delete takes the lock.
        assert_eq!(files.current("refs/tags/c").unwrap(), Current::Direct(oid(3)));
        let packed = dir.path().join("packed-refs");
        let repacked = [line(1, "refs/tags/a"), line(2, "refs/tags/b"), line(3, "refs/tags/c")];
        fs::write(dir.path().join("packed-refs.new"), format!("{header}{}\n", repacked.join("\n"))).unwrap();
        fs::rename(dir.path().join("packed-refs.new"), &packed).unwrap();
        Packed::remove(dir.path(), "refs/tags/c").unwrap();
        let expected = format!("{header}{}\n{}\n", repacked[0], repacked[1]);
        assert_eq!(fs::read_to_string(&packed).unwrap(), expected, "the other writer's pack is kept");
        // Gone meanwhile: nothing to rewrite.
        Packed::remove(dir.path(), "refs/tags/c").unwrap();
        assert_eq!(fs::read_to_string(&packed).unwrap(), expected);
        // Locked by someone else: refused, nothing changed.
        assert!(!dir.path().join("packed-refs.lock").exists());
        fs::write(dir.path().join("packed-refs.lock"), "").unwrap();
        let err = files.delete("refs/tags/a", None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Locked);
        assert_eq!(fs::read_to_string(&packed).unwrap(), expected);
        assert_eq!(files.current("refs/tags/a").unwrap(), Current::Direct(oid(1)));
    }

    #[test]
    fn refs_compare_and_swap_alike_through_files_and_libgit2() {
        for logged in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let repo = Repository::init_bare(dir.path()).unwrap();
            repo.config().unwrap().set_bool("core.logAllRefUpdates", logged).unwrap();
            let sig = git2::Signature::now("t", "t@example.com").unwrap();
            let tree = repo.find_tree(repo.treebuilder(None).unwrap().write().unwrap()).unwrap();
            let a = repo.commit(None, &sig, &sig, "a", &tree, &[]).unwrap();
            let b = repo.commit(None, &sig, &sig, "b", &tree, &[]).unwrap();
            let refs = Refs::of(&repo).unwrap();
            assert_eq!(refs.files.is_some(), !logged);
            let (name, code) = ("refs/heads/x", |e: git2::Error| e.code());
            refs.set(name, a, Some(None)).unwrap();
            assert_eq!(refs.set(name, b, Some(None)).map_err(code), Err(ErrorCode::Exists), "{logged}");
            assert_eq!(refs.set(name, b, Some(Some(b))).map_err(code), Err(ErrorCode::Modified));
            refs.set(name, b, Some(Some(a))).unwrap();
            refs.set(name, a, None).unwrap();
            assert_eq!(refs.current(name).unwrap(), Some(a));
            assert_eq!(dir.path().join("logs").join(name).exists(), logged, "only libgit2 logs");
            assert_eq!(refs.set("refs/heads/y", a, Some(Some(a))).map_err(code), Err(ErrorCode::NotFound));
            assert_eq!(refs.delete(name, Some(Some(b))).map_err(code), Err(ErrorCode::Modified));
            refs.delete(name, Some(Some(a))).unwrap();
            assert_eq!(refs.current(name).unwrap(), None);
            refs.delete(name, None).unwrap();
            refs.delete(name, Some(None)).unwrap();
            assert_eq!(refs.delete(name, Some(Some(a))).map_err(code), Err(ErrorCode::NotFound));
        }
    }

    #[test]
    fn symbolic_refs_and_logged_repositories() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path().join("bare")).unwrap();
        fs::create_dir_all(dir.path().join("bare/refs/heads")).unwrap();
        fs::write(dir.path().join("bare/refs/heads/alias"), "ref: refs/heads/main\n").unwrap();
        let files = Files::of(&repo).unwrap().unwrap();
        assert_eq!(files.current("refs/heads/alias").unwrap(), Current::Symbolic);
        let err = files.set("refs/heads/alias", oid(1), Some(Some(oid(1)))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Modified);
        assert_eq!(files.set("refs/heads/alias", oid(1), Some(None)).unwrap_err().code(), ErrorCode::Exists);
        // Forced, as libgit2's forced write: the symbolic ref becomes a direct one.
        files.set("refs/heads/alias", oid(1), None).unwrap();
        assert_eq!(files.current("refs/heads/alias").unwrap(), Current::Direct(oid(1)));
        assert!(!files.has_log("refs/heads/main"));
        fs::create_dir_all(dir.path().join("bare/logs/refs/heads")).unwrap();
        fs::write(dir.path().join("bare/logs/refs/heads/main"), "").unwrap();
        assert!(files.has_log("refs/heads/main"));

        repo.config().unwrap().set_bool("core.logAllRefUpdates", true).unwrap();
        assert!(Files::of(&repo).unwrap().is_none());
        let work = Repository::init(dir.path().join("work")).unwrap();
        assert!(Files::of(&work).unwrap().is_none());
    }
}
