//! `set-labels`: puts labels on every resource of a package and on the fields that select
//! or template by them.
//!
//! [`SetLabels::V0_1`] (catalog v0.1.5) is kustomize's LabelTransformer with the
//! `commonLabels` field specs; see [`super::kustomize`] for its configuration, results and
//! errors. Local-config resources get labels too.
//!
//! [`SetLabels::V0_2`] (catalog v0.2.0 and v0.2.1, `setlabels/transformer.go`):
//! - configuration: a `ConfigMap` (its `data`), or `fn.kpt.dev/<any version>` `SetLabels` with
//!   `labels`; another kind fails the run (``unknown FunctionConfig `…`, expect
//!   `SetLabels.fn.kpt.dev` or `ConfigMap.v1` ``). Without one (or with kpt's empty
//!   `function-input` ConfigMap) it reports "`FunctionConfig` is not given" and fails; with no
//!   labels it warns and changes nothing;
//! - local-config resources are left alone; without other resources it reports
//!   "no input resources";
//! - each label (in key order) is set in `metadata.labels`; a Service's and a
//!   ReplicationController's `spec.selector`; `spec.selector.matchLabels` of a Deployment,
//!   ReplicaSet, DaemonSet or (apps) StatefulSet, and of a (batch) Job or (policy)
//!   PodDisruptionBudget where the label is already there with another value; a (networking)
//!   NetworkPolicy's `spec.podSelector.matchLabels` and each ingress `from` / egress `to`
//!   `podSelector.matchLabels`, likewise only where set; the pod template (`spec.template`:
//!   `metadata.labels`, and, only where set, `topologySpreadConstraints[].labelSelector
//!   .matchLabels`) of a ReplicationController, Deployment, ReplicaSet, DaemonSet, StatefulSet
//!   or Job; a (batch) CronJob's `spec.jobTemplate` (`metadata.labels`, its
//!   `spec.selector.matchLabels` where set, its pod template); each of a StatefulSet's
//!   `volumeClaimTemplates` (`metadata.labels`, and its top-level `selector.matchLabels` where
//!   set: not `spec.selector`, where claims have it). Like the catalog function, it looks for
//!   pod (anti-)affinity terms beside `podAffinity` instead of inside it, so affinity selectors
//!   are in effect never written; and a kind is matched in any group unless one is named above;
//! - results: "set N labels in total" (N counts every label at every field looked at, written
//!   or not), and an error result per resource with a field of the wrong type (the resource
//!   keeps what was set before it; the run fails). A pod template with such a field ends that
//!   resource's changes silently. A CronJob whose `jobTemplate` has no `spec` makes the catalog
//!   function crash (a nil pointer dereference): the run fails with exit code 2.

use std::collections::BTreeMap;

use porch_krm::{Node, NodeKind, ResourceList};

use super::kustomize::Transformer;
use super::sdk::{self, Gvk, Origin};
use crate::go::{self, Json};
use crate::kustomize::common::COMMON_LABELS;
use crate::result::{FnResult, Severity};
use crate::{Function, Outcome, object};

/// The kustomize transformer of v0.1.
const V0_1: Transformer = Transformer {
    noun: "label",
    entries_field: "labels",
    additional_field: "additionalLabelFields",
    kinds: ["SetLabels", "SetLabelConfig"],
    wrong_config: "`functionConfig` must be either a `ConfigMap` or `SetLabels`",
    defaults: COMMON_LABELS,
};

/// The SDK's message when it finds no configuration.
const NOT_GIVEN: &str = "`FunctionConfig` is not given";
/// The name kpt gives the ConfigMap of a step's `configMap`.
const FUNCTION_INPUT: &str = "function-input";
/// What the catalog function's crash reads as.
const NIL_DEREFERENCE: &str = "panic: runtime error: invalid memory address or nil pointer dereference";

