//! The `packed-refs` file: its format, a reader that finds one ref in a few positioned reads,
//! and the two writes (the whole file, one ref removed).
//!
//! The format, as git writes it:
//!
//! - an optional header `# pack-refs with: <traits> `; the `sorted` trait promises the ref lines
//!   are in byte order of their names (we write `sorted` and no peel trait, so readers peel an
//!   annotated tag on demand instead of trusting a `^` line we would have to compute);
//! - one `<40 hex> <refname>` line per ref, each possibly followed by `^<40 hex>` peel lines.
//!
//! The reader binary-searches a sorted file (each step a read of a few KiB from the middle of
//! the remaining window, down to a short final scan) and scans an unsorted one. Both writes go
//! through `packed-refs.lock` and a rename, git's lock-file protocol (`lock.rs`).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use git2::Oid;

use super::lock::{LockFile, io_error};

/// File name of the packed refs, in the git directory.
pub(super) const FILE: &str = "packed-refs";
/// What a header line starts with; the traits follow, separated by spaces.
const HEADER_PREFIX: &[u8] = b"# pack-refs with:";
/// The header we write: sorted, no peel lines.
pub(super) const HEADER: &str = "# pack-refs with: sorted \n";

/// Whether a header's traits promise sorted ref lines; `None` when `line` is no header.
fn header_sorted(line: &[u8]) -> Option<bool> {
    let traits = line.strip_prefix(HEADER_PREFIX)?;
    Some(traits.split(|b| *b == b' ').any(|t| t == b"sorted"))
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

/// Whether a line is a peel line (`^<40 hex>`) of the record before it.
fn is_peel(line: &[u8]) -> bool {
    line.starts_with(b"^")
}

/// One ref line of `packed-refs`: byte range (with its peel lines), name and object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Record {
    start: u64,
    end: u64,
    pub(super) name: String,
    pub(super) oid: Oid,
}

/// Bytes read at a time.
const CHUNK: usize = 4096;
/// Below this window size the binary search turns into a scan (a read or two).
const SCAN: u64 = 4 * CHUNK as u64;

/// A file read from an offset on with positioned reads: no seek, and readers of one file do not
/// share a position.
struct ReadAt<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.file.read_at(buf, self.pos)?;
        self.pos += read as u64;
        Ok(read)
    }
}

/// Lines of a file from an offset, read [`CHUNK`] bytes at a time.
struct Lines<'a> {
    reader: BufReader<ReadAt<'a>>,
    /// File offset of the next line.
    next: u64,
}

impl<'a> Lines<'a> {
    /// Lines of `file` from offset `at`.
    fn new(file: &'a File, at: u64) -> Self {
        Self { reader: BufReader::with_capacity(CHUNK, ReadAt { file, pos: at }), next: at }
    }

    /// The next line (without its newline), its start and the offset after it.
    fn next_line(&mut self) -> io::Result<Option<(u64, Vec<u8>, u64)>> {
        let mut line = Vec::new();
        let read = self.reader.read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(None);
        }
        let start = self.next;
        self.next += read as u64;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        Ok(Some((start, line, self.next)))
    }
}

/// An open `packed-refs` file (absent: empty).
pub(super) struct Packed {
    file: Option<File>,
    len: u64,
    /// Offset of the first line after the header.
    data_start: u64,
    /// Whether the header promises sorted lines.
    pub(super) sorted: bool,
}

impl Packed {
    /// Opens the `packed-refs` of git directory `dir` and reads its header.
    pub(super) fn open(dir: &Path) -> io::Result<Self> {
        let file = match File::open(dir.join(FILE)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Self { file: None, len: 0, data_start: 0, sorted: true });
            }
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        let (mut data_start, mut sorted) = (0, false);
        if let Some((_, line, end)) = Lines::new(&file, 0).next_line()?
            && let Some(header_sorted) = header_sorted(&line)
        {
            sorted = header_sorted;
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
        let mut lines = Lines::new(file, pos.saturating_sub(1));
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
    pub(super) fn find(&self, name: &str) -> io::Result<Option<Record>> {
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
    pub(super) fn collision(&self, name: &str) -> io::Result<Option<String>> {
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
    pub(super) fn remove(dir: &Path, name: &str) -> Result<(), git2::Error> {
        let path = dir.join(FILE);
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
            if !is_peel(&line.1) {
                self.pending = Some(line);
                break;
            }
            record.end = line.2;
        }
        Ok(Some(record))
    }
}

/// Writes `refs` (names → objects) as the whole `packed-refs` of git directory `dir`, through
/// `packed-refs.lock` (taken over when left behind: only the repository's writer, this process,
/// serialised, calls this).
pub(super) fn write(dir: &Path, refs: &BTreeMap<String, Oid>) -> Result<(), git2::Error> {
    let path = dir.join(FILE);
    let written = LockFile::take_over(&path).and_then(|lock| {
        lock.commit(|file| {
            let mut out = io::BufWriter::with_capacity(64 * 1024, file);
            out.write_all(HEADER.as_bytes())?;
            for (name, oid) in refs {
                writeln!(out, "{oid} {name}")?;
            }
            out.flush()
        })
    });
    written.map_err(|e| io_error("write", &path, &e))
}
