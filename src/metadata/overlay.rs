//! Read-your-writes: what this server wrote or deleted of a PackageRev, kept beside the
//! reflector's store until the watch delivers it, so that a request sees its own write at once.
//! An entry is dropped as soon as the store holds the object at least that new (or, for a
//! deletion, the store holds a newer object or none after a re-list).

use std::collections::HashMap;
use std::sync::Arc;

use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher::Event;
use porch_api::PackageRev;

use super::meta_rv;

/// The key of a PackageRev.
pub(super) type Key = ObjectRef<PackageRev>;

/// The key of PackageRev `namespace/name`.
pub(super) fn key(namespace: &str, name: &str) -> Key {
    ObjectRef::new(name).within(namespace)
}

/// The key of `rev` (`ObjectRef::from_obj` without its panic on a missing name).
pub(super) fn key_of(rev: &PackageRev) -> Key {
    let meta = &rev.metadata;
    key(meta.namespace.as_deref().unwrap_or_default(), meta.name.as_deref().unwrap_or_default())
}

/// What this server knows of one PackageRev ahead of the watch.
#[derive(Debug, Clone)]
enum Entry {
    /// The API's answer to a write.
    Written(Arc<PackageRev>),
    /// Deleted; it had resourceVersion `last` (or less) when last seen.
    Gone { last: u64 },
}

impl Entry {
    /// The resourceVersion this entry is at, if a number.
    fn rv(&self) -> Option<u64> {
        match self {
            Self::Written(rev) => meta_rv(rev),
            Self::Gone { last } => Some(*last),
        }
    }

    /// Whether the watch's object at resourceVersion `rv` makes this entry unneeded: it is at
    /// least as new as a write, or newer than a deletion (a new object of the same name).
    /// resourceVersions that are not numbers are taken as newer.
    fn settled_by(&self, rv: Option<u64>) -> bool {
        match (rv, self.rv()) {
            (Some(rv), Some(own)) => match self {
                Self::Written(_) => rv >= own,
                Self::Gone { .. } => rv > own,
            },
            _ => true,
        }
    }
}

/// The writes of this server not yet (known to be) in the reflector's store.
#[derive(Debug, Default)]
pub(super) struct Overlay(HashMap<Key, Entry>);

impl Overlay {
    /// What a reader sees of `key` while the store holds `watched`.
    pub(super) fn view(&self, key: &Key, watched: Option<Arc<PackageRev>>) -> Option<Arc<PackageRev>> {
        if self.0.is_empty() {
            return watched;
        }
        match self.0.get(key) {
            None => watched,
            Some(entry) if watched.as_deref().is_some_and(|w| entry.settled_by(meta_rv(w))) => watched,
            Some(Entry::Written(rev)) => Some(rev.clone()),
            Some(Entry::Gone { .. }) => None,
        }
    }

    /// Records `rev`, the API's answer to a write, unless what is seen of it is newer already;
    /// returns what is seen now. Nothing is kept when the store `watched` holds the write (or
    /// newer) already: the watch often delivers an object before the writer has its answer, and
    /// an entry the watch has passed would never be settled.
    pub(super) fn written(&mut self, rev: PackageRev, watched: Option<Arc<PackageRev>>) -> Arc<PackageRev> {
        let key = key_of(&rev);
        let rev = Arc::new(rev);
        if let Some(seen) = self.view(&key, watched.clone())
            && matches!((meta_rv(&seen), meta_rv(&rev)), (Some(s), Some(r)) if s > r)
        {
            return seen;
        }
        let entry = Entry::Written(rev.clone());
        if watched.as_deref().is_some_and(|w| entry.settled_by(meta_rv(w))) {
            self.0.remove(&key);
        } else {
            self.0.insert(key, entry);
        }
        rev
    }

    /// Records that `key` is gone: last seen at resourceVersion `last` (the API's last answer),
    /// or at what this overlay or the store `watched` held of it.
    pub(super) fn gone(&mut self, key: Key, last: Option<u64>, watched: Option<&PackageRev>) {
        let known = [last, self.0.get(&key).and_then(Entry::rv), watched.and_then(meta_rv)];
        match known.into_iter().flatten().max() {
            Some(last) => {
                self.0.insert(key, Entry::Gone { last });
            }
            None => {
                self.0.remove(&key);
            }
        }
    }

    /// The reflector applied `event` to its store, which `lookup` reads: drops the entries it
    /// caught up with. After a re-list, writes the list does not hold are dropped too (deleted
    /// meanwhile, or the watch brings them).
    pub(super) fn settle(
        &mut self,
        event: &Event<PackageRev>,
        lookup: impl Fn(&Key) -> Option<Arc<PackageRev>>,
    ) {
        if self.0.is_empty() {
            return;
        }
        match event {
            Event::Apply(rev) => {
                let key = key_of(rev);
                if self.0.get(&key).is_some_and(|e| e.settled_by(meta_rv(rev))) {
                    self.0.remove(&key);
                }
            }
            Event::Delete(rev) => {
                let key = key_of(rev);
                let rv = meta_rv(rev);
                if self.0.get(&key).is_some_and(|e| matches!((rv, e.rv()), (Some(rv), Some(own)) if rv < own))
                {
                    return;
                }
                self.0.remove(&key);
            }
            Event::InitDone => {
                self.0.retain(|key, entry| lookup(key).is_some_and(|w| !entry.settled_by(meta_rv(&w))));
            }
            Event::Init | Event::InitApply(_) => {}
        }
    }