/// The function, by catalog version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SetLabels {
    /// v0.1.5: kustomize's LabelTransformer.
    V0_1,
    /// v0.2.0 and v0.2.1: the SDK function.
    #[default]
    V0_2,
}

impl Function for SetLabels {
    fn run(&self, list: &mut ResourceList) -> Outcome {
        match self {
            Self::V0_1 => V0_1.run(list),
            Self::V0_2 => run_v0_2(list),
        }
    }
}

/// Why a resource's changes stopped.
enum Stop {
    /// An error result.
    Error(String),
    /// The catalog function crashes.
    Crash,
}

impl From<String> for Stop {
    fn from(message: String) -> Self {
        Self::Error(message)
    }
}

/// A run that reports only `message`, an error.
fn fail(message: String, exit_code: i32) -> Outcome {
    Outcome { results: vec![FnResult::general(message, Severity::Error)], exit_code }
}

/// v0.2: the SDK's runner (configuration), then the function's `Run`.
fn run_v0_2(list: &mut ResourceList) -> Outcome {
    let config = list.function_config.as_ref();
    let mut results = Vec::new();
    if let Some(config) = config.filter(|c| c.kind() != NodeKind::Mapping) {
        // The SDK fails to read the list, and writes nothing back.
        let kind = if config.kind() == NodeKind::Sequence { "sliceVariant" } else { "scalarVariant" };
        return fail(
            format!("failed when tried to get functionConfig: wrong type, got: *internal.{kind}"),
            1,
        );
    }
    let config = config.filter(|c| c.as_mapping().is_some_and(|m| !m.is_empty()));
    let labels = match config {
        Some(c) if !is_function_input(c, true) => match read_config(c) {
            Ok(labels) => labels,
            Err(message) => {
                results.push(FnResult::general(message, Severity::Error));
                return Outcome { results, exit_code: 1 };
            }
        },
        _ => {
            results.push(FnResult::general(NOT_GIVEN, Severity::Info));
            None
        }
    };
    let mut objects: Vec<&mut Node> = list
        .items
        .iter_mut()
        .filter_map(|d| d.root.as_mut())
        .filter(|o| !object::is_local_config(o))
        .collect();
    if objects.is_empty() {
        results.push(FnResult::general("no input resources", Severity::Info));
        return Outcome { results, exit_code: 0 };
    }
    if config.is_none_or(|c| {
        is_function_input(c, false) || (object::kind(c).is_empty() && object::name(c).is_empty())
    }) {
        return Outcome { results, exit_code: 1 };
    }
    let labels = labels.unwrap_or_default();
    if labels.is_empty() {
        results
            .push(FnResult::general("no `labels` arguments are given in FunctionConfig", Severity::Warning));
        return Outcome { results, exit_code: 0 };
    }
    let mut run = Run { labels: &labels, count: 0 };
    let mut failed = false;
    for o in &mut objects {
        match run.object(o) {
            Ok(()) => {}
            Err(Stop::Error(message)) => {
                failed = true;
                results.push(FnResult::general(message, Severity::Error));
            }
            // The process dies: nothing it reported is written.
            Err(Stop::Crash) => return fail(NIL_DEREFERENCE.into(), 2),
        }
    }
    results.push(FnResult::general(format!("set {} labels in total", run.count), Severity::Info));
    Outcome { results, exit_code: i32::from(failed) }
}

/// Whether `config` is kpt's placeholder ConfigMap `function-input` with empty `data`: as the
/// SDK's runner checks it (`strict`: `data` must be there and decode without error), or as the
/// function's own check does.
fn is_function_input(config: &Node, strict: bool) -> bool {
    if object::kind(config) != "ConfigMap" || object::name(config) != FUNCTION_INPUT {
        return false;
    }
    match sdk::nested_string_map(config, "data") {
        Ok(Some(data)) => data.entries.is_empty() && (data.complete || !strict),
        Ok(None) | Err(()) => !strict,
    }
}

