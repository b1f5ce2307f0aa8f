//! `set-namespace` (catalog v0.4): moves a package's resources to another namespace.
//!
//! Configuration: a `ConfigMap` with `data.namespace` (and optionally `data.namespaceMatcher`),
//! the `kptfile.kpt.dev` ConfigMap with `data.name`, or `fn.kpt.dev/v1alpha1 SetNamespace`
//! with `namespace` (and `namespaceMatcher`). A bad configuration is an error result; the run
//! still exits 0 from v0.4.2 on, and fails (exit 1) in v0.4.1 and before.
//!
//! Local-config resources are left alone. What changes, in this order:
//! - cluster-scoped resources with namespace fields: a `Namespace`'s name (matched by its
//!   upstream name), a CRD's `spec.conversion.webhook.clientConfig.service.namespace`, an
//!   APIService's `spec.service.namespace`, the `namespace` of each subject of a
//!   (Cluster)RoleBinding that has one; like the catalog function, the CRD and APIService fields
//!   are written even where they were missing (as `default` when not changed);
//! - every namespaced resource's `metadata.namespace` (missing counts as `default`);
//! - `config.kubernetes.io/depends-on` annotations naming a namespaced resource of the input.
//!
//! Without a matcher every namespace changes, which needs the resources' upstream namespaces
//! (`internal.kpt.dev/upstream-identifier`) to agree; with one, only values equal to it (or of
//! resources whose upstream namespace is it) change. Resources without an upstream identity
//! get a warning each.

use std::collections::{BTreeSet, HashSet};

use porch_krm::{Node, ResourceList};

use crate::object::{self, CLUSTER, DEFAULT_NAMESPACE};
use crate::result::{FnResult, Severity};
use crate::{Function, Outcome};

const CONFIG_API_VERSION: &str = "fn.kpt.dev/v1alpha1";
const CONFIG_KIND: &str = "SetNamespace";
/// The ConfigMap kpt generates from the package's Kptfile.
const KPTFILE_CONFIG_MAP: &str = "kptfile.kpt.dev";
const DEPENDS_ON: &str = "config.kubernetes.io/depends-on";
const EXPECTED_CONFIG: &str = "expect `ConfigMap.v1` or `SetNamespace.v1alpha1.fn.kpt.dev`";

/// The function.
#[derive(Debug, Clone, Copy, Default)]
pub struct SetNamespace {
    /// Whether a bad configuration fails the run (v0.4.1 and before).
    pub fails_on_bad_config: bool,
}

impl Function for SetNamespace {
    fn run(&self, list: &mut ResourceList) -> Outcome {
        match Config::read(list.function_config.as_ref()) {
            Ok(config) => Outcome { results: config.transform(&mut list.items), exit_code: 0 },
            Err(message) => Outcome {
                results: vec![config_error(message, list.function_config.as_ref())],
                exit_code: i32::from(self.fails_on_bad_config),
            },
        }
    }
}

/// The error result of a bad configuration: about the configuration object.
fn config_error(message: String, config: Option<&Node>) -> FnResult {
    match config {
        Some(config) => FnResult::about(message, Severity::Error, config),
        None => FnResult {
            resource_ref: Some(Default::default()),
            file: Some(crate::result::FileRef { path: String::new(), index: -1 }),
            ..FnResult::general(message, Severity::Error)
        },
    }
}

/// What to set, and which values to change.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Config {
    namespace: String,
    matcher: Option<String>,
}

impl Config {
    fn read(config: Option<&Node>) -> Result<Self, String> {
        let Some(config) = config.filter(|c| c.as_mapping().is_some_and(|m| !m.is_empty())) else {
            return Err(format!(
                "FunctionConfig is missing. Expect `ConfigMap.v1` or `{CONFIG_KIND}.v1alpha1.fn.kpt.dev`"
            ));
        };
        let field =
            |keys: &[&str]| object::nested_str(config, keys).filter(|v| !v.is_empty()).map(str::to_string);
        if object::is(config, "v1", "ConfigMap") {
            let matcher = field(&["data", "namespaceMatcher"]);
            if let Some(namespace) = field(&["data", "namespace"]) {
                return Ok(Self { namespace, matcher });
            }
            if let Some(namespace) =
                field(&["data", "name"]).filter(|_| object::name(config) == KPTFILE_CONFIG_MAP)
            {
                return Ok(Self { namespace, matcher });
            }
            return Err("`data.namespace` should not be empty".into());
        }
        if object::is(config, CONFIG_API_VERSION, CONFIG_KIND) {
            let namespace = field(&["namespace"]).ok_or("`namespace` should not be empty")?;
            return Ok(Self { namespace, matcher: field(&["namespaceMatcher"]) });
        }
        Err(format!(
            "unknown functionConfig Kind={} ApiVersion={}, {EXPECTED_CONFIG}",
            object::kind(config),
            object::api_version(config)
        ))
    }

