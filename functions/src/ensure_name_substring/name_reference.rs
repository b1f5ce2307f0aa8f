//! kustomize's name back-reference fix (api v0.8.11 `filters/nameref`, as the catalog copies
//! `FixNameBackReference`): after renames, the fields that named a renamed resource
//! ([`super::name_references`]) get its new name.
//!
//! For each referrer field, the candidates are the resources the referrer could refer to
//! (cluster-scoped ones, those in its namespace, and for a RoleBinding those in the namespaces
//! of its ServiceAccount subjects), narrowed to those renamed from the name in the field, whose
//! previous ids are of the target kind (and, for `roleRef/name`, of the roleRef's group and
//! kind), in the referrer's namespace (or cluster-scoped, or ServiceAccounts). One left is the
//! referral; several are narrowed to those renamed with the referrer's prefixes and suffixes,
//! and then, if their names differ, fail the run. A mapping field (RBAC subjects, webhook
//! services) is matched by its `name` and `namespace` and gets the referral's namespace too.

use porch_krm::{Node, NodeKind, Style};

use super::ensure::set_scalar;
use super::name_references::{BACK_REFERENCES, Referrer};
use super::resource::{Id, NOT_A_NAMESPACE, Resources};
use crate::kustomize::field_spec::{FieldSpec, Wording};
use crate::object;

/// What the filters read of a resource (names do not change while they run).
#[derive(Debug)]
struct Candidate {
    cur: Id,
    org: Id,
    prev: Vec<Id>,
    /// `metadata.namespace` as written.
    namespace: String,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

/// Fixes every referrer field of every resource.
pub(super) fn fix(resources: &mut Resources) -> Result<(), String> {
    let all: Vec<Candidate> = resources
        .list
        .iter()
        .map(|r| Candidate {
            cur: r.cur_id(),
            org: r.org_id(),
            prev: r.prev_ids(),
            namespace: object::namespace(r.node()).unwrap_or_default().to_string(),
            prefixes: r.prefixes.clone(),
            suffixes: r.suffixes.clone(),
        })
        .collect();
    for (i, resource) in resources.list.iter_mut().enumerate() {
        let referrer = &all[i];
        let filters: Vec<(&Referrer, (&str, &str, &str))> = BACK_REFERENCES
            .iter()
            .flat_map(|(target, referrers)| referrers.iter().map(move |r| (r, *target)))
            .filter(|((group, version, kind, _), _)| referrer.org.selected_by(group, version, kind))
            .collect();
        if filters.is_empty() {
            continue;
        }
        let candidates = referable(&all, referrer, resource.node());
        let role_ref = role_ref(resource.node());
        for ((group, version, kind, path), target) in filters {
            let spec = FieldSpec {
                group: (*group).into(),
                version: (*version).into(),
                kind: (*kind).into(),
                path: (*path).into(),
                create: false,
            };
            let filter = Filter {
                all: &all,
                referrer,
                candidates: &candidates,
                target,
                role_ref: path.ends_with("roleRef/name").then_some(role_ref.as_ref()).flatten(),
            };
            spec.apply(&mut resource.root, None, Wording::ObjectYaml, &mut |node, fields| {
                filter.set(node, fields)
            })
            .map_err(|e| {
                format!("updating name reference in '{path}' field of '{}': {e}", referrer.cur.text())
            })?;
        }
    }
    Ok(())
}

/// The resources `referrer` could refer to (indexes into `all`).
fn referable(all: &[Candidate], referrer: &Candidate, node: &Node) -> Vec<usize> {
    if referrer.cur.cluster_scoped {
        return (0..all.len()).collect();
    }
    let mut role_binding_namespaces: Vec<String> = Vec::new();
    if object::kind(node) == "RoleBinding" {
        for subject in node.get("subjects").and_then(Node::as_sequence).into_iter().flatten() {
            if let (Some(namespace), Some("ServiceAccount")) =
                (subject.get("namespace").and_then(Node::as_str), subject.get("kind").and_then(Node::as_str))
            {
                role_binding_namespaces.push(namespace.to_string());
            }
        }
    }
    (0..all.len())
        .filter(|&i| {
            let c = &all[i];
            c.cur.cluster_scoped
                || c.cur.effective_namespace() == referrer.cur.effective_namespace()
                || role_binding_namespaces.contains(&c.namespace)
        })
        .collect()
}

/// The group and kind of the referrer's `roleRef`, when it has both.
fn role_ref(node: &Node) -> Option<(String, String)> {
    let role_ref = node.get("roleRef").filter(|r| r.kind() == NodeKind::Mapping)?;
    let text = |key: &str| role_ref.get(key).map(|n| n.as_str().unwrap_or_default().to_string());
    Some((text("apiGroup")?, text("kind")?))
}

/// One referrer field's filter.
struct Filter<'a> {
    all: &'a [Candidate],
    referrer: &'a Candidate,
    candidates: &'a [usize],
    target: (&'a str, &'a str, &'a str),
    role_ref: Option<&'a (String, String)>,
}

impl Filter<'_> {
    /// The node at the end of the field's path.
    fn set(&self, node: &mut Node, fields: &[String]) -> Result<(), String> {
        if node.is_null() {
            return Ok(());
        }
        match node.kind() {
            NodeKind::Scalar => self.set_scalar(node, fields),
            NodeKind::Mapping => self.set_mapping(node, fields),
            NodeKind::Sequence => {
                for item in node.as_sequence_mut().into_iter().flatten() {
                    match item.kind() {
                        _ if item.is_null() => {}
                        NodeKind::Scalar => self.set_scalar(item, fields)?,
                        NodeKind::Mapping => self.set_mapping(item, fields)?,
                        _ => return Err("node is expected to be either a string or a map of string".into()),
                    }
                }
                Ok(())
            }
            NodeKind::Alias => Err("node must be a scalar, sequence or map".into()),
        }
    }

