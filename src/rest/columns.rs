//! The print columns of the porch.kpt.dev resources (porch-api.md §5): their strategies' Table
//! conversion and discovery use them.

use porch_layers::Column;
use porch_layers::json_pointer;
use serde_json::Value;

/// The value at `pointer` in `o`, or `null` (a `<none>` cell).
pub(crate) fn at(o: &Value, pointer: &str) -> Value {
    json_pointer::at(o, pointer).cloned().unwrap_or(Value::Null)
}

const PACKAGE: Column = Column::new("Package", "string", |o| at(o, "/spec/packageName"));
const WORKSPACE: Column = Column::new("WorkspaceName", "string", |o| at(o, "/spec/workspaceName"));
const REVISION: Column = Column::new("Revision", "integer", |o| {
    json_pointer::at(o, "/spec/revision").cloned().unwrap_or(Value::from(0))
});
const REPOSITORY: Column = Column::new("Repository", "string", |o| at(o, "/spec/repository"));

fn latest(o: &Value) -> Value {
    Value::Bool(
        json_pointer::at(o, "/metadata/labels/kpt.dev~1latest-revision").and_then(Value::as_str)
            == Some("true"),
    )
}

/// PackageRevision (§5).
pub(crate) const PACKAGE_REVISIONS: &[Column] = &[
    PACKAGE,
    WORKSPACE,
    REVISION,
    Column::new("Latest", "boolean", latest),
    Column::new("Lifecycle", "string", |o| at(o, "/spec/lifecycle")),
    REPOSITORY,
];

/// PackageRevisionResources (§5).
pub(crate) const PACKAGE_REVISION_RESOURCES: &[Column] = &[
    PACKAGE,
    WORKSPACE,
    REVISION,
    REPOSITORY,
    Column::new("Files", "integer", |o| {
        Value::from(json_pointer::at(o, "/spec/resources").and_then(Value::as_object).map_or(0, |m| m.len()))
    }),
];

/// PorchPackage (§5).
pub(crate) const PACKAGES: &[Column] = &[
    PACKAGE,
    REPOSITORY,
    Column::new("Latest Revision", "integer", |o| {
        json_pointer::at(o, "/status/latestRevision").cloned().unwrap_or(Value::from(0))
    }),
];
