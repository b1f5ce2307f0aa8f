//! The result of rendering a package: kpt's `FunctionResultList`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::gvk::{FUNCTION_RESULT_LIST_API_VERSION, FUNCTION_RESULT_LIST_KIND};
use crate::object::is_zero;

/// The outcome of running the render pipeline on the package resources.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct RenderStatus {
    /// Results of the functions of the pipeline.
    pub result: FunctionResultList,
    /// The render error, empty on success.
    pub error: String,
}

/// Aggregated results of the functions run by kpt (`kpt.dev/v1` `FunctionResultList`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct FunctionResultList {
    /// `kpt.dev/v1` when set.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `FunctionResultList` when set.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Object metadata of the result list.
    pub metadata: ObjectMeta,
    /// Exit code of the kpt command.
    pub exit_code: i32,
    /// Result of each function.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<FunctionResult>,
}

impl FunctionResultList {
    /// An empty list with `apiVersion` and `kind` set.
    pub fn new() -> Self {
        Self {
            api_version: FUNCTION_RESULT_LIST_API_VERSION.to_string(),
            kind: FUNCTION_RESULT_LIST_KIND.to_string(),
            ..Self::default()
        }
    }
}

/// The structured result of one function (kpt's `Result`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct FunctionResult {
    /// Full name of the image of the function; exclusive with `exec`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image: String,
    /// Path of the executable of the function, with its arguments; exclusive with `image`.
    #[serde(rename = "exec", skip_serializing_if = "String::is_empty")]
    pub exec_path: String,
    /// What the function wrote to stderr.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// Exit code of the function.
    pub exit_code: i32,
    /// The results the function reported.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ResultItem>,
}

/// One result reported by a function, e.g. a validation finding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct ResultItem {
    /// Human-readable message.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Severity: `error`, `warning` or `info`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub severity: String,
    /// The resource the result is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_ref: Option<ResourceIdentifier>,
    /// The field of the resource the result is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldRef>,
    /// The file holding the resource the result is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<FileRef>,
    /// Free-form key/value data set by tools.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// Identifies a resource of the package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceIdentifier {
    /// `apiVersion` of the resource.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `kind` of the resource.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `metadata.name` of the resource.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `metadata.namespace` of the resource.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

/// A field of a resource (kpt's `Field`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct FieldRef {
    /// Path of the field, e.g. `spec.replicas`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Current value of the field.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub current_value: String,
    /// Proposed value of the field, to fix the issue.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub proposed_value: String,
}

/// A file of the package (kpt's `File`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct FileRef {
    /// Path of the file, relative to the package.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Index of the resource within the file, when it holds several.
    #[serde(skip_serializing_if = "is_zero")]
    pub index: i32,
}
