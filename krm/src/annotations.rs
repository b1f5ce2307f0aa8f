//! kpt's bookkeeping annotations on the resources of a package (kyaml `kioutil`): where each
//! resource lives (`path`, `index`, in the internal and the legacy keys), its sequence style
//! (`seqindent`), its package (`package-path`) and its number in one function call (`id`).
//! They are set when a package is read into a ResourceList and stripped when it is written,
//! leaving the text as it was: an `annotations` map that only held them goes too.

use crate::{Document, Node, Result};

/// The file path of a resource, relative to the package being rendered.
pub const PATH: &str = "internal.config.kubernetes.io/path";
/// The resource's place among the documents of its file (from 0).
pub const INDEX: &str = "internal.config.kubernetes.io/index";
/// [`PATH`] as kpt 0.x and older functions know it.
pub const LEGACY_PATH: &str = "config.kubernetes.io/path";
/// [`INDEX`] as kpt 0.x and older functions know it.
pub const LEGACY_INDEX: &str = "config.kubernetes.io/index";
/// The sequence style the file is written with (`compact` or `wide`).
pub const SEQ_INDENT: &str = "internal.config.kubernetes.io/seqindent";
/// The package directory a resource belongs to (`/`, `/sub` in Porch); functions see it.
pub const PACKAGE_PATH: &str = "internal.config.kubernetes.io/package-path";
/// A resource's number within one function call, to copy comments back by.
pub const ID: &str = "internal.config.kubernetes.io/id";
/// [`ID`] as older functions know it.
pub const LEGACY_ID: &str = "config.k8s.io/id";

/// Every annotation kpt removes before a resource is written to its file.
pub const INTERNAL: [&str; 8] =
    [PATH, INDEX, LEGACY_PATH, LEGACY_INDEX, SEQ_INDENT, PACKAGE_PATH, ID, LEGACY_ID];

/// The value of annotation `key` of the document's resource, if it has one.
pub fn get<'a>(doc: &'a Document, key: &str) -> Option<&'a str> {
    of(doc.root.as_ref()?, key)
}

/// The value of annotation `key` of `resource`, if it has one.
pub fn of<'a>(resource: &'a Node, key: &str) -> Option<&'a str> {
    resource.get_path(&["metadata", "annotations", key])?.as_str()
}

/// The file `resource` records it lives in: the internal key, else the legacy one.
pub fn path_of(resource: &Node) -> Option<&str> {
    of(resource, PATH).or_else(|| of(resource, LEGACY_PATH))
}

/// Its index in that file, as recorded: the internal key, else the legacy one.
pub fn index_of(resource: &Node) -> Option<&str> {
    of(resource, INDEX).or_else(|| of(resource, LEGACY_INDEX))
}

/// Sets annotation `key` to `value` on the document's resource, creating `metadata` and
/// `metadata.annotations` where missing (a document that is not a mapping is left alone).
///
/// # Errors
/// `metadata` or `metadata.annotations` is there and is not a mapping.
pub fn set(doc: &mut Document, key: &str, value: &str) -> Result<()> {
    let Some(root) = doc.root.as_mut().filter(|r| r.as_mapping().is_some()) else { return Ok(()) };
    root.mapping_entry("metadata")?.mapping_entry("annotations")?.set(key, Node::string(value))?;
    Ok(())
}

/// Records where the document's resource lives: `path` and `index` (internal and legacy keys)
/// and the file's sequence style.
///
/// # Errors
/// As [`set`].
pub fn set_location(doc: &mut Document, path: &str, index: usize) -> Result<()> {
    let index = index.to_string();
    for (key, value) in
        [(PATH, path), (LEGACY_PATH, path), (INDEX, index.as_str()), (LEGACY_INDEX, index.as_str())]
    {
        set(doc, key, value)?;
    }
    let seq_indent = doc.seq_indent.as_str();
    set(doc, SEQ_INDENT, seq_indent)
}

/// Removes annotations `keys` from the document's resource, and its `annotations` map when
/// they alone were in it.
pub fn remove(doc: &mut Document, keys: &[&str]) {
    let Some(root) = doc.root.as_mut() else { return };
    let Some(map) = root.get_path_mut(&["metadata", "annotations"]) else { return };
    let removed = keys.iter().filter(|k| map.remove(k).is_some()).count();
    if removed > 0 && map.as_mapping().is_some_and(Vec::is_empty) {
        root.get_path_mut(&["metadata"]).map(|m| m.remove("annotations"));
    }
}

/// Removes kpt's annotations ([`INTERNAL`]) from the document's resource, and `annotations`
/// (then `metadata`) when nothing else is left in them.
pub fn strip(doc: &mut Document) {
    let Some(root) = doc.root.as_mut() else { return };
    let Some(metadata) = root.get_mut("metadata") else { return };
    if let Some(annotations) = metadata.get_mut("annotations") {
        for key in INTERNAL {
            annotations.remove(key);
        }
        if annotations.as_mapping().is_some_and(Vec::is_empty) {
            metadata.remove("annotations");
        }
    }
    if metadata.as_mapping().is_some_and(Vec::is_empty) {
        root.remove("metadata");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Stream;

    fn doc(text: &str) -> Document {
        Stream::parse(text).unwrap().documents.remove(0)
    }

    #[test]
    fn location_is_set_and_stripped_leaving_the_text_as_it_was() {
        for text in [
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm # the map\ndata:\n  a: \"1\"\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  annotations:\n    team: blue\n",
            "apiVersion: v1\nkind: ConfigMap\n",
        ] {
            let mut d = doc(text);
            set_location(&mut d, "app/cm.yaml", 2).unwrap();
            assert_eq!(get(&d, PATH), Some("app/cm.yaml"));
            assert_eq!((get(&d, INDEX), get(&d, LEGACY_INDEX)), (Some("2"), Some("2")));
            assert_eq!(get(&d, SEQ_INDENT), Some("compact"));
            let annotated = d.to_text();
            assert!(annotated.contains("internal.config.kubernetes.io/path: app/cm.yaml"), "{annotated}");
            assert!(annotated.contains("internal.config.kubernetes.io/index: "), "{annotated}");
            strip(&mut d);
            assert_eq!(d.to_text(), text);
        }
    }

    #[test]
    fn a_wide_file_says_so_and_other_annotations_stay() {
        let text = "apiVersion: v1\nkind: List\nmetadata:\n  annotations:\n    config.k8s.io/id: '3'\n    keep: me\nitems:\n  - a\n";
        let mut d = doc(text);
        set_location(&mut d, "list.yaml", 0).unwrap();
        assert_eq!(get(&d, SEQ_INDENT), Some("wide"));
        strip(&mut d);
        assert_eq!(
            d.to_text(),
            "apiVersion: v1\nkind: List\nmetadata:\n  annotations:\n    keep: me\nitems:\n  - a\n"
        );
    }

    #[test]
    fn a_document_that_is_not_a_mapping_is_left_alone() {
        let mut d = doc("- a\n- b\n");
        set_location(&mut d, "x.yaml", 0).unwrap();
        assert_eq!(d.to_text(), "- a\n- b\n");
        let mut bad = doc("metadata: [1]\n");
        assert!(set(&mut bad, PATH, "x").is_err(), "metadata that is not a mapping");
    }
}