    fn set_scalar(&self, node: &mut Node, fields: &[String]) -> Result<(), String> {
        let old = node.as_str().unwrap_or_default().to_string();
        let Some(referral) = self.select(&old, self.candidates)? else { return Ok(()) };
        let name = &self.all[referral].cur.name;
        if *name == old {
            return Ok(());
        }
        set_scalar(node, name, fields)
    }

    /// A `{name, namespace}` mapping.
    fn set_mapping(&self, node: &mut Node, fields: &[String]) -> Result<(), String> {
        let Some(old) = node.get("name").map(|n| n.as_str().unwrap_or_default().to_string()) else {
            return Err("path config error; no 'name' field in node".into());
        };
        let candidates = self.by_namespace(node);
        let Some(referral) = self.select(&old, &candidates)? else { return Ok(()) };
        let referral = &self.all[referral];
        if referral.cur.name == old && referral.namespace.is_empty() {
            return Ok(());
        }
        set_field(node, "name", &referral.cur.name, fields)?;
        if referral.namespace.is_empty() {
            return Ok(());
        }
        set_field(node, "namespace", &referral.namespace, fields)
    }

    /// The candidates in the mapping's `namespace` (by original namespace, else by current);
    /// all of them without one.
    fn by_namespace(&self, node: &Node) -> Vec<usize> {
        let Some(namespace) = node.get("namespace").map(|n| n.as_str().unwrap_or_default()) else {
            return self.candidates.to_vec();
        };
        let grouped = |id: fn(&Candidate) -> &Id| -> Vec<usize> {
            self.candidates
                .iter()
                .copied()
                .filter(|&i| {
                    let ns = id(&self.all[i]).effective_namespace();
                    ns != NOT_A_NAMESPACE && ns == namespace
                })
                .collect()
        };
        let original = grouped(|c| &c.org);
        if !original.is_empty() { original } else { grouped(|c| &c.cur) }
    }

    /// kustomize's `selectReferral`.
    fn select(&self, old_name: &str, candidates: &[usize]) -> Result<Option<usize>, String> {
        let (group, version, kind) = self.target;
        let referrer = self.referrer;
        let mut left: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| {
                let c = &self.all[i];
                c.prev.iter().any(|id| id.name == old_name)
                    && c.prev.iter().any(|id| id.selected_by(group, version, kind))
                    && self.role_ref.is_none_or(|(g, k)| c.prev.iter().any(|id| id.selected_by(g, "", k)))
                    && (referrer.cur.cluster_scoped
                        || c.cur.cluster_scoped
                        || c.cur.kind == "ServiceAccount"
                        || c.cur.effective_namespace() == referrer.cur.effective_namespace())
            })
            .collect();
        if left.len() == 1 {
            return Ok(left.pop());
        }
        left.retain(|&i| {
            let c = &self.all[i];
            same_ending(&c.prefixes, &referrer.prefixes) && same_ending(&c.suffixes, &referrer.suffixes)
        });
        match left.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            [first, rest @ ..] if rest.iter().all(|&i| self.all[i].cur.name == self.all[*first].cur.name) => {
                Ok(Some(*first))
            }
            _ => {
                let ids: Vec<String> = left.iter().map(|&i| self.all[i].cur.text()).collect();
                Err(format!(" found multiple possible referrals: {}", ids.join(", ")))
            }
        }
    }
}

/// kyaml's `FieldSetter` for a field of a mapping: an existing scalar keeps its style, a new
/// field is a plain untagged scalar.
fn set_field(node: &mut Node, key: &str, value: &str, fields: &[String]) -> Result<(), String> {
    match node.get_mut(key) {
        Some(existing) => set_scalar_anyway(existing, value, fields),
        None => {
            // A mapping takes any key.
            let _ = node.set(key, Node::scalar(value, Style::Plain));
            Ok(())
        }
    }
}

/// A field's value replaced by a scalar, whatever it was (its style kept when a scalar).
fn set_scalar_anyway(node: &mut Node, value: &str, fields: &[String]) -> Result<(), String> {
    if node.kind() != NodeKind::Scalar {
        let comments = std::mem::take(&mut node.comments);
        *node = Node::scalar(value, Style::Plain);
        node.comments = comments;
        return Ok(());
    }
    set_scalar(node, value, fields)
}

/// kustomize's `SameEndingSubSlice`: one list ends with the other (two empty lists do; an
/// empty and a non-empty one do not).
fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() > b.len() { (b, a) } else { (a, b) };
    if short.is_empty() {
        return long.is_empty();
    }
    long.ends_with(short)
}
