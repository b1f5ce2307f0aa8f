//! Each repository's revisions as one encoded list segment: the JSON of their PackageRevision
//! objects in list order joined into one buffer ([`EncodedChunk`]; the objects are kept as
//! these bytes only), with the Table rows kept beside it once a Table showed them. A full list then writes one shared buffer per repository
//! instead of visiting every revision; a segment is rebuilt (from the revisions' own kept
//! objects) only after its repository's index, the PackageRev metadata or the Repository's
//! facts changed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use porch_layers::EncodedChunk;

/// One repository's revisions, encoded.
#[derive(Debug, Default)]
pub(crate) struct Segment {
    /// Their objects in list order, encoded (none for a repository without revisions).
    pub(crate) chunk: Option<EncodedChunk>,
}

/// What a segment was built from: it is current while all of these are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentKey {
    /// The index version ([`RepositoryCache::version`](crate::cache::RepositoryCache::version);
    /// unique across repositories).
    pub(crate) index: u64,
    /// The metadata generation ([`Metadata::generation`](crate::metadata::Metadata::generation)).
    pub(crate) metadata: u64,
    /// The Repository's `spec.git.repo` and `spec.deployment`.
    pub(crate) facts: (String, bool),
}

/// A repository: `(namespace, name)`.
type RepositoryKey = (String, String);

/// The latest segment of each repository.
#[derive(Debug, Default)]
pub(crate) struct Segments {
    by_repository: Mutex<HashMap<RepositoryKey, (SegmentKey, Arc<Segment>)>>,
}

impl Segments {
    /// The segment of `repository` if it was built from `key`.
    pub(crate) fn current(&self, repository: &RepositoryKey, key: &SegmentKey) -> Option<Arc<Segment>> {
        let held = self.by_repository.lock().unwrap_or_else(|e| e.into_inner());
        held.get(repository).filter(|(k, _)| k == key).map(|(_, s)| Arc::clone(s))
    }

    /// Keeps `segment`, built from `key`, unless a segment of a newer index is kept already.
    pub(crate) fn keep(&self, repository: RepositoryKey, key: SegmentKey, segment: Arc<Segment>) {
        let mut held = self.by_repository.lock().unwrap_or_else(|e| e.into_inner());
        match held.get(&repository) {
            Some((k, _)) if (k.index, k.metadata) > (key.index, key.metadata) => {}
            _ => {
                held.insert(repository, (key, segment));
            }
        }
    }

    /// Forgets the segments of repositories `keep` says no to (deleted ones).
    pub(crate) fn retain(&self, keep: impl Fn(&RepositoryKey) -> bool) {
        self.by_repository.lock().unwrap_or_else(|e| e.into_inner()).retain(|k, _| keep(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(index: u64, metadata: u64) -> SegmentKey {
        SegmentKey { index, metadata, facts: ("u".into(), false) }
    }

    #[test]
    fn a_segment_is_current_only_for_the_key_it_was_built_from() {
        let segments = Segments::default();
        let repo = ("ns".to_string(), "r".to_string());
        assert!(segments.current(&repo, &key(1, 1)).is_none());
        segments.keep(repo.clone(), key(1, 1), Arc::default());
        assert!(segments.current(&repo, &key(1, 1)).is_some());
        assert!(segments.current(&repo, &key(2, 1)).is_none(), "the index moved");
        assert!(segments.current(&repo, &key(1, 2)).is_none(), "the metadata moved");
        let other = SegmentKey { facts: ("v".into(), false), ..key(1, 1) };
        assert!(segments.current(&repo, &other).is_none(), "the Repository changed");
    }

    #[test]
    fn an_older_segment_does_not_replace_a_newer_one() {
        let segments = Segments::default();
        let repo = ("ns".to_string(), "r".to_string());
        segments.keep(repo.clone(), key(5, 3), Arc::default());
        segments.keep(repo.clone(), key(4, 3), Arc::default());
        assert!(segments.current(&repo, &key(5, 3)).is_some());
        segments.keep(repo.clone(), key(6, 3), Arc::default());
        assert!(segments.current(&repo, &key(6, 3)).is_some());
        segments.retain(|_| false);
        assert!(segments.current(&repo, &key(6, 3)).is_none());
    }
}
