//! The KRM function wire format (`config.kubernetes.io/v1` `ResourceList`): the items a
//! function gets and gives back, its `functionConfig` and its `results`. A `kind: List` is read
//! as well (kyaml's `ByteReader` takes both), JSON as well as YAML.
//!
//! Each item keeps its comments and styles, and its sequence style from the
//! `internal.config.kubernetes.io/seqindent` annotation when it carries one.

use crate::annotations;
use crate::{Document, Error, Node, Result, SeqIndent, Stream};

/// `apiVersion` of a ResourceList.
pub const API_VERSION: &str = "config.kubernetes.io/v1";
/// `kind` of a ResourceList.
pub const KIND: &str = "ResourceList";

/// A function's input or output.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceList {
    /// The resources, each as a document of its own.
    pub items: Vec<Document>,
    /// The function's configuration, if any.
    pub function_config: Option<Node>,
    /// The function's results (a list of `{message, severity, resourceRef, field, file, tags}`),
    /// if any.
    pub results: Option<Node>,
}

impl ResourceList {
    /// A list of `items` with no configuration and no results.
    pub fn new(items: Vec<Document>) -> Self {
        ResourceList { items, function_config: None, results: None }
    }

    /// Reads a ResourceList (or a `List`) from YAML or JSON text.
    ///
    /// # Errors
    /// The text does not parse, or holds something else than one ResourceList or List
    /// (named in the message, as kpt names it).
    pub fn parse(text: &str) -> Result<Self> {
        let stream = Stream::parse(text)?;
        let mut roots = stream.documents.into_iter().filter_map(|d| d.root);
        let (Some(root), None) = (roots.next(), roots.next()) else {
            return Err(Error::Convert("input must be a single ResourceList or List".into()));
        };
        let kind = root.get("kind").and_then(Node::as_str).unwrap_or_default();
        if !matches!(kind, KIND | "List") {
            return Err(Error::Convert(format!("input is a {kind:?}, not a ResourceList or List")));
        }
        let items = match root.get("items") {
            None => Vec::new(),
            Some(items) if items.is_null() => Vec::new(),
            Some(items) => items
                .as_sequence()
                .ok_or_else(|| Error::Convert("items of a ResourceList must be a list".into()))?
                .iter()
                .cloned()
                .map(item_document)
                .collect(),
        };
        let field = |name| root.get(name).filter(|n| !n.is_null()).cloned();
        Ok(ResourceList { items, function_config: field("functionConfig"), results: field("results") })
    }

    /// The list as YAML, as kpt sends it to a function.
    pub fn to_text(&self) -> String {
        let mut root = Node::mapping();
        let mut put = |key: &str, value: Node| {
            // A fresh mapping takes any key.
            let _ = root.set(key, value);
        };
        put("apiVersion", Node::string(API_VERSION));
        put("kind", Node::string(KIND));
        let mut items = Node::sequence();
        for item in &self.items {
            if let Some(node) = &item.root {
                let _ = items.push(node.clone());
            }
        }
        put("items", items);
        if let Some(config) = &self.function_config {
            put("functionConfig", config.clone());
        }
        if let Some(results) = &self.results {
            put("results", results.clone());
        }
        Document::new(root).to_text()
    }
}

/// An item as a document of its own, written in the sequence style its annotation names.
fn item_document(node: Node) -> Document {
    let mut doc = Document::new(node);
    if let Some(style) = annotations::get(&doc, annotations::SEQ_INDENT) {
        doc.seq_indent = SeqIndent::from_annotation(style);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: cm # the map
    annotations:
      internal.config.kubernetes.io/path: cm.yaml
      internal.config.kubernetes.io/seqindent: wide
  data:
    a: '1'
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  data:
    namespace: prod
";

    #[test]
    fn a_resource_list_reads_and_writes_back() {
        let list = ResourceList::parse(LIST).unwrap();
        assert_eq!(list.items.len(), 2);
        assert_eq!(list.items[0].seq_indent, SeqIndent::Wide);
        assert_eq!(list.items[1].seq_indent, SeqIndent::Compact);
        assert_eq!(
            list.items[0].root.as_ref().unwrap().get_path(&["metadata", "name"]).unwrap().as_str(),
            Some("cm")
        );
        let config = list.function_config.as_ref().unwrap();
        assert_eq!(config.get_path(&["data", "namespace"]).unwrap().as_str(), Some("prod"));
        assert!(list.results.is_none());
        assert_eq!(list.to_text(), LIST, "comments and quoting kept");
        assert_eq!(ResourceList::parse(&list.to_text()).unwrap(), list);
    }

    #[test]
    fn a_list_and_json_are_read_too() {
        let list = ResourceList::parse("apiVersion: v1\nkind: List\nitems:\n- kind: A\n").unwrap();
        assert_eq!(list.items.len(), 1);
        let json = r#"{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"kind": "B"}], "results": [{"message": "ok", "severity": "info"}]}"#;
        let list = ResourceList::parse(json).unwrap();
        assert_eq!(list.items[0].root.as_ref().unwrap().get("kind").unwrap().as_str(), Some("B"));
        assert_eq!(list.results.unwrap().as_sequence().unwrap().len(), 1);
        let empty =
            ResourceList::parse("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n")
                .unwrap();
        assert!(empty.items.is_empty());
    }

    #[test]
    fn anything_else_is_refused_with_its_kind() {
        let e = ResourceList::parse("apiVersion: v1\nkind: ConfigMap\n").unwrap_err();
        assert!(e.to_string().contains("\"ConfigMap\""), "{e}");
        assert!(ResourceList::parse("kind: ResourceList\nitems: 3\n").is_err());
        assert!(ResourceList::parse("kind: ResourceList\n---\nkind: ResourceList\n").is_err());
    }
}