    /// How many entries are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn rev(rv: &str) -> PackageRev {
        PackageRev {
            metadata: ObjectMeta {
                name: Some("r.p.w".into()),
                namespace: Some("ns".into()),
                resource_version: Some(rv.into()),
                ..ObjectMeta::default()
            },
            spec: Default::default(),
            status: None,
        }
    }

    fn key() -> Key {
        super::key("ns", "r.p.w")
    }

    fn rv_of(seen: Option<Arc<PackageRev>>) -> Option<String> {
        seen.and_then(|r| r.metadata.resource_version.clone())
    }

    #[test]
    fn a_write_is_seen_until_the_watch_has_it() {
        let mut o = Overlay::default();
        let seen = o.written(rev("5"), Some(Arc::new(rev("4"))));
        assert_eq!(rv_of(Some(seen)), Some("5".into()));
        assert_eq!(rv_of(o.view(&key(), None)), Some("5".into()));
        assert_eq!(rv_of(o.view(&key(), Some(Arc::new(rev("4"))))), Some("5".into()));
        assert_eq!(rv_of(o.view(&key(), Some(Arc::new(rev("6"))))), Some("6".into()));
        o.settle(&Event::Apply(rev("4")), |_| None);
        assert_eq!(o.len(), 1, "an older object does not settle it");
        o.settle(&Event::Apply(rev("5")), |_| None);
        assert_eq!(o.len(), 0);
    }

    #[test]
    fn only_newer_answers_replace() {
        let mut o = Overlay::default();
        o.written(rev("7"), None);
        let seen = o.written(rev("6"), None);
        assert_eq!(rv_of(Some(seen)), Some("7".into()));
        let seen = o.written(rev("6"), Some(Arc::new(rev("8"))));
        assert_eq!(rv_of(Some(seen)), Some("8".into()));
        assert_eq!(rv_of(Some(o.written(rev("x"), None))), Some("x".into()), "not a number: newer");
    }

    #[test]
    fn a_write_the_store_has_already_is_not_kept() {
        let mut o = Overlay::default();
        o.written(rev("4"), None);
        let seen = o.written(rev("5"), Some(Arc::new(rev("5"))));
        assert_eq!(rv_of(Some(seen)), Some("5".into()));
        assert_eq!(o.len(), 0, "the watch delivered it before the answer: nothing left to settle");
        o.written(rev("6"), Some(Arc::new(rev("5"))));
        assert_eq!(o.len(), 1, "the store is older than the write");
    }

    #[test]
    fn a_deletion_hides_the_watched_object_until_a_newer_one() {
        let mut o = Overlay::default();
        let watched = Some(Arc::new(rev("5")));
        o.gone(key(), None, watched.as_deref());
        assert!(o.view(&key(), watched).is_none());
        assert_eq!(rv_of(o.view(&key(), Some(Arc::new(rev("9"))))), Some("9".into()), "made again");
        o.settle(&Event::Apply(rev("5")), |_| None);
        assert_eq!(o.len(), 1);
        o.settle(&Event::Delete(rev("6")), |_| None);
        assert_eq!(o.len(), 0);
    }

    #[test]
    fn a_deletion_of_nothing_known_keeps_nothing() {
        let mut o = Overlay::default();
        o.written(rev("3"), None);
        o.gone(key(), None, None);
        assert!(o.view(&key(), Some(Arc::new(rev("3")))).is_none(), "the write is gone");
        let mut o = Overlay::default();
        o.gone(key(), None, None);
        assert_eq!(o.len(), 0);
    }

    #[test]
    fn a_relist_keeps_only_what_it_has_not_caught_up_with() {
        let mut o = Overlay::default();
        o.written(rev("5"), None);
        o.settle(&Event::InitDone, |_| Some(Arc::new(rev("4"))));
        assert_eq!(o.len(), 1, "the list is older than the write");
        o.settle(&Event::InitDone, |_| None);
        assert_eq!(o.len(), 0, "not listed: deleted meanwhile");
        o.gone(key(), Some(5), None);
        o.settle(&Event::InitDone, |_| Some(Arc::new(rev("5"))));
        assert_eq!(o.len(), 1, "listed before the deletion");
        o.settle(&Event::InitDone, |_| Some(Arc::new(rev("6"))));
        assert_eq!(o.len(), 0, "made again");
    }
}