    fn transform(&self, items: &mut [porch_krm::Document]) -> Vec<FnResult> {
        let mut objects: Vec<&mut Node> = items
            .iter_mut()
            .filter_map(|d| d.root.as_mut())
            .filter(|o| !object::is_local_config(o))
            .collect();
        let referable: HashSet<String> = objects
            .iter()
            .map(|o| object::identity(o))
            .filter(|id| id.namespace != CLUSTER)
            .map(|id| depends_on_ref(&id.group, &id.namespace, &id.kind, &id.name))
            .collect();
        let mut results = Vec::new();
        let mut origins = BTreeSet::new();
        for o in &objects {
            if !object::has_upstream_origin(o) {
                let message = format!("{} does not have upstream origin.", object::short_string(o));
                results.push(FnResult::general(message, Severity::Warning));
                continue;
            }
            if !object::is_namespaced(o) {
                continue;
            }
            let origin = object::origin(o);
            if origin.namespace == CLUSTER {
                return vec![FnResult::general(
                    format!(
                        "{} is namespace-scoped, but has cluster-scoped or unknown scoepd origin {}|{}|{}|{}",
                        object::short_string(o),
                        origin.group,
                        origin.kind,
                        origin.namespace,
                        origin.name
                    ),
                    Severity::Error,
                )];
            }
            origins.insert(origin.namespace);
        }
        if self.matcher.is_none() && origins.len() > 1 {
            return vec![FnResult::general(
                format!(
                    "unable to use origin `namespace` to match. expect a single upstream namespace, found {}. please \
                     switch to use `namespaceMatcher`to specify the namespace value you want to change",
                    go_list(&origins)
                ),
                Severity::Error,
            )];
        }
        let mut walk = Walk { config: self, results: Vec::new(), count: 0, old: BTreeSet::new() };
        for o in objects.iter_mut().filter(|o| !object::is_namespaced(o)) {
            walk.cluster_scoped(o);
        }
        for o in objects.iter_mut().filter(|o| object::is_namespaced(o)) {
            let origin = object::origin(o).namespace;
            let id = object::short_string(o);
            let current = object::namespace(o).unwrap_or_default().to_string();
            if let Some(new) = walk.visit(&origin, &current, Some(&id)) {
                object::set_nested_str(o, &["metadata", "namespace"], &new);
            }
        }
        results.append(&mut walk.results);
        results.push(summary("namespace", walk.count, &self.namespace, &walk.old));
        let (count, old) = self.depends_on(&mut objects, &referable);
        results.push(summary("`depends-on` annotation namespace", count, &self.namespace, &old));
        results
    }

    /// Moves the `depends-on` annotations that name a namespaced resource of the input.
    fn depends_on(
        &self,
        objects: &mut [&mut Node],
        referable: &HashSet<String>,
    ) -> (usize, BTreeSet<String>) {
        let mut count = 0;
        let mut old = BTreeSet::new();
        for o in objects.iter_mut() {
            let Some(value) = object::annotation(o, DEPENDS_ON) else { continue };
            let Some(segments) = namespaced_reference(value) else { continue };
            if !referable.contains(value) || segments[2] == self.namespace {
                continue;
            }
            if self.matcher.as_ref().is_some_and(|m| *m != segments[2]) {
                continue;
            }
            old.insert(segments[2].clone());
            let mut moved = segments;
            moved[2].clone_from(&self.namespace);
            count += 1;
            object::set_annotation(o, DEPENDS_ON, &moved.join("/"));
        }
        (count, old)
    }
}

