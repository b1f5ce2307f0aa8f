//! The ref set of a mirror: every ref of the remote as last seen, in a persistent sorted map
//! that is cheap to clone and to change.

use std::collections::BTreeMap;
use std::sync::Arc;

use git2::Oid;

use super::layout::{HEADS, TAGS, TRACKING, deletion_proposed_branch};

/// Every ref of the remote as last seen by the mirror: remote ref name → object id (for
/// annotated tags, the tag object). Compare two sets with [`RefSet::diff`] to find what to
/// re-discover.
///
/// Cloning is cheap and so is changing a clone: the refs are kept in name order in chunks of
/// about [`CHUNK`] refs, each shared between clones until one of them changes it, so
/// [`RefSet::apply`] on a set that shares its refs copies one chunk and the list of chunks
/// (O(refs / CHUNK + CHUNK) pointers), never the whole set.
#[derive(Clone, Default)]
pub struct RefSet {
    chunks: Arc<Vec<Arc<Chunk>>>,
    len: usize,
}

/// Refs in name order, non-empty.
type Chunk = Vec<(String, Oid)>;

/// Refs per chunk when a set is built; a chunk splits above twice as many and merges with a
/// neighbour below a quarter.
const CHUNK: usize = 128;

impl std::fmt::Debug for RefSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for RefSet {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for RefSet {}

impl RefSet {
    /// A set from `(remote ref, oid)` pairs (a later pair for the same ref wins).
    pub fn from_refs<I: IntoIterator<Item = (String, Oid)>>(refs: I) -> Self {
        let sorted: BTreeMap<String, Oid> = refs.into_iter().collect();
        let len = sorted.len();
        let mut chunks = Vec::with_capacity(len.div_ceil(CHUNK));
        let mut chunk = Vec::with_capacity(CHUNK.min(len));
        for entry in sorted {
            chunk.push(entry);
            if chunk.len() == CHUNK {
                chunks.push(Arc::new(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))));
            }
        }
        if !chunk.is_empty() {
            chunks.push(Arc::new(chunk));
        }
        Self { chunks: Arc::new(chunks), len }
    }

    /// The chunk that holds (or would hold) `name`: the first whose last ref is ≥ `name`.
    fn chunk_of(&self, name: &str) -> usize {
        self.chunks.partition_point(|c| c.last().is_some_and(|(last, _)| last.as_str() < name))
    }

    /// The object a remote ref points to.
    pub fn get(&self, remote_ref: &str) -> Option<Oid> {
        let chunk = self.chunks.get(self.chunk_of(remote_ref))?;
        let i = chunk.binary_search_by(|(name, _)| name.as_str().cmp(remote_ref)).ok()?;
        Some(chunk[i].1)
    }

    /// The commit-ish a branch points to (`name` without `refs/heads/`).
    pub fn branch(&self, name: &str) -> Option<Oid> {
        self.get(&format!("{HEADS}{name}"))
    }

    /// What a user-given ref name points to, as git resolves a short name: the exact remote ref
    /// (`refs/…`), a tag `<name>`, a branch `<name>`; `refs/remotes/origin/<name>` is the branch
    /// `<name>` (how a clone names it).
    pub fn resolve(&self, name: &str) -> Option<Oid> {
        if let Some(branch) = name.strip_prefix(TRACKING) {
            return self.branch(branch);
        }
        self.get(name).or_else(|| self.get(&format!("{TAGS}{name}"))).or_else(|| self.branch(name))
    }

    /// Whether `deletionProposed/<fullpath>/<suffix>` exists.
    pub fn is_deletion_proposed(&self, full_path: &str, suffix: &str) -> bool {
        self.branch(&deletion_proposed_branch(full_path, suffix)).is_some()
    }

    /// All refs in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Oid)> {
        self.chunks.iter().flat_map(|c| c.iter().map(|(name, oid)| (name.as_str(), *oid)))
    }

    /// Number of refs.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no refs (an empty remote).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets (`Some`) or removes (`None`) a ref, as a write reports it. Copies only the chunk it
    /// changes (and the chunk list) when they are shared with another set.
    pub fn apply(&mut self, remote_ref: &str, value: Option<Oid>) {
        let at = self.chunk_of(remote_ref);
        let found = self
            .chunks
            .get(at)
            .map(|c| c.binary_search_by(|(name, _)| name.as_str().cmp(remote_ref)))
            .unwrap_or(Err(0));
        match (value, found) {
            (None, Err(_)) => {}
            (Some(oid), Ok(i)) if self.chunks[at][i].1 == oid => {}
            (Some(oid), Ok(i)) => Arc::make_mut(&mut Arc::make_mut(&mut self.chunks)[at])[i].1 = oid,
            (Some(oid), Err(i)) => {
                let chunks = Arc::make_mut(&mut self.chunks);
                self.len += 1;
                if chunks.is_empty() {
                    chunks.push(Arc::new(vec![(remote_ref.to_string(), oid)]));
                    return;
                }
                // Past every ref: the last chunk takes it.
                let (at, i) = if at == chunks.len() { (at - 1, chunks[at - 1].len()) } else { (at, i) };
                let chunk = Arc::make_mut(&mut chunks[at]);
                chunk.insert(i, (remote_ref.to_string(), oid));
                if chunk.len() > 2 * CHUNK {
                    let upper = chunk.split_off(chunk.len() / 2);
                    chunks.insert(at + 1, Arc::new(upper));
                }
            }
            (None, Ok(i)) => {
                let chunks = Arc::make_mut(&mut self.chunks);
                self.len -= 1;
                let chunk = Arc::make_mut(&mut chunks[at]);
                chunk.remove(i);
                if chunk.is_empty() {
                    chunks.remove(at);
                } else if chunk.len() < CHUNK / 4 {
                    // Merge with a neighbour that has room.
                    let fits = |n: usize| chunks[at].len() + chunks[n].len() <= 2 * CHUNK;
                    let pair = if at + 1 < chunks.len() && fits(at + 1) {
                        Some(at)
                    } else if at > 0 && fits(at - 1) {
                        Some(at - 1)
                    } else {
                        None
                    };
                    if let Some(first) = pair {
                        let second = chunks.remove(first + 1);
                        let merged = Arc::make_mut(&mut chunks[first]);
                        merged.extend(second.iter().cloned());
                    }
                }
            }
        }
    }

    /// What changed from `old` to `self` (one pass over both, in name order).
    pub fn diff(&self, old: &RefSet) -> RefDiff {
        let mut diff = RefDiff::default();
        let (mut new_refs, mut old_refs) = (self.iter().peekable(), old.iter().peekable());
        loop {
            match (new_refs.peek(), old_refs.peek()) {
                (None, None) => break,
                (Some((name, _)), None) => {
                    diff.added.push(name.to_string());
                    new_refs.next();
                }
                (None, Some((name, _))) => {
                    diff.removed.push(name.to_string());
                    old_refs.next();
                }
                (Some((name, oid)), Some((old_name, old_oid))) => match name.cmp(old_name) {
                    std::cmp::Ordering::Less => {
                        diff.added.push(name.to_string());
                        new_refs.next();
                    }
                    std::cmp::Ordering::Greater => {
                        diff.removed.push(old_name.to_string());
                        old_refs.next();
                    }
                    std::cmp::Ordering::Equal => {
                        if oid != old_oid {
                            diff.changed.push(name.to_string());
                        }
                        new_refs.next();
                        old_refs.next();
                    }
                },
            }
        }
        diff
    }
}

