//! What a function reports: kpt's `results` items (`{message, severity, resourceRef, field,
//! file, tags}`), typed, and written into a ResourceList as kpt reads them.

use porch_krm::{Node, ResourceList, annotations};

use crate::object;

/// How bad a result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The function failed.
    Error,
    /// Worth a look.
    Warning,
    /// For the record.
    Info,
}

impl Severity {
    /// As written in a result.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// The object a result is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceRef {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (empty when none).
    pub namespace: String,
}

/// The file of the object a result is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileRef {
    /// Path in the package.
    pub path: String,
    /// Index of the object in the file (-1: unknown).
    pub index: i64,
}

impl ResourceRef {
    /// `object` as a result names it.
    pub fn of(object: &Node) -> Self {
        Self {
            api_version: object::api_version(object).into(),
            kind: object::kind(object).into(),
            name: object::name(object).into(),
            namespace: object::namespace(object).unwrap_or_default().into(),
        }
    }
}

impl FileRef {
    /// The file of `object`, from kpt's path and index annotations (internal, else legacy);
    /// index -1 when it has none.
    pub fn of(object: &Node) -> Self {
        Self {
            path: annotations::path_of(object).unwrap_or_default().into(),
            index: annotations::index_of(object).and_then(|i| i.parse().ok()).unwrap_or(-1),
        }
    }
}

/// The field of the object a result is about (kpt's `field`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldRef {
    /// Its path in the object (`spec.template.spec.containers[0].image`).
    pub path: String,
    /// Its value before the function ran, when reported.
    pub current_value: Option<String>,
    /// The value the function set or proposes, when reported.
    pub proposed_value: Option<String>,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnResult {
    /// What happened.
    pub message: String,
    /// How bad it is.
    pub severity: Severity,
    /// The object concerned, if one is.
    pub resource_ref: Option<ResourceRef>,
    /// The field concerned, if one is.
    pub field: Option<FieldRef>,
    /// Its file, if known.
    pub file: Option<FileRef>,
}

impl FnResult {
    /// A result about no object in particular.
    pub fn general(message: impl Into<String>, severity: Severity) -> Self {
        Self { message: message.into(), severity, resource_ref: None, field: None, file: None }
    }

    /// A result about `object` (its identity and file).
    pub fn about(message: impl Into<String>, severity: Severity, object: &Node) -> Self {
        Self {
            message: message.into(),
            severity,
            resource_ref: Some(ResourceRef::of(object)),
            field: None,
            file: Some(FileRef::of(object)),
        }
    }

    /// Whether this result fails the run.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The result as a `results` item.
    pub fn to_node(&self) -> Node {
        let mut item = Node::mapping();
        let put = |node: &mut Node, key: &str, value: &str| {
            // Fresh mappings take any key.
            let _ = node.set(key, Node::string(value));
        };
        put(&mut item, "message", &self.message);
        put(&mut item, "severity", self.severity.as_str());
        if let Some(r) = &self.resource_ref {
            // Every field is left out when empty, as kpt writes it (`resourceRef: {}`).
            let mut node = Node::mapping();
            for (key, value) in [
                ("apiVersion", &r.api_version),
                ("kind", &r.kind),
                ("name", &r.name),
                ("namespace", &r.namespace),
            ] {
                if !value.is_empty() {
                    put(&mut node, key, value);
                }
            }
            let _ = item.set("resourceRef", node);
        }
        if let Some(f) = &self.field {
            // kpt's `field` is written when set; its fields are left out when empty.
            let mut node = Node::mapping();
            for (key, value) in [
                ("path", Some(&f.path)),
                ("currentValue", f.current_value.as_ref()),
                ("proposedValue", f.proposed_value.as_ref()),
            ] {
                if let Some(value) = value.filter(|v| !v.is_empty()) {
                    put(&mut node, key, value);
                }
            }
            let _ = item.set("field", node);
        }
        if let Some(f) = self.file.as_ref().filter(|f| !f.path.is_empty() || f.index != 0) {
            let mut node = Node::mapping();
            if !f.path.is_empty() {
                put(&mut node, "path", &f.path);
            }
            if f.index != 0 {
                let _ = node.set("index", Node::int(f.index));
            }
            let _ = item.set("file", node);
        }
        item
    }
}

/// Appends `results` to `list.results` (made a list when there is none).
pub fn record(list: &mut ResourceList, results: &[FnResult]) {
    if results.is_empty() {
        return;
    }
    let node = list.results.get_or_insert_with(Node::sequence);
    if node.as_sequence().is_none() {
        *node = Node::sequence();
    }
    for result in results {
        // A sequence takes any item.
        let _ = node.push(result.to_node());
    }
}

/// A walk path as the catalog reports it: without its first leading dot.
pub(crate) fn trim_dot(path: &str) -> String {
    path.strip_prefix('.').unwrap_or(path).to_string()
}
