//! The watch behind the metadata store: kube-runtime's `watcher` of every PackageRev, read as
//! [`Stored`] objects and decoded one at a time, reflected into the `reflector::Store`; after
//! each event the overlay drops the writes the store has caught up with.
//!
//! A PackageRev that does not decode never stops the watch: it is logged once (naming it, never
//! its content) and left out of the store; a change that breaks a good one removes it from the
//! store. A failing watch is retried with kube-runtime's exponential backoff (0.8 s doubling
//! to 30 s), each distinct failure logged once until the next complete list.

use std::collections::HashMap;
use std::sync::Weak;

use futures::StreamExt;
use kube::Resource;
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::store::Writer;
use kube::runtime::watcher::{self, Event};
use porch_api::PackageRev;
use porch_controllers::{Stored, Undecodable};

use super::overlay::{Key, key};
use super::{Inner, decoded_or_fresh, lean};

/// The key of a stored PackageRev, if it has a name (an undecodable one may have lost it).
fn key_of_stored(stored: &Stored<PackageRev>) -> Option<Key> {
    let meta = stored.meta();
    Some(key(meta.namespace.as_deref().unwrap_or_default(), meta.name.as_deref()?))
}

/// A stored PackageRev, decoded or not.
enum Decoded {
    /// It decodes.
    Good(PackageRev),
    /// It does not: a good object with the metadata that decodes.
    Bad(PackageRev),
}

/// The undecodable PackageRevs logged so far, with the uid and error logged: each is logged
/// once, and again only if it changes that way.
#[derive(Debug, Default)]
struct Undecodables(HashMap<Option<Key>, (String, Undecodable)>);

impl Undecodables {
    /// Logs `stored`, which does not decode with `error`, unless it was logged so already.
    /// Returns whether it logged.
    fn report(&mut self, stored: &Stored<PackageRev>, error: &Undecodable) -> bool {
        let seen = (stored.meta().uid.clone().unwrap_or_default(), error.clone());
        let key = key_of_stored(stored);
        if self.0.get(&key) == Some(&seen) {
            return false;
        }
        self.0.insert(key, seen);
        tracing::warn!(
            object = %stored.describe(), error = %error,
            "stored object does not decode; its PackageRevision shows no metadata until it is fixed"
        );
        true
    }

    /// `key` decodes again, or is gone.
    fn forget(&mut self, key: &Option<Key>) {
        self.0.remove(key);
    }

    /// `stored` decoded, or (reported) a good object with the metadata that decodes; `None`
    /// without a name to key it by.
    fn decoded(&mut self, stored: Stored<PackageRev>) -> Option<Decoded> {
        let key = key_of_stored(&stored);
        match stored.object() {
            Ok(_) => self.forget(&key),
            Err(e) => {
                self.report(&stored, e);
                return key.map(|_| Decoded::Bad(decoded_or_fresh(stored)));
            }
        }
        key.map(|_| Decoded::Good(lean(decoded_or_fresh(stored))))
    }

    /// The watcher's `event` as the store takes it: decoded objects only. One that does not
    /// decode (reported) is left out of a list, and removes what the store held of it
    /// otherwise; one without a name is left out. `None`: nothing to apply.
    fn decode(&mut self, event: Event<Stored<PackageRev>>) -> Option<Event<PackageRev>> {
        match event {
            Event::Init => Some(Event::Init),
            Event::InitDone => Some(Event::InitDone),
            Event::InitApply(stored) => match self.decoded(stored)? {
                Decoded::Good(rev) => Some(Event::InitApply(rev)),
                Decoded::Bad(_) => None,
            },
            Event::Apply(stored) => Some(match self.decoded(stored)? {
                Decoded::Good(rev) => Event::Apply(rev),
                Decoded::Bad(fresh) => Event::Delete(fresh),
            }),
            Event::Delete(stored) => {
                let key = key_of_stored(&stored);
                self.forget(&key);
                key.map(|_| Event::Delete(decoded_or_fresh(stored)))
            }
        }
    }
}

/// Keeps `inner`'s store in step with the PackageRevs on the server until the metadata is
/// dropped.
pub(super) async fn run(inner: Weak<Inner>, client: kube::Client, writer: Writer<PackageRev>) {
    let api: Api<Stored<PackageRev>> = Api::all(client);
    let mut undecodable = Undecodables::default();
    let events = watcher::watcher(api, watcher::Config::default())
        .default_backoff()
        .filter_map(move |event| {
            std::future::ready(match event {
                Ok(event) => undecodable.decode(event).map(Ok),
                Err(e) => Some(Err(e)),
            })
        })
        .reflect(writer);
    let mut events = std::pin::pin!(events);
    let mut last_error: Option<String> = None;
    while let Some(event) = events.next().await {
        let Some(inner) = inner.upgrade() else { return };
        match event {
            Ok(event) => {
                if matches!(event, Event::InitDone) {
                    last_error = None;
                }
                inner
                    .overlay
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .settle(&event, |key| inner.store.get(key));
                // The reflector applied the event before yielding it.
                inner.advance();
                if matches!(event, Event::InitDone) {
                    inner.loaded.send_replace(true);
                }
            }
            Err(e) => {
                let text = e.to_string();
                if last_error.as_deref() == Some(text.as_str()) {
                    tracing::debug!(error = %text, "watch of PackageRev objects failed again; retrying");
                } else {
                    tracing::warn!(error = %text, "watch of PackageRev objects failed; retrying with backoff");
                    last_error = Some(text);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(value: serde_json::Value) -> Stored<PackageRev> {
        serde_json::from_value(value).unwrap()
    }

    fn bad(uid: &str) -> Stored<PackageRev> {
        stored(json!({
            "metadata": {"name": "r.p.w", "namespace": "ns", "uid": uid, "resourceVersion": "4",
                         "ownerReferences": "x"},
            "spec": {},
        }))
    }

    fn good() -> Stored<PackageRev> {
        stored(json!({"metadata": {"name": "r.p.w", "namespace": "ns", "resourceVersion": "5"}, "spec": {}}))
    }

    #[test]
    fn an_undecodable_package_rev_is_reported_once_until_it_changes() {
        let mut reported = Undecodables::default();
        let first = bad("u1");
        let e = first.object().unwrap_err().clone();
        assert!(reported.report(&first, &e));
        assert!(!reported.report(&bad("u1"), &e), "the same object again (a re-list)");
        assert!(reported.report(&bad("u2"), &e), "re-created");
        reported.forget(&Some(key("ns", "r.p.w")));
        assert!(reported.report(&bad("u2"), &e), "fixed, then broken again");
    }

    #[test]
    fn undecodable_package_revs_are_left_out_of_the_store() {
        let mut u = Undecodables::default();
        assert!(u.decode(Event::InitApply(bad("u1"))).is_none());
        assert!(matches!(u.decode(Event::InitApply(good())), Some(Event::InitApply(_))));
        assert!(matches!(u.decode(Event::Apply(good())), Some(Event::Apply(_))));
        let Some(Event::Delete(removed)) = u.decode(Event::Apply(bad("u1"))) else {
            panic!("a broken object removes the good one");
        };
        assert_eq!(removed.metadata.name.as_deref(), Some("r.p.w"));
        assert!(matches!(u.decode(Event::Delete(bad("u1"))), Some(Event::Delete(_))));
        assert!(matches!(u.decode(Event::InitDone), Some(Event::InitDone)));
        let nameless = stored(json!({"metadata": {"name": 5, "namespace": "ns"}, "spec": {}}));
        assert!(u.decode(Event::Apply(nameless)).is_none(), "no name: nothing to key it by");
    }
}