/// The namespace values one run changes.
struct Walk<'a> {
    config: &'a Config,
    results: Vec<FnResult>,
    count: usize,
    old: BTreeSet<String>,
}

impl Walk<'_> {
    /// The value a namespace field `current` (of a resource whose upstream namespace is
    /// `origin`, named `id` in messages) is written back as, when it is written at all.
    fn visit(&mut self, origin: &str, current: &str, id: Option<&str>) -> Option<String> {
        if origin == CLUSTER {
            return None;
        }
        let read = current;
        let current = if current.is_empty() { DEFAULT_NAMESPACE } else { current };
        let unchanged = (current != read).then(|| current.to_string());
        if current == self.config.namespace {
            return unchanged;
        }
        let change = match &self.config.matcher {
            None => true,
            Some(matcher) => {
                if matcher == origin {
                    let id = format!("[{}]", id.unwrap_or_default());
                    self.results.push(FnResult::general(
                        format!("{id} has matching origin {origin}"),
                        Severity::Info,
                    ));
                }
                matcher == current || matcher == origin
            }
        };
        if !change {
            return unchanged;
        }
        self.old.insert(current.to_string());
        self.count += 1;
        Some(self.config.namespace.clone())
    }

    /// The namespace fields of a cluster-scoped resource.
    fn cluster_scoped(&mut self, o: &mut Node) {
        let (api_version, kind) = (object::api_version(o).to_string(), object::kind(o).to_string());
        let nested = |o: &mut Node, walk: &mut Self, keys: &[&str]| {
            let current = object::nested_str(o, keys).unwrap_or_default().to_string();
            if let Some(new) = walk.visit("", &current, None) {
                object::set_nested_str(o, keys, &new);
            }
        };
        match (api_version.as_str(), kind.as_str()) {
            ("v1", "Namespace") => {
                let origin = object::origin(o).name;
                let id = object::short_string(o);
                let current = object::name(o).to_string();
                if let Some(new) = self.visit(&origin, &current, Some(&id)) {
                    object::set_nested_str(o, &["metadata", "name"], &new);
                }
            }
            ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => {
                nested(o, self, &["spec", "conversion", "webhook", "clientConfig", "service", "namespace"]);
            }
            ("apiregistration.k8s.io/v1", "APIService") => nested(o, self, &["spec", "service", "namespace"]),
            (_, "ClusterRoleBinding" | "RoleBinding") => {
                let Some(subjects) = o.get_mut("subjects").and_then(Node::as_sequence_mut) else { return };
                for subject in subjects {
                    if object::nested_str(subject, &["namespace"]).is_some() {
                        nested(subject, self, &["namespace"]);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The summary result of one kind of change.
fn summary(what: &str, count: usize, namespace: &str, old: &BTreeSet<String>) -> FnResult {
    let message = match (count, what) {
        (0, "namespace") => format!("all matching namespaces are already {namespace:?}. no value changed"),
        (0, _) => "all `depends-on` annotations are up-to-date. no `namespace` changed".to_string(),
        _ => format!("{what} {} updated to {namespace:?}, {count} value(s) changed", go_list(old)),
    };
    FnResult::general(message, Severity::Info)
}

/// A list as Go's `%v` prints it: `[a b]`.
fn go_list(items: &BTreeSet<String>) -> String {
    format!("[{}]", items.iter().cloned().collect::<Vec<_>>().join(" "))
}

/// `<group>/namespaces/<namespace>/<kind>/<name>`.
fn depends_on_ref(group: &str, namespace: &str, kind: &str, name: &str) -> String {
    format!("{group}/namespaces/{namespace}/{kind}/{name}")
}

/// The five segments of a namespaced `depends-on` reference (each of `-`, `.` and word
/// characters), or `None`.
fn namespaced_reference(value: &str) -> Option<Vec<String>> {
    let segments: Vec<String> = value.split('/').map(str::to_string).collect();
    let word = |s: &String| s.chars().all(|c| c == '-' || c == '.' || c == '_' || c.is_ascii_alphanumeric());
    (segments.len() == 5 && segments[1] == "namespaces" && segments.iter().all(word)).then_some(segments)
}