/// The labels of a configuration, as the SDK's runner assigns them to `SetLabels.Labels`.
fn read_config(config: &Node) -> Result<Option<BTreeMap<String, String>>, String> {
    let gvk = Gvk::of(config);
    if gvk.group_kind_is("", "ConfigMap") {
        return match sdk::nested_string_map(config, "data") {
            Ok(data) => Ok(data.map(|data| data.entries)),
            Err(()) => Err(Origin::of(config).unmatched(&["data"], "map[string]string")),
        };
    }
    if gvk.group_kind_is("fn.kpt.dev", "SetLabels") {
        let error = |e: String| format!("unable to convert object to *setlabels.SetLabels with error: {e}");
        let Some(labels) = config.get("labels") else { return Ok(None) };
        return match go::yaml12(labels) {
            Json::Null => Ok(None),
            Json::Object => decode_labels(labels).map(Some).map_err(error),
            other => Err(error(go::type_error(other.kind(), "SetLabels", "labels", "map[string]string"))),
        };
    }
    Err(format!(
        "unknown FunctionConfig `{}`, expect `SetLabels.fn.kpt.dev` or `ConfigMap.v1`",
        gvk.group_kind()
    ))
}

/// `labels` decoded by `encoding/json` into a `map[string]string`: strings (and nulls, as
/// empty) only; the first other value in key order is the error.
fn decode_labels(labels: &Node) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for (key, value) in go::sorted_pairs(labels) {
        match go::yaml12(value) {
            Json::String(s) => map.insert(key.to_string(), s),
            Json::Null => map.insert(key.to_string(), String::new()),
            other => return Err(go::type_error(other.kind(), "SetLabels", "labels", "string")),
        };
    }
    Ok(map)
}

/// One run over the resources: the labels, and how many label fields were looked at.
struct Run<'a> {
    labels: &'a BTreeMap<String, String>,
    count: usize,
}

