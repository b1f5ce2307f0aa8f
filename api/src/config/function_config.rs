//! FunctionConfig: how Porch runs one KRM function image — as a binary on the server
//! (`binaryExecutor`), as Go code compiled into Porch (`goExecutor`), or in a pod of the function
//! runner (`podExecutor`). Porch's `api/porchconfig/v1alpha1/function_config_types.go`.

// `KubeSchema` copies each struct, visibility included, into a private scope.
#![allow(unreachable_pub)]
// Three `printcolumn`s of type integer repeat `type_ = "integer"` inside `#[kube(...)]`.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::api::core::v1::{EnvFromSource, EnvVar, PodSecurityContext, ResourceRequirements};
use kube::CustomResource;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::object::is_zero;

/// Default of `spec.podExecutor.timeToLive`.
pub const DEFAULT_POD_TIME_TO_LIVE: &str = "30m";

/// The message of the CEL rule on `spec`.
pub const AT_LEAST_ONE_EXECUTOR: &str = "At least one configuration must be specified";

/// Which image a FunctionConfig configures and how that image is run.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[kube(
    group = "config.porch.kpt.dev",
    version = "v1alpha1",
    kind = "FunctionConfig",
    plural = "functionconfigs",
    singular = "functionconfig",
    namespaced,
    status = "FunctionConfigStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = "FunctionConfig says how Porch runs the KRM function image it names",
    printcolumn(
        name = "Server Applied",
        type_ = "integer",
        json_path = ".status.apiServerObservedGeneration"
    ),
    printcolumn(
        name = "FnRunner Applied",
        type_ = "integer",
        json_path = ".status.functionRunnerObservedGeneration"
    ),
    printcolumn(
        name = "Controller Applied",
        type_ = "integer",
        json_path = ".status.controllerObservedGeneration"
    )
)]
#[x_kube(validation = Rule::new("has(self.podExecutor) || has(self.binaryExecutor) || has(self.goExecutor)")
    .message("At least one configuration must be specified"))]
#[serde(rename_all = "camelCase")]
pub struct FunctionConfigSpec {
    /// The image's name: the last segment of its path, without registry, repository or tag
    /// (e.g. `set-namespace`).
    #[schemars(length(min = 1))]
    pub image: String,
    /// The image repositories (before the last `/`) this configuration applies to, matched at
    /// their start; `""` stands for the default image prefix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<String>,
    /// Run the image in a pod of the function runner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_executor: Option<PodExecutorConfig>,
    /// Run a binary on the server instead of the image, for the tags listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_executor: Option<BinaryExecutorConfig>,
    /// Run Go code compiled into Porch instead of the image, for the tags listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go_executor: Option<GoExecutorConfig>,
}

impl FunctionConfigSpec {
    /// Whether an executor is configured (the CEL rule on `spec`).
    pub fn has_executor(&self) -> bool {
        self.pod_executor.is_some() || self.binary_executor.is_some() || self.go_executor.is_some()
    }
}

/// Which generation of the configuration each Porch component has applied.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FunctionConfigStatus {
    /// The generation the porch server has applied to its builtin runtime.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub api_server_observed_generation: i64,
    /// The generation the function runner has applied to its executable and pod evaluators.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub function_runner_observed_generation: i64,
    /// The generation the porch controllers have applied to their builtin runtime.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub controller_observed_generation: i64,
    /// Why the configuration could not be applied, if it could not.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
}

/// How the function runner runs the image in pods.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodExecutorConfig {
    /// Image tags the pod configuration applies to (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// How long an idle pod is kept, as a Go duration (`30m` when not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "30m", "format" = "duration"))]
    pub time_to_live: Option<String>,
    /// How many evaluations may run at once.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_parallel_executions: i64,
    /// How many evaluations may wait before more pods are preferred.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub preferred_max_queue_length: i64,
    /// Changes to the pod template of the function's pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_overrides: Option<TemplateOverrides>,
}

/// Changes to the pod template of a function's pods.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateOverrides {
    /// The pod's ServiceAccount.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_account_name: String,
    /// The pod's security context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    /// Changes to the init container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_container: Option<ContainerOverrides>,
    /// Changes to the function's container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerOverrides>,
}

/// Changes to one container of a function's pod.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerOverrides {
    /// Resource requests and limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Environment from ConfigMaps and Secrets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_from: Vec<EnvFromSource>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
}

/// A binary that stands in for the image.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BinaryExecutorConfig {
    /// Image tags which can be substituted with the binary.
    #[schemars(length(min = 1))]
    pub tags: Vec<String>,
    /// The binary: an absolute path, or one relative to the server's functions directory.
    #[schemars(length(min = 1))]
    pub path: String,
}

/// Go code compiled into Porch that stands in for the image.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoExecutorConfig {
    /// Image tags which can be substituted with the Go function.
    #[schemars(length(min = 1))]
    pub tags: Vec<String>,
    /// How the function is registered in Porch's Go executor (`spec.image` when not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}
