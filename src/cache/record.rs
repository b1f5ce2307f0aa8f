//! Where the cache records every change of a revision, and where the change's resourceVersion
//! comes from: the revision's PackageRev, written through `kube::Api` ([`crate::metadata`]
//! implements [`ChangeLog`]). So a PackageRevision's resourceVersion is its PackageRev's, and
//! the porch.kpt.dev watches follow a watch of PackageRevs, whatever serves them.

use futures::future::BoxFuture;
use porch_api::config::RevisionState;

use super::revision::EventType;
use crate::cache::Result;
use crate::git::DiscoveredRevision;

/// One change of a revision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionChange {
    /// Namespace of the Repository.
    pub namespace: String,
    /// Name of the Repository.
    pub repository: String,
    /// Object name of the revision.
    pub name: String,
    /// The revision's new state; `None` when it is gone.
    pub state: Option<RevisionState>,
}

impl RevisionChange {
    /// The change that takes revision `name` (of `namespace/repository`) to `revision` (gone
    /// on a DELETED event).
    pub(crate) fn of(
        namespace: &str,
        repository: &str,
        name: &str,
        event_type: EventType,
        revision: &DiscoveredRevision,
        latest: bool,
    ) -> Self {
        let state = (event_type != EventType::Deleted).then(|| state_of(revision, latest));
        Self { namespace: namespace.into(), repository: repository.into(), name: name.into(), state }
    }
}

/// The state of an indexed revision: what changes whenever the API shows it differently.
fn state_of(revision: &DiscoveredRevision, latest: bool) -> RevisionState {
    RevisionState {
        ref_: revision.ref_name.clone(),
        commit: revision.commit.to_string(),
        lifecycle: revision.lifecycle.to_string(),
        revision: revision.revision,
        latest,
    }
}

/// Records changes of revisions. Implementations write each change to the revision's PackageRev
/// (creating it, updating its state, deleting it) and answer the resourceVersion the object has
/// afterwards; a state it holds already is not written again, and keeps its resourceVersion (so
/// a restart that finds every revision unchanged writes nothing).
pub trait ChangeLog: Send + Sync + 'static {
    /// Records `changes` (one per revision) and returns their resourceVersions, in order.
    fn record(&self, changes: Vec<RevisionChange>) -> BoxFuture<'static, Result<Vec<u64>>>;
}

/// What a cache tells the server's event pump, in order: the revisions a batch is about to
/// record (before any write), then each event, then that the batch is over (also when it
/// failed). The pump matches the PackageRev writes it sees to the events by resourceVersion;
/// a PackageRev change of a revision named in an unfinished batch waits for that batch.
#[derive(Debug, Clone)]
pub enum CacheMessage {
    /// A batch will record changes of these revisions (`(namespace, name)`).
    Recording(Vec<(String, String)>),
    /// One change, as indexed.
    Event(super::CacheEvent),
    /// The batch that announced these revisions is over.
    Recorded(Vec<(String, String)>),
}
