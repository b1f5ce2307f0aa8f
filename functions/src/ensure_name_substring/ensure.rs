//! The catalog's `EnsureNameSubstring.Transform`: the substring put on the name fields of each
//! resource that lacks it, kustomize's prefix/suffix filter doing the writing.

use std::collections::HashSet;

use porch_krm::{Content, Document, Node, NodeKind};

use super::Version;
use super::config::{Config, EditMode};
use super::resource::{Resource, Resources};
use crate::kustomize::{
    self,
    field_spec::{FieldSpec, Wording},
};
use crate::object;

const NAME_PATH: &str = "metadata/name";
const DEPENDS_ON: &str = "config.kubernetes.io/depends-on";

/// `(group, kind)` of the kinds never renamed (any version); the Kptfile only from v0.2.0.
const SKIPPED: [(&str, &str); 4] = [
    ("", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("", "Namespace"),
    ("kpt.dev", "Kptfile"),
];

/// Puts the substring on the resources' name fields (and, from v0.2.0, on the names their
/// `depends-on` annotations give).
pub(super) fn ensure(resources: &mut Resources, config: &Config, version: Version) -> Result<(), String> {
    let inputs: HashSet<(String, String, String)> = resources
        .list
        .iter()
        .map(|r| {
            let id = r.cur_id();
            (id.group, id.kind, id.name)
        })
        .collect();
    let specs: Vec<FieldSpec> = std::iter::once(FieldSpec { path: NAME_PATH.into(), ..FieldSpec::default() })
        .chain(config.additional.iter().cloned())
        .collect();
    let skipped = if version == Version::V0_2 { &SKIPPED[..] } else { &SKIPPED[..3] };
    for resource in &mut resources.list {
        let org = resource.org_id();
        if skipped.iter().any(|(group, kind)| org.selected_by(group, "", kind)) {
            continue;
        }
        for spec in &specs {
            if !resource.org_id().selected_by(&spec.group, &spec.version, &spec.kind) {
                continue;
            }
            if has_substring(resource, &config.substring, spec)? {
                continue;
            }
            let (prefix, suffix) = match config.edit_mode {
                EditMode::Prepend => (config.substring.as_str(), ""),
                EditMode::Append => ("", config.substring.as_str()),
                EditMode::Other => ("", ""),
            };
            if spec.path == NAME_PATH {
                resource.store_previous_id();
                if !prefix.is_empty() {
                    resource.prefixes.push(prefix.into());
                }
                if !suffix.is_empty() {
                    resource.suffixes.push(suffix.into());
                }
            }
            let mut set = |node: &mut Node, fields: &[String]| {
                let value = format!("{prefix}{}{suffix}", node.as_str().unwrap_or_default());
                set_scalar(node, &value, fields)
            };
            spec.apply(&mut resource.root, Some(NodeKind::Scalar), Wording::ObjectYaml, &mut set)?;
            if version == Version::V0_2 {
                depends_on(resource, &inputs, &config.edit_mode, &config.substring);
            }
        }
    }
    Ok(())
}

/// kyaml's `FieldSetter` on a scalar: the value replaced, the style kept, any tag dropped.
pub(super) fn set_scalar(node: &mut Node, value: &str, fields: &[String]) -> Result<(), String> {
    if node.kind() != NodeKind::Scalar && !node.is_null() {
        return Err(kustomize::wrong_kind(fields, NodeKind::Scalar, node));
    }
    node.content = Content::Scalar(value.to_string());
    node.tag = None;
    node.anchor = None;
    Ok(())
}

/// The idempotency check: whether the field the spec names already holds the substring (the
/// name; else the text of what kyaml's `Lookup` finds at the `/`-split path, `[]` not read as
/// a sequence, so such a field is never found and always changed).
fn has_substring(resource: &Resource, substring: &str, spec: &FieldSpec) -> Result<bool, String> {
    let node = resource.node();
    if spec.path == NAME_PATH {
        return Ok(object::name(node).contains(substring));
    }
    let found = lookup(node, &spec.path)
        .map_err(|e| format!("unable to lookup path {} in {}: {e}", spec.path, resource.org_id().text()))?;
    let text = match found {
        None => String::new(),
        Some(n) if n.kind() == NodeKind::Scalar => n.as_str().unwrap_or_default().to_string(),
        Some(n) => Document::new(n.clone()).to_text(),
    };
    Ok(text.contains(substring))
}

/// kyaml's `Lookup` of `/`-split parts (empty ones dropped): a number indexes a sequence, `-`
/// is its last element, anything else a mapping key; a null on the way finds nothing.
fn lookup<'a>(root: &'a Node, path: &str) -> Result<Option<&'a Node>, String> {
    let mut node = root;
    let mut fields: Vec<&str> = Vec::new();
    for part in path.split('/').map(str::trim).filter(|p| !p.is_empty()) {
        if node.is_null() {
            return Ok(None);
        }
        let want =
            if part.parse::<i64>().is_ok() || part == "-" { NodeKind::Sequence } else { NodeKind::Mapping };
        if node.kind() != want {
            return Err(kustomize::wrong_kind(&fields, want, node));
        }
        let next = match part.parse::<i64>() {
            Ok(index) if index < 0 => return Err(format!("array index {index} cannot be negative")),
            Ok(index) => usize::try_from(index).ok().and_then(|i| node.as_sequence()?.get(i)),
            Err(_) if part == "-" => node.as_sequence().and_then(|items| items.last()),
            Err(_) => {
                fields.push(part);
                node.get(part)
            }
        };
        match next {
            Some(found) => node = found,
            None => return Ok(None),
        }
    }
    Ok(Some(node))
}

/// v0.2.0: a `depends-on` annotation naming a resource of the input (by group, kind and
/// name as they were) gets the substring on that name.
fn depends_on(
    resource: &mut Resource,
    inputs: &HashSet<(String, String, String)>,
    mode: &EditMode,
    substring: &str,
) {
    let Some(value) = object::annotation(resource.node(), DEPENDS_ON) else { return };
    let mut segments: Vec<String> = value.split('/').map(str::to_string).collect();
    let word = |s: &String| s.chars().all(|c| c == '-' || c == '.' || c == '_' || c.is_ascii_alphanumeric());
    if !segments.iter().all(word) {
        return;
    }
    let (kind, name) = match segments.len() {
        5 if segments[1] == "namespaces" => (3, 4),
        3 => (1, 2),
        _ => return,
    };
    if !inputs.contains(&(segments[0].clone(), segments[kind].clone(), segments[name].clone())) {
        return;
    }
    segments[name] = match mode {
        EditMode::Prepend => format!("{substring}{}", segments[name]),
        EditMode::Append => format!("{}{substring}", segments[name]),
        EditMode::Other => return,
    };
    object::set_annotation(&mut resource.root, DEPENDS_ON, &segments.join("/"));
}
