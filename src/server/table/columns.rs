//! The print columns of every served resource (porch-api.md §1.2 and §5).

use super::{Column, human_duration};
use serde_json::Value;

fn at(o: &Value, pointer: &str) -> Value {
    o.pointer(pointer).cloned().unwrap_or(Value::Null)
}

fn age(o: &Value) -> Value {
    o.pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| human_duration(t, k8s_openapi::jiff::Timestamp::now()))
        .map_or(Value::Null, Value::String)
}

const AGE: Column = Column {
    name: "Age",
    kind: "date",
    format: "",
    description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
    priority: 0,
    cell: age,
};

/// Resources with no columns of their own (PackageRev): Name and Age, as CRDs.
pub(crate) const AGE_ONLY: &[Column] = &[AGE];

/// `.status.conditions[?(@.type=='Ready')].status`
fn ready_condition(o: &Value) -> Value {
    o.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .map_or(Value::Null, |c| c["status"].clone())
}

/// `.spec['git','oci']['repo','registry']`: the first that is set.
fn address(o: &Value) -> Value {
    ["/spec/git/repo", "/spec/git/registry", "/spec/oci/repo", "/spec/oci/registry"]
        .iter()
        .find_map(|p| o.pointer(p).filter(|v| !v.is_null()).cloned())
        .unwrap_or(Value::Null)
}

/// Repository (config.porch.kpt.dev): the CRD's additionalPrinterColumns.
pub(crate) const REPOSITORIES: &[Column] = &[
    Column {
        name: "Type",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/type"),
    },
    Column {
        name: "Content",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/content"),
    },
    Column {
        name: "Sync schedule",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/sync/schedule"),
    },
    Column {
        name: "Deployment",
        kind: "boolean",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/deployment"),
    },
    Column { name: "Ready", kind: "string", format: "", description: "", priority: 0, cell: ready_condition },
    Column { name: "Address", kind: "string", format: "", description: "", priority: 0, cell: address },
    Column {
        name: "Branch",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/git/branch"),
    },
    AGE,
];

fn revision(o: &Value) -> Value {
    o.pointer("/spec/revision").cloned().unwrap_or(Value::from(0))
}

fn latest(o: &Value) -> Value {
    Value::Bool(
        o.pointer("/metadata/labels/kpt.dev~1latest-revision").and_then(Value::as_str) == Some("true"),
    )
}

/// PackageRevision (§5).
pub(crate) const PACKAGE_REVISIONS: &[Column] = &[
    Column {
        name: "Package",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/packageName"),
    },
    Column {
        name: "WorkspaceName",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/workspaceName"),
    },
    Column { name: "Revision", kind: "integer", format: "", description: "", priority: 0, cell: revision },
    Column { name: "Latest", kind: "boolean", format: "", description: "", priority: 0, cell: latest },
    Column {
        name: "Lifecycle",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/lifecycle"),
    },
    Column {
        name: "Repository",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/repository"),
    },
];

/// PackageRevisionResources (§5).
pub(crate) const PACKAGE_REVISION_RESOURCES: &[Column] = &[
    Column {
        name: "Package",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/packageName"),
    },
    Column {
        name: "WorkspaceName",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/workspaceName"),
    },
    Column { name: "Revision", kind: "integer", format: "", description: "", priority: 0, cell: revision },
    Column {
        name: "Repository",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/repository"),
    },
    Column {
        name: "Files",
        kind: "integer",
        format: "",
        description: "",
        priority: 0,
        cell: |o| Value::from(o.pointer("/spec/resources").and_then(Value::as_object).map_or(0, |m| m.len())),
    },
];

/// PorchPackage (§5).
pub(crate) const PACKAGES: &[Column] = &[
    Column {
        name: "Package",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/packageName"),
    },
    Column {
        name: "Repository",
        kind: "string",
        format: "",
        description: "",
        priority: 0,
        cell: |o| at(o, "/spec/repository"),
    },
    Column {
        name: "Latest Revision",
        kind: "integer",
        format: "",
        description: "",
        priority: 0,
        cell: |o| o.pointer("/status/latestRevision").cloned().unwrap_or(Value::from(0)),
    },
];

/// Namespace: `NAME STATUS AGE`.
pub(crate) const NAMESPACES: &[Column] = &[
    Column {
        name: "Status",
        kind: "string",
        format: "",
        description: "The status of the namespace",
        priority: 0,
        cell: |o| at(o, "/status/phase"),
    },
    AGE,
];

/// Secret: `NAME TYPE DATA AGE`.
pub(crate) const SECRETS: &[Column] = &[
    Column {
        name: "Type",
        kind: "string",
        format: "",
        description: "The type of the secret",
        priority: 0,
        cell: |o| at(o, "/type"),
    },
    Column {
        name: "Data",
        kind: "integer",
        format: "",
        description: "The number of items in the secret",
        priority: 0,
        cell: |o| Value::from(o.get("data").and_then(Value::as_object).map_or(0, |m| m.len())),
    },
    AGE,
];
