//! kustomize field specs: the fields of which kinds a label or annotation transformer writes,
//! and the walk that writes one entry into them (kustomize's `fieldspec.Filter` with
//! `filtersutil.SetEntry`, as in kustomize api v0.8.11 and kyaml v0.10.21, which the v0.1
//! functions are built with).
//!
//! A path is `/`-separated (`\/` is a slash in a key); a `name[]` segment names a sequence
//! field. A sequence met on the way is walked element by element with the rest of the path, so
//! `spec/ingress/from/podSelector/matchLabels` reaches every rule's every peer. What is missing
//! is created as mappings when the spec says `create` (never below a `[]` segment); a null on
//! the way becomes an empty mapping (or sequence) when it would be created, else ends the walk.
//! At the end of the path the entry is added to the mapping, or its value replaced.

use porch_krm::{Node, NodeKind};

use super::yaml_text;
use crate::object;

/// Which fields of which resources: resources of this group, version and kind (empty: any),
/// the field at this path, created when missing if `create`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct FieldSpec {
    /// API group (empty: any).
    pub(super) group: String,
    /// API version (empty: any).
    pub(super) version: String,
    /// Kind (empty: any).
    pub(super) kind: String,
    /// `/`-separated path of the field.
    pub(super) path: String,
    /// Whether the fields along the path are created when missing.
    pub(super) create: bool,
}

/// `(group, version, kind, path, create)` of a built-in field spec.
pub(super) type Row = (&'static str, &'static str, &'static str, &'static str, bool);

/// kustomize's `commonLabels` field specs (`builtinpluginconsts/commonlabels.go`), in its order.
pub(super) const COMMON_LABELS: &[Row] = &[
    ("", "", "", "metadata/labels", true),
    ("", "v1", "Service", "spec/selector", true),
    ("", "v1", "ReplicationController", "spec/selector", true),
    ("", "v1", "ReplicationController", "spec/template/metadata/labels", true),
    ("", "", "Deployment", "spec/selector/matchLabels", true),
    ("", "", "Deployment", "spec/template/metadata/labels", true),
    (
        "apps",
        "",
        "Deployment",
        "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        false,
    ),
    (
        "apps",
        "",
        "Deployment",
        "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        false,
    ),
    (
        "apps",
        "",
        "Deployment",
        "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        false,
    ),
    (
        "apps",
        "",
        "Deployment",
        "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        false,
    ),
    (
        "apps",
        "",
        "Deployment",
        "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
        false,
    ),
    ("", "", "ReplicaSet", "spec/selector/matchLabels", true),
    ("", "", "ReplicaSet", "spec/template/metadata/labels", true),
    ("", "", "DaemonSet", "spec/selector/matchLabels", true),
    ("", "", "DaemonSet", "spec/template/metadata/labels", true),
    ("apps", "", "StatefulSet", "spec/selector/matchLabels", true),
    ("apps", "", "StatefulSet", "spec/template/metadata/labels", true),
    (
        "apps",
        "",
        "StatefulSet",
        "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        false,
    ),
    (
        "apps",
        "",
        "StatefulSet",
        "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        false,
    ),
    (
        "apps",
        "",
        "StatefulSet",
        "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        false,
    ),
    (
        "apps",
        "",
        "StatefulSet",
        "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        false,
    ),
    (
        "apps",
        "",
        "StatefulSet",
        "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
        false,
    ),
    ("apps", "", "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true),
    ("batch", "", "Job", "spec/selector/matchLabels", false),
    ("batch", "", "Job", "spec/template/metadata/labels", true),
    ("batch", "", "CronJob", "spec/jobTemplate/spec/selector/matchLabels", false),
    ("batch", "", "CronJob", "spec/jobTemplate/metadata/labels", true),
    ("batch", "", "CronJob", "spec/jobTemplate/spec/template/metadata/labels", true),
    ("policy", "", "PodDisruptionBudget", "spec/selector/matchLabels", false),
    ("networking.k8s.io", "", "NetworkPolicy", "spec/podSelector/matchLabels", false),
    ("networking.k8s.io", "", "NetworkPolicy", "spec/ingress/from/podSelector/matchLabels", false),
    ("networking.k8s.io", "", "NetworkPolicy", "spec/egress/to/podSelector/matchLabels", false),
];

/// kustomize's `commonAnnotations` field specs (`builtinpluginconsts/commonannotations.go`), in its
/// order.
pub(super) const COMMON_ANNOTATIONS: &[Row] = &[
    ("", "", "", "metadata/annotations", true),
    ("", "v1", "ReplicationController", "spec/template/metadata/annotations", true),
    ("", "", "Deployment", "spec/template/metadata/annotations", true),
    ("", "", "ReplicaSet", "spec/template/metadata/annotations", true),
    ("", "", "DaemonSet", "spec/template/metadata/annotations", true),
    ("", "", "StatefulSet", "spec/template/metadata/annotations", true),
    ("batch", "", "Job", "spec/template/metadata/annotations", true),
    ("batch", "", "CronJob", "spec/jobTemplate/metadata/annotations", true),
    ("batch", "", "CronJob", "spec/jobTemplate/spec/template/metadata/annotations", true),
];
impl FieldSpec {
    /// The specs of a table.
    pub(super) fn table(rows: &[Row]) -> Vec<Self> {
        rows.iter()
            .map(|&(group, version, kind, path, create)| Self {
                group: group.into(),
                version: version.into(),
                kind: kind.into(),
                path: path.into(),
                create,
            })
            .collect()
    }

    /// Whether the spec is about `object`: its kind, and the group and version of its
    /// `apiVersion`.
    fn selects(&self, object: &Node) -> bool {
        let (group, version) = group_version(object::api_version(object));
        (self.kind.is_empty() || self.kind == object::kind(object))
            && (self.group.is_empty() || self.group == group)
            && (self.version.is_empty() || self.version == version)
    }

    /// Sets entry `key` to `value` in the fields of `object` the spec names.
    ///
    /// # Errors
    /// kustomize's, about the object as it is then: a scalar where the path goes on, a field at
    /// the end of the path that is not a mapping, an empty path segment.
    pub(super) fn set_entry(&self, object: &mut Node, key: &str, value: &str) -> Result<(), String> {
        if !self.selects(object) {
            return Ok(());
        }
        let path = split_path(&self.path);
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let entry = Entry { key, value, create: self.create };
        entry
            .walk(object, &path, &[])
            .map_err(|e| format!("considering field '{}' of object\n{}: {e}", self.path, yaml_text(object)))
    }
}

/// kyaml's `resid.ParseGroupVersion`: `apiVersion` split at its first `/`; without one, all of
/// it is the version.
pub(super) fn group_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// kustomize's `PathSplitter`: `/` separates, `\/` does not.
fn split_path(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in path.split('/') {
        match out.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('/');
                last.push_str(part);
            }
            _ => out.push(part.to_string()),
        }
    }
    out
}

