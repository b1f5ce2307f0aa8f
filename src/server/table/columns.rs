//! The print columns of every served resource (porch-api.md §1.2 and §5).

use super::Column;
use crate::rest::columns::at;
use porch_layers::json_pointer;
use serde_json::Value;

/// Resources with no columns of their own (PackageRev): Name and Age, as CRDs.
pub(crate) const AGE_ONLY: &[Column] = &[AGE];

const AGE: Column = Column::AGE;

/// `.status.conditions[?(@.type=='Ready')].status`
fn ready_condition(o: &Value) -> Value {
    json_pointer::at(o, "/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .map_or(Value::Null, |c| c["status"].clone())
}

/// `.spec['git','oci']['repo','registry']`: the first that is set.
fn address(o: &Value) -> Value {
    ["/spec/git/repo", "/spec/git/registry", "/spec/oci/repo", "/spec/oci/registry"]
        .iter()
        .find_map(|p| json_pointer::at(o, p).filter(|v| !v.is_null()).cloned())
        .unwrap_or(Value::Null)
}

/// Repository (config.porch.kpt.dev): the CRD's additionalPrinterColumns.
pub(crate) const REPOSITORIES: &[Column] = &[
    Column::new("Type", "string", |o| at(o, "/spec/type")),
    Column::new("Content", "string", |o| at(o, "/spec/content")),
    Column::new("Sync schedule", "string", |o| at(o, "/spec/sync/schedule")),
    Column::new("Deployment", "boolean", |o| at(o, "/spec/deployment")),
    Column::new("Ready", "string", ready_condition),
    Column::new("Address", "string", address),
    Column::new("Branch", "string", |o| at(o, "/spec/git/branch")),
    AGE,
];

pub(crate) use crate::rest::columns::{PACKAGE_REVISION_RESOURCES, PACKAGE_REVISIONS, PACKAGES};

/// Namespace: `NAME STATUS AGE`.
pub(crate) const NAMESPACES: &[Column] = &[
    Column {
        description: "The status of the namespace",
        ..Column::new("Status", "string", |o| at(o, "/status/phase"))
    },
    AGE,
];

/// Secret: `NAME TYPE DATA AGE`.
pub(crate) const SECRETS: &[Column] = &[
    Column { description: "The type of the secret", ..Column::new("Type", "string", |o| at(o, "/type")) },
    Column {
        description: "The number of items in the secret",
        ..Column::new("Data", "integer", |o| {
            Value::from(o.get("data").and_then(Value::as_object).map_or(0, |m| m.len()))
        })
    },
    AGE,
];
