//! A repository's index saved beside its mirror when the server stops, so that the next start
//! does not discover every revision from git again.
//!
//! What discovery finds is a function of the ref set (every ref names an immutable commit) and
//! of the Repository's branch and directory, so a saved pair (ref set, revisions found in it)
//! stays true however old it is: the next start takes the saved revisions as if discovered
//! ([`RepositoryCache::open_saved`]) and serves them at once; its first sync then fetches and
//! re-discovers only the refs that differ from the saved set — exactly what a refresh does. A snapshot from another server version, for other git
//! settings, or unreadable, is ignored (and the repository discovered in full); a missing one
//! (a first start, a crash) too. The file is `porch-index.json` inside the mirror directory, so
//! it goes wherever the mirror goes (a repaired mirror, a deleted Repository).
//!
//! The remote URL is kept only as a hash: it may carry credentials.

use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid};
use serde::{Deserialize, Serialize};

use super::repository::RepositoryCache;
use crate::git::{DiscoveredRevision, RefSet, RepoConfig};

/// The file, inside the mirror directory.
const FILE: &str = "porch-index.json";

/// Bumped whenever what discovery finds changes for the same refs.
const FORMAT: u32 = 1;

/// One remote ref and the commit it names.
#[derive(Serialize, Deserialize)]
struct SavedRef {
    name: String,
    #[serde(with = "crate::git::oid_serde")]
    oid: Oid,
}

/// The saved index of one repository.
#[derive(Serialize, Deserialize)]
struct Snapshot {
    format: u32,
    server: String,
    /// [`settings_key`] of the Repository's git settings.
    settings: String,
    refs: Vec<SavedRef>,
    revisions: Vec<DiscoveredRevision>,
}

/// A stable hash of what discovery depends on besides the refs (and of the URL).
fn settings_key(config: &RepoConfig) -> String {
    let text = format!("{}\n{}\n{}", config.url, config.branch, config.directory());
    Oid::hash_object(ObjectType::Blob, text.as_bytes()).map(|oid| oid.to_string()).unwrap_or_default()
}

fn path(mirror_dir: &Path) -> PathBuf {
    mirror_dir.join(FILE)
}

/// A saved index read back: the ref set and the revisions discovery found in it.
pub(super) struct Saved {
    pub(super) refs: RefSet,
    pub(super) revisions: Vec<DiscoveredRevision>,
}

/// The index saved in `mirror_dir` for `config`, if there is one this server can use.
pub(super) fn load(mirror_dir: &Path, config: &RepoConfig) -> Option<Saved> {
    let bytes = match std::fs::read(path(mirror_dir)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(mirror = %mirror_dir.display(), error = %e, "the saved index is unreadable");
            return None;
        }
    };
    let snapshot: Snapshot = match serde_json::from_slice(&bytes) {
        Ok(snapshot) => snapshot,
        Err(e) => {
            tracing::warn!(mirror = %mirror_dir.display(), error = %e, "the saved index does not parse");
            return None;
        }
    };
    let usable = snapshot.format == FORMAT
        && snapshot.server == env!("CARGO_PKG_VERSION")
        && snapshot.settings == settings_key(config);
    usable.then(|| Saved {
        refs: RefSet::from_refs(snapshot.refs.into_iter().map(|r| (r.name, r.oid))),
        revisions: snapshot.revisions,
    })
}

/// Writes `refs` and `revisions` as the saved index of `mirror_dir` (through a temporary file
/// and a rename, so a reader never sees half a file).
fn save(
    mirror_dir: &Path,
    config: &RepoConfig,
    refs: &RefSet,
    revisions: Vec<DiscoveredRevision>,
) -> std::io::Result<()> {
    let snapshot = Snapshot {
        format: FORMAT,
        server: env!("CARGO_PKG_VERSION").to_string(),
        settings: settings_key(config),
        refs: refs.iter().map(|(name, oid)| SavedRef { name: name.to_string(), oid }).collect(),
        revisions,
    };
    let bytes = serde_json::to_vec(&snapshot).map_err(std::io::Error::other)?;
    let temporary = mirror_dir.join(format!("{FILE}.tmp"));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path(mirror_dir))
}

impl RepositoryCache {
    /// Saves the index and the ref set it reflects beside the mirror, for the next
    /// [`open`](Self::open) of this repository (see the module documentation). Waits for writes
    /// and syncs in flight; does nothing for a cache that never finished a discovery or is closed.
    pub async fn save_index(&self) {
        let closed = self.inner.ops.write().await;
        let refs = self.inner.refs.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let (Some(refs), false) = (refs, *closed) else { return };
        let revisions: Vec<DiscoveredRevision> =
            self.index().list().iter().map(|r| r.revision.clone()).collect();
        let (dir, config) = (self.inner.mirror_dir.clone(), self.inner.git.config().clone());
        let repository = format!("{}/{}", self.inner.namespace, self.inner.name);
        let saved = tokio::task::spawn_blocking(move || save(&dir, &config, &refs, revisions)).await;
        match saved {
            Ok(Ok(())) => tracing::debug!(%repository, "index saved"),
            Ok(Err(error)) => tracing::warn!(%repository, %error, "saving the index failed"),
            Err(error) => tracing::warn!(%repository, %error, "saving the index failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(branch: &str) -> RepoConfig {
        RepoConfig { branch: branch.into(), ..RepoConfig::new("https://user:secret@example.com/r.git") }
    }

    #[test]
    fn a_saved_index_is_read_back_only_for_the_same_settings_and_never_holds_the_url() {
        let dir = tempfile::tempdir().unwrap();
        let oid = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
        let refs = RefSet::from_refs([("refs/heads/main".to_string(), oid)]);
        save(dir.path(), &config("main"), &refs, Vec::new()).unwrap();
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(!text.contains("secret") && !text.contains("example.com"), "{text}");
        let saved = load(dir.path(), &config("main")).expect("the same settings read it");
        assert_eq!(saved.refs, refs);
        assert!(load(dir.path(), &config("release")).is_none(), "another branch");

        std::fs::write(path(dir.path()), b"{not json").unwrap();
        assert!(load(dir.path(), &config("main")).is_none());
        std::fs::remove_file(path(dir.path())).unwrap();
        assert!(load(dir.path(), &config("main")).is_none());
    }
}