/// One entry to set, and whether missing fields are created on the way.
struct Entry<'a> {
    key: &'a str,
    value: &'a str,
    create: bool,
}

impl Entry<'_> {
    /// Walks `path` from `node`; `field_path` is where `node` is, as kyaml names it in messages
    /// (from the object, or from the sequence element last walked into).
    fn walk(&self, node: &mut Node, path: &[&str], field_path: &[&str]) -> Result<(), String> {
        let Some((first, rest)) = path.split_first() else { return self.set(node, field_path) };
        if node.is_null() {
            return Ok(());
        }
        match node.kind() {
            NodeKind::Sequence => {
                for item in node.as_sequence_mut().into_iter().flatten() {
                    self.walk(item, path, &[])
                        .map_err(|e| format!("visit traversal on path: [{}]: {e}", path.join(" ")))?;
                }
                Ok(())
            }
            NodeKind::Mapping => {
                let (name, sequence) = first.strip_suffix("[]").map_or((*first, false), |name| (name, true));
                if name.is_empty() {
                    return Err("cannot set or create an empty field name".into());
                }
                let create = self.create && !sequence;
                if node.get(name).is_none() {
                    if !create {
                        return Ok(());
                    }
                    // A mapping takes any key.
                    let _ = node.set(name, Node::mapping());
                }
                let Some(field) = node.get_mut(name) else { return Ok(()) };
                if field.is_null() && (create || sequence) {
                    let mut made = if sequence { Node::sequence() } else { Node::mapping() };
                    made.comments = std::mem::take(&mut field.comments);
                    made.anchor = field.anchor.take();
                    *field = made;
                }
                let field_path: Vec<&str> = field_path.iter().copied().chain([name]).collect();
                self.walk(field, rest, &field_path)
            }
            // kustomize follows an alias to its anchor; the tree does not link them.
            NodeKind::Alias => Ok(()),
            NodeKind::Scalar => Err("expected sequence or mapping node".into()),
        }
    }

    /// Sets the entry in the mapping at the end of the path (kyaml's `FieldSetter`: an existing
    /// value keeps its style, a new one is a string; a null there takes nothing).
    fn set(&self, node: &mut Node, field_path: &[&str]) -> Result<(), String> {
        if node.is_null() {
            return Ok(());
        }
        if node.kind() != NodeKind::Mapping {
            return Err(format!(
                "wrong Node Kind for {} expected: MappingNode was {}: value: {{{}}}",
                field_path.join("."),
                kind_name(node),
                yaml_text(node).trim()
            ));
        }
        match node.get_mut(self.key) {
            Some(existing) if existing.kind() == NodeKind::Scalar => existing.set_str_value(self.value),
            _ => {
                // A mapping takes any key.
                let _ = node.set(self.key, Node::string(self.value));
            }
        }
        Ok(())
    }
}

/// How kyaml names a node's kind.
fn kind_name(node: &Node) -> &'static str {
    match node.kind() {
        NodeKind::Mapping => "MappingNode",
        NodeKind::Sequence => "SequenceNode",
        NodeKind::Scalar => "ScalarNode",
        NodeKind::Alias => "AliasNode",
    }
}
