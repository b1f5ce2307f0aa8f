//! The function pipeline of a Kptfile (`pipeline.mutators`, `pipeline.validators`), as far as
//! the render frame needs it (porch-api.md §9).

use std::collections::BTreeMap;

use serde::Deserialize;

/// One function of a Kptfile `pipeline` (only what the render frame needs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct PipelineFunction {
    /// Container image, e.g. `ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4`.
    pub image: String,
    /// Executable path, the alternative to `image`.
    pub exec: String,
    /// Optional name of the step.
    pub name: String,
    /// `configMap`: the function's configuration as the data of a ConfigMap.
    pub config_map: BTreeMap<String, String>,
    /// `configPath`: the package file holding the function's configuration.
    pub config_path: String,
}

/// The function pipeline of a Kptfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pipeline {
    /// Functions that change the resources, run first.
    pub mutators: Vec<PipelineFunction>,
    /// Functions that check the resources, run after the mutators.
    pub validators: Vec<PipelineFunction>,
}