/// Refs that differ between two [`RefSet`]s (names as on the remote).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefDiff {
    /// Refs only in the new set.
    pub added: Vec<String>,
    /// Refs in both sets with different values.
    pub changed: Vec<String>,
    /// Refs only in the old set.
    pub removed: Vec<String>,
}

impl RefDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_resolve_like_git() {
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let refs = RefSet::from_refs([("refs/heads/main".into(), a), ("refs/tags/pkg/v1".into(), b)]);
        assert_eq!(refs.resolve("main"), Some(a));
        assert_eq!(refs.resolve("refs/remotes/origin/main"), Some(a));
        assert_eq!(refs.resolve("pkg/v1"), Some(b));
        assert_eq!(refs.resolve("refs/tags/pkg/v1"), Some(b));
        assert_eq!(refs.resolve("v1"), None);
    }

    /// A deterministic pseudo-random sequence.
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn shared_sets_change_independently_and_stay_in_order() {
        let oid = |n: u64| Oid::from_str(&format!("{n:040x}")).unwrap();
        let mut model: BTreeMap<String, Oid> =
            (0..1000).map(|i| (format!("refs/tags/p{:03}/v{i}", i % 7), oid(i))).collect();
        let mut set = RefSet::from_refs(model.clone());
        let original = set.clone();
        let original_model = model.clone();
        let mut seed = 7;
        for step in 0..5000u64 {
            let name = format!("refs/tags/p{:03}/v{}", lcg(&mut seed) % 9, lcg(&mut seed) % 1500);
            let snapshot = set.clone(); // a reader's copy, alive while the set changes
            let before = snapshot.get(&name);
            if lcg(&mut seed).is_multiple_of(3) {
                set.apply(&name, None);
                model.remove(&name);
            } else {
                set.apply(&name, Some(oid(step)));
                model.insert(name.clone(), oid(step));
            }
            assert_eq!(snapshot.get(&name), before, "a clone does not see later changes");
            assert_eq!(set.get(&name), model.get(&name).copied());
            assert_eq!(set.len(), model.len());
        }
        let diff = set.diff(&original);
        let added: Vec<&String> = model.keys().filter(|n| !original_model.contains_key(*n)).collect();
        let removed: Vec<&String> = original_model.keys().filter(|n| !model.contains_key(*n)).collect();
        let changed: Vec<&String> = model
            .iter()
            .filter(|(n, o)| original_model.get(*n).is_some_and(|p| p != *o))
            .map(|(n, _)| n)
            .collect();
        assert_eq!((diff.added.iter().collect(), diff.removed.iter().collect()), (added, removed));
        assert_eq!(diff.changed.iter().collect::<Vec<_>>(), changed);
        let listed: Vec<(String, Oid)> = set.iter().map(|(n, o)| (n.to_string(), o)).collect();
        assert_eq!(listed, model.into_iter().collect::<Vec<_>>());
        assert!(set.chunks.iter().all(|c| !c.is_empty() && c.len() <= 2 * CHUNK));
        let kept: Vec<(String, Oid)> = original.iter().map(|(n, o)| (n.to_string(), o)).collect();
        assert_eq!(kept, original_model.into_iter().collect::<Vec<_>>());
        assert_eq!(original.len(), 1000);

        // Emptied and refilled; equality is by content, whatever the chunking.
        let mut small = RefSet::default();
        small.apply("refs/heads/b", Some(oid(2)));
        small.apply("refs/heads/a", Some(oid(1)));
        small.apply("refs/heads/c", Some(oid(3)));
        small.apply("refs/heads/b", None);
        assert_eq!(
            small,
            RefSet::from_refs([("refs/heads/a".into(), oid(1)), ("refs/heads/c".into(), oid(3))])
        );
        small.apply("refs/heads/a", None);
        small.apply("refs/heads/c", None);
        assert!(small.is_empty() && small.chunks.is_empty());
        assert_eq!(small, RefSet::default());
    }

    #[test]
    fn diff_reports_changes() {
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let old = RefSet::from_refs([("refs/heads/main".into(), a), ("refs/tags/p/v1".into(), a)]);
        let mut new = old.clone();
        new.apply("refs/heads/main", Some(b));
        new.apply("refs/tags/p/v1", None);
        new.apply("refs/tags/p/v2", Some(b));
        let diff = new.diff(&old);
        assert_eq!(diff.added, vec!["refs/tags/p/v2"]);
        assert_eq!(diff.changed, vec!["refs/heads/main"]);
        assert_eq!(diff.removed, vec!["refs/tags/p/v1"]);
        assert!(new.diff(&new).is_empty());
        assert!(!new.is_deletion_proposed("p", "v1"));
    }
}
