//! `set-annotations` (catalog v0.1.4): kustomize's AnnotationsTransformer, putting annotations
//! on every resource (`metadata.annotations`, local-config resources included) and on the pod
//! templates of ReplicationControllers, Deployments, ReplicaSets, DaemonSets, StatefulSets,
//! Jobs and CronJobs (`spec.template`, `spec.jobTemplate` and its template), plus the fields
//! the configuration's `additionalAnnotationFields` name.
//!
//! Configuration: a `ConfigMap` (its `data`), or `fn.kpt.dev/v1alpha1` `SetAnnotations` (or the
//! legacy `SetAnnotationConfig`) with `annotations` and `additionalAnnotationFields` (or the
//! deprecated `fieldSpecs`). See [`super::kustomize`] for how it is read, what fails ("input
//! annotation list cannot be empty", ``…must be a `ConfigMap` or `SetAnnotations` ``) and what
//! is reported.

use porch_krm::ResourceList;

use super::kustomize::Transformer;
use crate::kustomize::common::COMMON_ANNOTATIONS;
use crate::{Function, Outcome};

/// The kustomize transformer.
const TRANSFORMER: Transformer = Transformer {
    noun: "annotation",
    entries_field: "annotations",
    additional_field: "additionalAnnotationFields",
    kinds: ["SetAnnotations", "SetAnnotationConfig"],
    wrong_config: "`functionConfig` must be a `ConfigMap` or `SetAnnotations`",
    defaults: COMMON_ANNOTATIONS,
};

/// The function (v0.1.4).
#[derive(Debug, Clone, Copy, Default)]
pub struct SetAnnotations;

impl Function for SetAnnotations {
    fn run(&self, list: &mut ResourceList) -> Outcome {
        TRANSFORMER.run(list)
    }
}
