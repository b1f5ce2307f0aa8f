//! A package's files as resources and back (kyaml's `LocalPackageReadWriter` as kpt uses it).
//!
//! - [`read`]: every resource file (`Kptfile`, `*.yaml`, `*.yml`, `*.json`) is parsed; each of
//!   its documents with content becomes an item annotated with its path and index
//!   ([`annotations::set_location`]). Other files are not resources.
//! - [`write`]: the items go back to the file their path annotation names, in index order, with
//!   kpt's annotations stripped; a file whose resources are unchanged keeps its exact text; a
//!   resource file left with no resources is deleted; an item with no path (one a function made)
//!   goes to `<kind>_<name>.yaml`, lowercased, as kyaml names it. Files that are not resources
//!   pass through.

use std::collections::BTreeMap;

use crate::annotations;
use crate::{Document, Error, Node, Result, Stream};

/// Whether kpt reads `path` as a resource file.
pub fn is_resource_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Kptfile" || [".yaml", ".yml", ".json"].iter().any(|ext| name.ends_with(ext))
}

/// The resources of `files` (path → text), each annotated with where it lives.
///
/// # Errors
/// A resource file does not parse (the message names it).
pub fn read(files: &BTreeMap<String, String>) -> Result<Vec<Document>> {
    let mut items = Vec::new();
    for (path, text) in files.iter().filter(|(path, _)| is_resource_file(path)) {
        let stream = parse(path, text)?;
        for (index, mut doc) in stream.documents.into_iter().filter(|d| d.root.is_some()).enumerate() {
            annotations::set_location(&mut doc, path, index).map_err(|e| in_file(path, e))?;
            items.push(doc);
        }
    }
    Ok(items)
}

/// `files` with the resource files replaced by `items` (see the module documentation).
///
/// # Errors
/// An original resource file does not parse (it was read by [`read`], so it does).
pub fn write(items: Vec<Document>, files: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
    let mut by_path: BTreeMap<String, Vec<(usize, Document)>> = BTreeMap::new();
    for mut doc in items {
        let path = doc
            .root
            .as_ref()
            .and_then(annotations::path_of)
            .map(str::to_string)
            .unwrap_or_else(|| default_path(&doc));
        let index = doc
            .root
            .as_ref()
            .and_then(annotations::index_of)
            .and_then(|i| i.parse().ok())
            .unwrap_or(usize::MAX);
        annotations::strip(&mut doc);
        by_path.entry(path).or_default().push((index, doc));
    }
    let mut out: BTreeMap<String, String> = files
        .iter()
        .filter(|(path, _)| !is_resource_file(path))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect();
    // Resource files that held no resource (empty, comments only) stay as they were.
    for (path, text) in files.iter().filter(|(path, _)| is_resource_file(path)) {
        if !by_path.contains_key(path) && parse(path, text)?.documents.iter().all(|d| d.root.is_none()) {
            out.insert(path.clone(), text.clone());
        }
    }
    for (path, mut docs) in by_path {
        // Stable: resources with the same (or no) index keep the items' order.
        docs.sort_by_key(|(index, _)| *index);
        let docs: Vec<Document> = docs.into_iter().map(|(_, doc)| doc).collect();
        let text = match files.get(&path) {
            Some(original) => rewrite(&path, original, docs)?,
            None => Stream::new(docs).to_text(),
        };
        out.insert(path, text);
    }
    Ok(out)
}

/// The file `path` with `docs` for its resources: its own text when they are the documents it
/// holds, else the documents written with the file's line ends and byte-order mark.
fn rewrite(path: &str, original: &str, docs: Vec<Document>) -> Result<String> {
    let stream = parse(path, original)?;
    let before: Vec<&Document> = stream.documents.iter().filter(|d| d.root.is_some()).collect();
    if before.len() == docs.len() && before.iter().zip(&docs).all(|(a, b)| *a == b) {
        return Ok(original.to_string());
    }
    Ok(Stream { documents: docs, ..stream }.to_text())
}

fn parse(path: &str, text: &str) -> Result<Stream> {
    Stream::parse_file(path, text).map_err(|e| in_file(path, e))
}

fn in_file(path: &str, e: Error) -> Error {
    Error::Convert(format!("{path}: {e}"))
}

/// Where kyaml puts a resource that names no file: `<kind>_<name>.yaml`, lowercased.
fn default_path(doc: &Document) -> String {
    let field = |path: &[&str]| {
        doc.root
            .as_ref()
            .and_then(|r| r.get_path(path))
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string()
    };
    format!("{}_{}.yaml", field(&["kind"]), field(&["metadata", "name"])).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotations::{INDEX, PATH};

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
    }

    const KPTFILE: &str = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app # the package\n";
    const TWO: &str = "# two maps\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  list:\n    - x\n";

    #[test]
    fn an_unchanged_package_is_written_back_as_it_was() {
        let package = files(&[
            ("Kptfile", KPTFILE),
            ("maps.yaml", TWO),
            (
                "deploy/web.json",
                "{\n  \"apiVersion\": \"apps/v1\",\n  \"kind\": \"Deployment\",\n  \"metadata\": {\n    \"name\": \"web\"\n  }\n}\n",
            ),
            ("README.md", "# App\n"),
            ("empty.yaml", "# nothing here\n"),
        ]);
        let items = read(&package).unwrap();
        assert_eq!(items.len(), 4, "the Kptfile, two maps and the deployment");
        let second = &items
            .iter()
            .find(|d| {
                annotations::get(d, PATH) == Some("maps.yaml") && annotations::get(d, INDEX) == Some("1")
            })
            .unwrap();
        assert_eq!(annotations::get(second, annotations::SEQ_INDENT), Some("wide"));
        assert_eq!(write(items, &package).unwrap(), package);
    }

    #[test]
    fn changes_go_to_their_files_in_index_order_and_emptied_files_go() {
        let package = files(&[
            ("Kptfile", KPTFILE),
            ("maps.yaml", TWO),
            ("old.yaml", "kind: Old\nmetadata:\n  name: o\n"),
        ]);
        let mut items = read(&package).unwrap();
        // Reverse the order, drop `old.yaml`'s resource, change map b, add one with no path.
        items.reverse();
        items.retain(|d| annotations::get(d, PATH) != Some("old.yaml"));
        let b = items
            .iter_mut()
            .find(|d| d.root.as_ref().unwrap().get_path(&["metadata", "name"]).unwrap().as_str() == Some("b"))
            .unwrap();
        b.root
            .as_mut()
            .unwrap()
            .get_path_mut(&["metadata"])
            .unwrap()
            .set_string("namespace", "prod")
            .unwrap();
        items.push(Document::new(Node::from_json(
            &serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "Web"}}),
        )));
        let out = write(items, &package).unwrap();
        assert_eq!(out.keys().collect::<Vec<_>>(), ["Kptfile", "maps.yaml", "service_web.yaml"]);
        assert_eq!(out["Kptfile"], KPTFILE);
        assert_eq!(
            out["maps.yaml"],
            "# two maps\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: prod\ndata:\n  list:\n    - x\n"
        );
        assert_eq!(out["service_web.yaml"], "apiVersion: v1\nkind: Service\nmetadata:\n  name: Web\n");
    }

    #[test]
    fn a_file_that_does_not_parse_is_named() {
        let e = read(&files(&[("bad.yaml", "a: [b\n")])).unwrap_err();
        assert!(e.to_string().starts_with("bad.yaml: "), "{e}");
        assert!(
            !is_resource_file("docs/notes.txt")
                && is_resource_file("sub/Kptfile")
                && is_resource_file("x.yml")
        );
    }
}