impl Run<'_> {
    /// Every label field of one resource.
    fn object(&mut self, o: &mut Node) -> Result<(), Stop> {
        let gvk = Gvk::of(o);
        let root = Origin::of(o);
        self.update_labels(o, &root, &["metadata", "labels"], true)?;
        if gvk.is("", "v1", "Service") || gvk.is("", "v1", "ReplicationController") {
            self.update_labels(o, &root, &["spec", "selector"], true)?;
        }
        if let Some(create) = label_selector(&gvk) {
            self.update_labels(o, &root, &["spec", "selector", "matchLabels"], create)?;
        }
        let network_policy = gvk.is("networking.k8s.io", "", "NetworkPolicy");
        if network_policy {
            self.update_labels(o, &root, &["spec", "podSelector", "matchLabels"], false)?;
        }
        let Some(spec) = sdk::get_map(o, "spec") else { return Ok(()) };
        let spec_origin = root.child("spec");
        if has_pod_template(&gvk)
            && self.pod(sdk::get_map(spec, "template"), &spec_origin.child("template")).is_err()
        {
            // The catalog function ends the resource here without a result.
            return Ok(());
        }
        if gvk.is("batch", "", "CronJob") {
            self.job(sdk::get_map(spec, "jobTemplate"), &spec_origin.child("jobTemplate"))?;
        }
        if gvk.is("apps", "", "StatefulSet") {
            for volume in sdk::nested_slice(spec, &spec_origin, "volumeClaimTemplates")? {
                self.update_labels(volume, &Origin::default(), &["metadata", "labels"], true)?;
                self.update_labels(volume, &Origin::default(), &["selector", "matchLabels"], false)?;
            }
        }
        if network_policy {
            for (rules, peers) in [("ingress", "from"), ("egress", "to")] {
                for rule in sdk::get_slice(spec, rules) {
                    for peer in sdk::get_slice(rule, peers) {
                        self.update_labels(peer, &Origin::default(), &["podSelector", "matchLabels"], false)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A CronJob's job template.
    fn job(&mut self, job: Option<&mut Node>, origin: &Origin) -> Result<(), Stop> {
        let Some(job) = job else { return Ok(()) };
        self.update_labels(job, origin, &["metadata", "labels"], true)?;
        let Some(spec) = sdk::get_map(job, "spec") else { return Err(Stop::Crash) };
        let spec_origin = origin.child("spec");
        self.update_labels(spec, &spec_origin, &["selector", "matchLabels"], false)?;
        Ok(self.pod(sdk::get_map(spec, "template"), &spec_origin.child("template"))?)
    }

    /// A pod template.
    fn pod(&mut self, pod: Option<&mut Node>, origin: &Origin) -> Result<(), String> {
        let Some(pod) = pod else { return Ok(()) };
        self.update_labels(pod, origin, &["metadata", "labels"], true)?;
        let Some(spec) = sdk::get_map(pod, "spec") else { return Ok(()) };
        if sdk::has(spec, "topologySpreadConstraints") {
            for constraint in sdk::get_slice(spec, "topologySpreadConstraints") {
                self.update_labels(constraint, &Origin::default(), &["labelSelector", "matchLabels"], false)?;
            }
        }
        let Some(affinity) = sdk::get_map(spec, "affinity") else { return Ok(()) };
        for kind in ["podAffinity", "podAntiAffinity"] {
            if sdk::get_map(affinity, kind).is_none() {
                continue;
            }
            // As the catalog function does: the terms are looked for in `affinity` itself, beside
            // `podAffinity` / `podAntiAffinity`, where they never are.
            for term in sdk::get_slice(affinity, "preferredDuringSchedulingIgnoredDuringExecution") {
                if let Some(term) = sdk::get_map(term, "podAffinityTerm") {
                    let origin = Origin::default().child("podAffinityTerm");
                    self.update_labels(term, &origin, &["labelSelector", "matchLabels"], false)?;
                }
            }
            for term in sdk::get_slice(affinity, "requiredDuringSchedulingIgnoredDuringExecution") {
                self.update_labels(term, &Origin::default(), &["labelSelector", "matchLabels"], false)?;
            }
        }
        Ok(())
    }

    /// `updateLabels`: each label at `path` below `node`, set where it has another value, or
    /// where it is missing if `create`; counted either way.
    fn update_labels(
        &mut self,
        node: &mut Node,
        origin: &Origin,
        path: &[&str],
        create: bool,
    ) -> Result<(), String> {
        for (key, value) in self.labels {
            let fields: Vec<&str> = path.iter().copied().chain([key.as_str()]).collect();
            let set = match sdk::nested_string(node, origin, &fields)? {
                Some(old) => old != *value,
                None => create,
            };
            if set {
                sdk::set_nested_string(node, &fields, value)?;
            }
            self.count += 1;
        }
        Ok(())
    }
}

/// Whether a kind has a `spec.selector.matchLabels` the function writes, and whether it
/// creates it.
fn label_selector(gvk: &Gvk) -> Option<bool> {
    if gvk.is("", "", "Deployment")
        || gvk.is("", "", "ReplicaSet")
        || gvk.is("", "", "DaemonSet")
        || gvk.is("apps", "", "StatefulSet")
    {
        return Some(true);
    }
    (gvk.is("batch", "", "Job") || gvk.is("policy", "", "PodDisruptionBudget")).then_some(false)
}

/// Whether a kind has a pod template at `spec.template` the function writes.
fn has_pod_template(gvk: &Gvk) -> bool {
    gvk.is("", "v1", "ReplicationController")
        || gvk.is("", "", "Deployment")
        || gvk.is("", "", "ReplicaSet")
        || gvk.is("", "", "DaemonSet")
        || gvk.is("apps", "", "StatefulSet")
        || gvk.is("batch", "", "Job")
}
