//! Applying replacements in order, as kustomize's `replacement.Filter` does: read the value
//! (from the one selected source resource, or `sourceValue`), then write it into every field of
//! every selected target resource. The first error stops everything.

use porch_krm::{Node, Path, PathError};

use super::config::{FieldOptions, Replacement, Selector, SourceSelector, TargetSelector};
use super::select::{self, ResId};
use super::{Api, write};

/// The source field when none is named (and the target field when none is).
pub(super) const DEFAULT_FIELD_PATH: &str = "metadata.name";
/// What Go reports when a `null` target or reject entry is used.
pub(super) const NIL_DEREFERENCE: &str = "runtime error: invalid memory address or nil pointer dereference";

/// The value being written, and where it was read: kustomize's value is the source node
/// itself, so a write into that field changes what later targets get.
struct Value {
    node: Node,
    from: Option<(usize, Path)>,
}

/// Applies `replacements` to `objects`.
///
/// # Errors
/// kustomize's message for the first thing that fails.
pub(super) fn apply(replacements: &[Replacement], objects: &mut [&mut Node], api: Api) -> Result<(), String> {
    for r in replacements {
        let has_source = r.source.is_some() || (api == Api::V0_20 && r.source_value.is_some());
        let Some(targets) = r.targets.as_ref().filter(|_| has_source) else {
            return Err("replacements must specify a source and at least one target".into());
        };
        let mut value = value(r, objects, api)?;
        for target in targets {
            let target = target.as_ref().ok_or(NIL_DEREFERENCE)?;
            apply_target(target, &mut value, objects, api)?;
        }
    }
    Ok(())
}

/// The value of one replacement.
fn value(r: &Replacement, objects: &[&mut Node], api: Api) -> Result<Value, String> {
    if api == Api::V0_20 {
        match (&r.source, &r.source_value) {
            (Some(_), Some(_)) => return Err("value and resource selectors are mutually exclusive".into()),
            (None, Some(v)) => {
                return Ok(Value { node: Node::scalar(v.as_str(), porch_krm::Style::Plain), from: None });
            }
            _ => {}
        }
    }
    let Some(source) = &r.source else {
        return Err("replacements must specify a source and at least one target".into());
    };
    let at = select_source(objects, source, api)?;
    let field_path =
        if source.field_path.is_empty() { DEFAULT_FIELD_PATH } else { source.field_path.as_str() };
    let lookup_error = |e: PathError| match api {
        Api::V0_10 => e.to_string(),
        _ => format!("error looking up replacement source: {e}"),
    };
    let path = Path::parse(field_path).map_err(lookup_error)?;
    let found = match objects[at].lookup(&path) {
        Ok(found) => found,
        // kyaml 0.13 reads `*` as a key, which no resource has.
        Err(PathError::WildcardInLookup) if api == Api::V0_10 => None,
        Err(e) => return Err(lookup_error(e)),
    };
    let Some(node) = found.filter(|n| !is_nil_or_empty(n)) else {
        let described = match api {
            Api::V0_10 => SourceSelector { field_path: field_path.to_string(), ..source.clone() }.describe(),
            _ => source.id.to_string(),
        };
        return Err(format!("fieldPath `{field_path}` is missing for replacement source {described}"));
    };
    match refine(source.options.as_ref(), node)? {
        Some(part) => Ok(Value { node: part, from: None }),
        None => Ok(Value { node: node.clone(), from: Some((at, path)) }),
    }
}

/// kyaml's `IsNilOrEmpty`: null, `{}` or `[]`.
fn is_nil_or_empty(node: &Node) -> bool {
    node.is_null()
        || node.as_mapping().is_some_and(Vec::is_empty)
        || node.as_sequence().is_some_and(Vec::is_empty)
}

/// The one resource `source` selects.
fn select_source(objects: &[&mut Node], source: &SourceSelector, api: Api) -> Result<usize, String> {
    let mut found = None;
    for (i, object) in objects.iter().enumerate() {
        let ids = select::ids(object).map_err(|e| match api {
            Api::V0_10 => e,
            _ => format!("error getting node IDs: {e}"),
        })?;
        if ids.iter().any(|id| id.is_selected_by(&source.id)) {
            if found.is_some() {
                return Err(format!("multiple matches for selector {}", source.describe()));
            }
            found = Some(i);
        }
    }
    found.ok_or_else(|| format!("nothing selected by {}", source.describe()))
}

/// With a source delimiter: element `index` of the value split at it (a copy of the source
/// node, keeping its style and type as kyaml does).
fn refine(options: Option<&FieldOptions>, node: &Node) -> Result<Option<Node>, String> {
    let Some(options) = options.filter(|o| !o.delimiter.is_empty()) else { return Ok(None) };
    let Some(text) = node.as_str() else {
        return Err("delimiter option can only be used with scalar nodes".into());
    };
    let parts: Vec<&str> = text.split(options.delimiter.as_str()).collect();
    let Some(part) = usize::try_from(options.index).ok().and_then(|i| parts.get(i)) else {
        return Err(format!("options.index {} is out of bounds for value {text}", options.index));
    };
    let mut copy = node.clone();
    write::set_scalar(&mut copy, part);
    Ok(Some(copy))
}

/// Writes the value into the fields of every resource `target` selects.
fn apply_target(
    target: &TargetSelector,
    value: &mut Value,
    objects: &mut [&mut Node],
    api: Api,
) -> Result<(), String> {
    let Some(select) = &target.select else {
        return Err("target must specify resources to select".into());
    };
    let default = [DEFAULT_FIELD_PATH.to_string()];
    let field_paths = if target.field_paths.is_empty() { &default[..] } else { &target.field_paths[..] };
    for (i, object) in objects.iter_mut().enumerate() {
        let ids = select::ids(object)?;
        if !by_annotations_and_labels(object, select, &target.reject)? {
            continue;
        }
        let chosen = match api {
            // kustomize api 0.10 checks the rejects against the id that was selected only.
            Api::V0_10 => ids.iter().any(|id| {
                id.is_selected_by(&select.id) && !rejected(&target.reject, std::slice::from_ref(id))
            }),
            _ => ids.iter().any(|id| id.is_selected_by(&select.id)) && !rejected(&target.reject, &ids),
        };
        if !chosen {
            continue;
        }
        for field_path in field_paths {
            let options = target.options.as_ref();
            match api {
                Api::V0_10 => write::write_v010(object, field_path, &value.node, options)?,
                _ => write::write(object, field_path, &value.node, options)?,
            }
            if let Some((at, path)) = &value.from
                && *at == i
                && let Ok(Some(now)) = object.lookup(path)
            {
                value.node = now.clone();
            }
        }
    }
    Ok(())
}

/// Whether the labels and annotations of `object` meet the target's `select` and none of its
/// rejects with an expression (a reject's expressions reject on their own, whatever its id).
fn by_annotations_and_labels(
    object: &Node,
    select: &Selector,
    rejects: &[Option<Selector>],
) -> Result<bool, String> {
    if !select::matches_annotations_and_labels(object, select)? {
        return Ok(false);
    }
    for reject in rejects {
        let reject = reject.as_ref().ok_or(NIL_DEREFERENCE)?;
        if reject.annotation_selector.is_empty() && reject.label_selector.is_empty() {
            continue;
        }
        if select::matches_annotations_and_labels(object, reject)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether a reject with id fields selects one of `ids`.
fn rejected(rejects: &[Option<Selector>], ids: &[ResId]) -> bool {
    rejects
        .iter()
        .flatten()
        .filter(|r| !r.id.is_empty())
        .any(|r| ids.iter().any(|id| id.is_selected_by(&r.id)))
}
