//! `selectors` and `exclude` of a pipeline step (kpt's `SelectInput` / `MergeWithInput`): the
//! step sees the resources matching any selector (all when there is none) minus those matching
//! an exclusion; its output goes back in their place, matched by a resource id annotation, with
//! resources it dropped removed and resources it made appended.

use porch_functions::object;
use porch_krm::{Document, Node, annotations};

use super::pipeline::{PipelineFunction, Selector};

/// The annotation that numbers the resources of a step with selectors or exclusions.
const RESOURCE_ID: &str = "internal.config.k8s.io/kpt-resource-id";

/// Whether `resource` matches `selector`.
fn matches(resource: &Node, selector: &Selector) -> bool {
    let field = |value: &str, wanted: &str| wanted.is_empty() || value == wanted;
    let subset = |key: &str, wanted: &std::collections::BTreeMap<String, String>| {
        wanted.iter().all(|(k, v)| object::nested_str(resource, &["metadata", key, k]) == Some(v.as_str()))
    };
    field(object::api_version(resource), &selector.api_version)
        && field(object::kind(resource), &selector.kind)
        && field(object::name(resource), &selector.name)
        && field(object::namespace(resource).unwrap_or_default(), &selector.namespace)
        && subset("labels", &selector.labels)
        && subset("annotations", &selector.annotations)
}

/// A step's view of the items.
#[derive(Debug)]
pub(crate) enum Selection {
    /// The step sees every item.
    All,
    /// The step sees the items with these ids (the items are numbered).
    Some(Vec<String>),
}

/// Numbers `items` when `function` selects or excludes, and says what it sees; the selected
/// items are returned as copies ([`Selection::All`]: none are copied, the step sees `items`).
pub(crate) fn select(function: &PipelineFunction, items: &mut [Document]) -> (Selection, Vec<Document>) {
    if function.selectors.is_empty() && function.exclude.is_empty() {
        return (Selection::All, Vec::new());
    }
    let mut ids = Vec::new();
    let mut selected = Vec::new();
    for (n, item) in items.iter_mut().enumerate() {
        let id = n.to_string();
        // Items are mappings (the package reader only makes those).
        let _ = annotations::set(item, RESOURCE_ID, &id);
        let Some(resource) = item.root.as_ref() else { continue };
        let chosen = (function.selectors.is_empty()
            || function.selectors.iter().any(|s| matches(resource, s)))
            && !function.exclude.iter().any(|s| !s.is_empty() && matches(resource, s));
        if chosen {
            ids.push(id);
            selected.push(item.clone());
        }
    }
    (Selection::Some(ids), selected)
}

/// The items after the step: `output` merged into `items` as [`Selection`] says, ids removed.
pub(crate) fn merge(selection: Selection, items: Vec<Document>, output: Vec<Document>) -> Vec<Document> {
    let Selection::Some(ids) = selection else { return output };
    let id_of = |d: &Document| annotations::get(d, RESOURCE_ID).map(str::to_string);
    let mut output: Vec<Option<Document>> = output.into_iter().map(Some).collect();
    let mut merged = Vec::with_capacity(items.len());
    for item in items {
        let id = id_of(&item);
        if !id.as_ref().is_some_and(|id| ids.contains(id)) {
            merged.push(item);
            continue;
        }
        // A selected item comes back as the function left it, or not at all (deleted).
        if let Some(slot) = output.iter_mut().find(|o| o.as_ref().is_some_and(|o| id_of(o) == id)) {
            merged.extend(slot.take());
        }
    }
    // What the function made (no id) goes last.
    merged.extend(output.into_iter().flatten().filter(|o| id_of(o).is_none()));
    clear_ids(&mut merged);
    merged
}

/// Removes the ids [`select`] set (and an `annotations` map left empty by that).
pub(crate) fn clear_ids(items: &mut [Document]) {
    for item in items {
        annotations::remove(item, &[RESOURCE_ID]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<Document> {
        porch_krm::parse(text).unwrap().documents
    }

    const ITEMS: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    tier: web\n---\n\
                         apiVersion: v1\nkind: Service\nmetadata:\n  name: b\n---\n\
                         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n";

    fn names(docs: &[Document]) -> Vec<&str> {
        docs.iter().map(|d| object::name(d.root.as_ref().unwrap())).collect()
    }

    #[test]
    fn selectors_choose_and_exclusions_remove() {
        let function = PipelineFunction {
            selectors: vec![Selector { kind: "ConfigMap".into(), ..Default::default() }],
            exclude: vec![Selector { labels: [("tier".into(), "web".into())].into(), ..Default::default() }],
            ..Default::default()
        };
        let mut all = items(ITEMS);
        let (_, selected) = select(&function, &mut all);
        assert_eq!(names(&selected), ["c"]);
        let everything = PipelineFunction::default();
        assert!(matches!(select(&everything, &mut items(ITEMS)), (Selection::All, none) if none.is_empty()));
    }

    #[test]
    fn the_output_replaces_the_selected_items_in_place_and_new_items_go_last() {
        let function = PipelineFunction {
            selectors: vec![Selector { kind: "ConfigMap".into(), ..Default::default() }],
            ..Default::default()
        };
        let mut all = items(ITEMS);
        let (selection, selected) = select(&function, &mut all);
        // The function drops `a`, changes `c`, adds `d`.
        let mut output = vec![selected[1].clone()];
        output[0].root.as_mut().unwrap().set_string("data", "x").unwrap();
        output.extend(items("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n"));
        let merged = merge(selection, all, output);
        assert_eq!(names(&merged), ["b", "c", "d"]);
        let text = porch_krm::Stream::new(merged).to_text();
        assert!(!text.contains(RESOURCE_ID), "{text}");
        assert!(text.contains("name: c\ndata: x"), "{text}");
    }
}
