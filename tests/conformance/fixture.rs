//! How a resource describes itself to the generic suite: its names, the verbs and patch types it
//! serves, and how to make, change and remove its objects.

use serde_json::{Value, json};

use crate::env::Env;
use crate::wire::NS;

/// A verb of the Kubernetes API, as discovery names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

/// How a resource answers a strategic merge patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrategicMerge {
    /// 415, as kube-apiserver answers for custom resources (kubectl then uses a merge patch).
    Unsupported,
    /// Applied, as kube-apiserver applies it to built-in kinds (kubectl sends one by default)
    /// and Porch's k8s.io/apiserver to its own types.
    Applied,
}

/// The static description of a served resource.
#[derive(Debug)]
pub(crate) struct Info {
    /// API group; empty for the core group.
    pub(crate) group: &'static str,
    pub(crate) version: &'static str,
    /// The plural name, as in URLs.
    pub(crate) resource: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) namespaced: bool,
    /// The write verbs served (get, list and watch are served by every resource).
    pub(crate) verbs: &'static [Verb],
    pub(crate) strategic_merge: StrategicMerge,
    /// Whether objects can carry labels (a PorchPackage has none).
    pub(crate) labels: bool,
    /// Whether a controller writes the objects too (status, finalizers): the suite waits for
    /// [`Fixture::settled`] after each write, and a watch may show the controller's MODIFIED
    /// events between the suite's own.
    pub(crate) controlled: bool,
    /// Whether a server-side apply without `fieldManager` is refused (422), as kube-apiserver
    /// refuses it.
    pub(crate) apply_requires_field_manager: bool,
    /// The reason of a second create of the same object (kube-apiserver: AlreadyExists).
    pub(crate) duplicate: &'static str,
    /// Whether the answer to an update carries a status that a get does not show (the render
    /// status of that update): a get then equals the answer but for `status`.
    pub(crate) status_in_update_answer_only: bool,
    /// The events a deletion shows a watch (kube-apiserver shows a Namespace MODIFIED, as
    /// Terminating, until its controller has emptied it; here an empty one goes at once).
    pub(crate) deletion_events: &'static [&'static str],
}

/// Every write verb.
const CRUD: &[Verb] = &[Verb::Create, Verb::Update, Verb::Patch, Verb::Delete, Verb::DeleteCollection];

impl Info {
    /// A namespaced resource served as kube-apiserver serves a custom resource: every verb,
    /// labels, no controller, one DELETED event, apply only with a field manager, a second
    /// create AlreadyExists. Fixtures change what differs.
    pub(crate) const fn new(
        group: &'static str,
        version: &'static str,
        resource: &'static str,
        kind: &'static str,
    ) -> Self {
        Self {
            group,
            version,
            resource,
            kind,
            namespaced: true,
            verbs: CRUD,
            strategic_merge: StrategicMerge::Unsupported,
            labels: true,
            controlled: false,
            deletion_events: &["DELETED"],
            apply_requires_field_manager: true,
            duplicate: "AlreadyExists",
            status_in_update_answer_only: false,
        }
    }

    pub(crate) fn serves(&self, verb: Verb) -> bool {
        self.verbs.contains(&verb)
    }

    /// `group/version`, or `version` for the core group.
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection's path (in namespace [`NS`] if the resource is namespaced).
    pub(crate) fn collection(&self) -> String {
        self.collection_in(self.namespaced.then_some(NS))
    }

    /// The collection's path in `namespace`, or across all namespaces.
    pub(crate) fn collection_in(&self, namespace: Option<&str>) -> String {
        let root = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) => format!("{root}/namespaces/{ns}/{}", self.resource),
            None => format!("{root}/{}", self.resource),
        }
    }

    /// An object's path.
    pub(crate) fn item(&self, name: &str) -> String {
        format!("{}/{name}", self.collection())
    }

    /// `resource.group` (or `resource` in the core group), as messages name it.
    pub(crate) fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.resource.to_string()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }

    /// `metadata` of a new object: `name` (namespaced if the resource is) and `labels`.
    pub(crate) fn metadata(&self, name: &str, labels: &Value) -> Value {
        let mut meta = json!({"name": name, "labels": labels});
        if self.namespaced {
            meta["namespace"] = json!(NS);
        }
        meta
    }
}

/// One change of an object: the JSON pointer of a field and the value it gets. The suite turns
/// it into an update, a merge patch, a JSON patch and an apply configuration.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub(crate) pointer: String,
    pub(crate) value: Value,
}

/// A resource under test.
pub(crate) trait Fixture {
    fn info(&self) -> &Info;

    /// A server for this resource, with what its objects need (remotes, a Repository).
    async fn env(&self) -> Env;

    /// The body of a create of object `i` of this resource with `labels`: a valid object when
    /// the resource serves create, a plausible one (for the 405) when it does not.
    fn object(&self, env: &Env, i: usize, labels: &Value) -> Value;

    /// Makes object `i` with `labels` (through this resource when it serves create, else
    /// through the one that makes it) and returns it as this resource serves it.
    async fn make(&self, env: &Env, i: usize, labels: &Value) -> Value
    where
        Self: Sized,
    {
        crate::suite::create(self, env, &self.object(env, i, labels)).await
    }

    /// Removes an object made by [`Fixture::make`] through the resource that made it, when
    /// this one does not serve delete.
    async fn unmake(&self, _env: &Env, name: &str) {
        panic!("{name}: {} serve delete", self.info().resource)
    }

    /// A change to make in round `round` (each round a new value).
    fn change(&self, round: usize) -> Change;

    /// Whether every controller is done with `obj` (see [`Info::controlled`]).
    fn settled(&self, _obj: &Value) -> bool {
        true
    }
}
