//! The items as kustomize's resource map holds them (api v0.8.11): their ids, and the build
//! state kustomize keeps in annotations while it renames (previous ids, prefixes, suffixes),
//! kept here beside the item and never written.

use porch_krm::{Document, Node, NodeKind};

use crate::{object, scope};

/// The namespace kyaml gives cluster-scoped ids.
pub(super) const NOT_A_NAMESPACE: &str = "_non_namespaceable_";

/// A resource id (kyaml's `ResId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Id {
    pub(super) group: String,
    pub(super) version: String,
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) namespace: String,
    /// Known cluster-scoped (only current ids; previous ids never are).
    pub(super) cluster_scoped: bool,
}

impl Id {
    /// `cluster` when cluster-scoped, `default` for none, else the namespace.
    pub(super) fn effective_namespace(&self) -> &str {
        if self.cluster_scoped {
            NOT_A_NAMESPACE
        } else if self.namespace.is_empty() || self.namespace == "default" {
            "default"
        } else {
            &self.namespace
        }
    }

    /// Whether the group, version and kind given (empty: any) select this id.
    pub(super) fn selected_by(&self, group: &str, version: &str, kind: &str) -> bool {
        (group.is_empty() || group == self.group)
            && (version.is_empty() || version == self.version)
            && (kind.is_empty() || kind == self.kind)
    }

    /// kyaml's `ResId.String()`.
    pub(super) fn text(&self) -> String {
        let or = |s: &str, none: &'static str| if s.is_empty() { none.to_string() } else { s.to_string() };
        format!(
            "{}_{}_{}|{}|{}",
            or(&self.group, "~G"),
            or(&self.version, "~V"),
            or(&self.kind, "~K"),
            or(&self.namespace, "~X"),
            or(&self.name, "~N")
        )
    }

    fn same(&self, other: &Self) -> bool {
        (&self.group, &self.version, &self.kind, &self.name)
            == (&other.group, &other.version, &other.kind, &other.name)
            && self.effective_namespace() == other.effective_namespace()
    }
}

/// One resource of the map.
#[derive(Debug, Clone)]
pub(super) struct Resource {
    /// The item, its root taken out into `root`.
    doc: Document,
    /// The item's root (a non-empty node).
    pub(super) root: Node,
    /// Previous (name, effective namespace, kind), oldest first.
    previous: Vec<(String, String, String)>,
    pub(super) prefixes: Vec<String>,
    pub(super) suffixes: Vec<String>,
}

impl Resource {
    /// The item's root.
    pub(super) fn node(&self) -> &Node {
        &self.root
    }

    /// The item again, as changed.
    pub(super) fn into_document(self) -> Document {
        Document { root: Some(self.root), ..self.doc }
    }

    /// The id it has now.
    pub(super) fn cur_id(&self) -> Id {
        let node = self.node();
        let api_version = object::api_version(node);
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let kind = object::kind(node);
        Id {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            name: object::name(node).into(),
            namespace: object::namespace(node).unwrap_or_default().into(),
            cluster_scoped: scope::builtin_namespaced(api_version, kind) == Some(false),
        }
    }

    /// The ids it had before being renamed (group and version as they are now).
    pub(super) fn prev_ids(&self) -> Vec<Id> {
        let cur = self.cur_id();
        self.previous
            .iter()
            .map(|(name, namespace, kind)| Id {
                kind: kind.clone(),
                name: name.clone(),
                namespace: namespace.clone(),
                cluster_scoped: false,
                ..cur.clone()
            })
            .collect()
    }

    /// Its first id.
    pub(super) fn org_id(&self) -> Id {
        self.prev_ids().into_iter().next().unwrap_or_else(|| self.cur_id())
    }

    /// Records the current id as a previous one (before a rename).
    pub(super) fn store_previous_id(&mut self) {
        let id = self.cur_id();
        self.previous.push((id.name.clone(), id.effective_namespace().to_string(), id.kind));
    }

    /// Whether it was renamed (kustomize then rewrote its annotations).
    pub(super) fn renamed(&self) -> bool {
        !self.previous.is_empty() || !self.prefixes.is_empty() || !self.suffixes.is_empty()
    }
}

/// The resources, in input order; empty items are not resources.
#[derive(Debug)]
pub(super) struct Resources {
    pub(super) list: Vec<Resource>,
}

impl Resources {
    /// kustomize's resource map from the items: empty items dropped, a second resource with the
    /// id of an earlier one refused.
    pub(super) fn from_items(items: &[Document]) -> Result<Self, String> {
        let mut list: Vec<Resource> = Vec::new();
        for doc in items {
            let Some(root) = doc.root.clone().filter(|r| !empty(r)) else { continue };
            let resource = Resource {
                doc: Document { root: None, ..doc.clone() },
                root,
                previous: Vec::new(),
                prefixes: Vec::new(),
                suffixes: Vec::new(),
            };
            let id = resource.cur_id();
            if list.iter().any(|r| r.cur_id().same(&id)) {
                return Err(format!("may not add resource with an already registered id: {}", id.text()));
            }
            list.push(resource);
        }
        Ok(Self { list })
    }
}

/// kyaml's `IsNilOrEmpty`: null, `{}` or `[]`.
fn empty(node: &Node) -> bool {
    node.is_null()
        || (node.kind() == NodeKind::Mapping && node.as_mapping().is_some_and(Vec::is_empty))
        || (node.kind() == NodeKind::Sequence && node.as_sequence().is_some_and(Vec::is_empty))
}
