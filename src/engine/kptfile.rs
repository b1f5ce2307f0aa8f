//! A Kptfile as an ordered JSON document, read from and written to YAML with `serde_saphyr`
//! (porch-api.md §4.1, §4.2, §7.5, §9). Unknown fields are kept; output keys follow kpt's
//! order (apiVersion, kind, metadata, upstream, upstreamLock, info, pipeline, inventory,
//! status), other keys keep their place after the known ones. Comments are not preserved.

use std::collections::BTreeMap;

use porch_api::plain_numbers::PlainNumbers;
use porch_api::porch::{Condition, ConditionStatus, GitLock, Locator, PackageMetadata, ReadinessGate};
use porch_layers::FieldCause;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::render::pipeline::{Pipeline, PipelineFunction};
use super::{EngineError, Files};

/// File name of a Kptfile.
pub(crate) const KPTFILE: &str = "Kptfile";
/// Annotation marking a resource as local configuration (not applied to clusters).
pub(crate) const LOCAL_CONFIG_ANNOTATION: &str = "config.kubernetes.io/local-config";
/// The condition kpt's renderer writes into the root Kptfile.
pub(crate) const RENDERED_CONDITION: &str = "Rendered";

/// A Kptfile that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Kptfile {path}: {message}")]
pub(crate) struct KptfileError {
    /// Path of the Kptfile in the package, e.g. `Kptfile` or `sub/Kptfile`.
    pub path: String,
    /// The parse problem.
    pub message: String,
}

impl From<KptfileError> for EngineError {
    /// A bad Kptfile is the request's fault: 422 on `spec.resources[<path>]`.
    fn from(e: KptfileError) -> Self {
        EngineError::invalid(FieldCause::invalid(format!("spec.resources[{}]", e.path), e.to_string()))
    }
}

/// A parsed Kptfile. Mutating methods change only the fields they name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Kptfile {
    doc: Map<String, Value>,
}

const TOP_ORDER: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "upstream",
    "upstreamLock",
    "info",
    "pipeline",
    "inventory",
    "status",
];
const NESTED_ORDER: &[(&str, &[&str])] = &[
    ("metadata", &["name", "namespace", "labels", "annotations"]),
    ("upstream", &["type", "git", "updateStrategy"]),
    ("upstreamLock", &["type", "git"]),
    (
        "info",
        &["site", "emails", "license", "licenseFile", "description", "keywords", "man", "readinessGates"],
    ),
    ("status", &["conditions", "renderStatus"]),
];
const GIT_ORDER: &[&str] = &["repo", "directory", "ref", "commit"];

/// `map` with the keys of `order` first (when present), then the others in their order.
fn ordered(map: &Map<String, Value>, order: &[&str]) -> Map<String, Value> {
    let mut out: Map<String, Value> =
        order.iter().filter_map(|k| map.get(*k).map(|v| ((*k).to_string(), v.clone()))).collect();
    for (k, v) in map {
        if !out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    let Some(Value::Object(map)) = value else { return BTreeMap::new() };
    map.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect()
}

fn typed<T: for<'de> Deserialize<'de>>(value: Option<&Value>) -> Vec<T> {
    value.cloned().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
}

impl Kptfile {
    /// A new `kpt.dev/v1` Kptfile with `metadata.name`.
    pub(crate) fn new(name: &str) -> Self {
        let doc = json!({"apiVersion": "kpt.dev/v1", "kind": "Kptfile", "metadata": {"name": name}});
        let Value::Object(doc) = doc else { unreachable!("json! of an object is an object") };
        Self { doc }
    }

    /// Parses the Kptfile at `path` (used in error messages). The document must be a mapping.
    pub(crate) fn parse(path: &str, bytes: &[u8]) -> Result<Self, KptfileError> {
        let err = |message: String| KptfileError { path: path.to_string(), message };
        let text = std::str::from_utf8(bytes).map_err(|e| err(e.to_string()))?;
        match serde_saphyr::from_str::<Value>(text).map_err(|e| err(e.to_string()))? {
            Value::Object(doc) => Ok(Self { doc }),
            Value::Null => Ok(Self { doc: Map::new() }),
            _ => Err(err("the document is not a mapping".to_string())),
        }
    }

    /// The YAML text, keys in kpt's order. Does not mutate.
    pub(crate) fn to_yaml(&self) -> String {
        let mut top = ordered(&self.doc, TOP_ORDER);
        for (key, order) in NESTED_ORDER {
            if let Some(Value::Object(m)) = top.get_mut(*key) {
                *m = ordered(m, order);
                if let Some(Value::Object(git)) = m.get_mut("git") {
                    *git = ordered(git, GIT_ORDER);
                }
            }
        }
        let options = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX, };
        serde_saphyr::to_string_with_options(&PlainNumbers(&Value::Object(top)), options)
            .expect("a JSON value always serialises to YAML")
    }

    /// [`Kptfile::to_yaml`] as bytes, for a file set.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        self.to_yaml().into_bytes()
    }

    fn object_mut(&mut self, key: &str) -> &mut Map<String, Value> {
        let slot = self.doc.entry(key.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        slot.as_object_mut().expect("just made an object")
    }

    fn section(&self, key: &str) -> Option<&Map<String, Value>> {
        self.doc.get(key).and_then(Value::as_object)
    }

    /// `metadata.name` (empty when unset).
    pub(crate) fn name(&self) -> &str {
        self.section("metadata").and_then(|m| m.get("name")).and_then(Value::as_str).unwrap_or("")
    }

    /// Sets `metadata.name`.
    pub(crate) fn set_name(&mut self, name: &str) {
        self.object_mut("metadata").insert("name".into(), json!(name));
    }

    /// `metadata.labels` and `metadata.annotations`, for `spec.packageMetadata`.
    pub(crate) fn package_metadata(&self) -> PackageMetadata {
        let meta = self.section("metadata");
        PackageMetadata {
            labels: string_map(meta.and_then(|m| m.get("labels"))),
            annotations: string_map(meta.and_then(|m| m.get("annotations"))),
        }
    }

    fn write_map(&mut self, key: &str, map: BTreeMap<String, String>) {
        let meta = self.object_mut("metadata");
        if map.is_empty() {
            meta.remove(key);
        } else {
            meta.insert(key.into(), json!(map));
        }
    }

    /// Merges `spec.packageMetadata` into `metadata.labels/annotations` (create, §4.1): given
    /// keys win, other keys stay.
    pub(crate) fn merge_package_metadata(&mut self, given: &PackageMetadata) {
        let mut current = self.package_metadata();
        current.labels.extend(given.labels.clone());
        current.annotations.extend(given.annotations.clone());
        self.write_map("labels", current.labels);
        self.write_map("annotations", current.annotations);
    }

    /// Replaces `metadata.labels/annotations` with `spec.packageMetadata` (Draft update, §4.2).
    pub(crate) fn replace_package_metadata(&mut self, given: &PackageMetadata) {
        self.write_map("labels", given.labels.clone());
        self.write_map("annotations", given.annotations.clone());
    }

    /// Sets one `metadata.annotations` entry.
    pub(crate) fn set_annotation(&mut self, key: &str, value: &str) {
        let mut annotations = self.package_metadata().annotations;
        annotations.insert(key.into(), value.into());
        self.write_map("annotations", annotations);
    }

    /// Sets `info.site`, `info.description` and `info.keywords` (empty values are omitted; no
    /// `info` is created when all are empty).
    pub(crate) fn set_info(&mut self, site: &str, description: &str, keywords: &[String]) {
        if site.is_empty() && description.is_empty() && keywords.is_empty() {
            return;
        }
        let info = self.object_mut("info");
        for (key, value) in [("site", site), ("description", description)] {
            if !value.is_empty() {
                info.insert(key.into(), json!(value));
            }
        }
        if !keywords.is_empty() {
            info.insert("keywords".into(), json!(keywords));
        }
    }

    /// `info.readinessGates`, for `spec.readinessGates`.
    pub(crate) fn readiness_gates(&self) -> Vec<ReadinessGate> {
        typed(self.section("info").and_then(|i| i.get("readinessGates")))
    }

    /// Replaces `info.readinessGates` with `gates` (§4.1, §4.2); an empty list changes nothing,
    /// as in Porch.
    pub(crate) fn set_readiness_gates(&mut self, gates: &[ReadinessGate]) {
        if !gates.is_empty() {
            self.object_mut("info").insert("readinessGates".into(), json!(gates));
        }
    }

    /// `status.conditions`, for the PackageRevision's `status.conditions`.
    pub(crate) fn conditions(&self) -> Vec<Condition> {
        typed(self.section("status").and_then(|s| s.get("conditions")))
    }

    /// Replaces `status.conditions` with `conditions` (Draft update, §4.2): types not listed
    /// are removed; an empty list changes nothing, as in Porch.
    pub(crate) fn replace_conditions(&mut self, conditions: &[Condition]) {
        if !conditions.is_empty() {
            self.object_mut("status").insert("conditions".into(), json!(conditions));
        }
    }

    /// Sets one condition: replaces the condition of the same type in place, or appends it.
    pub(crate) fn set_condition(&mut self, condition: Condition) {
        let mut all = self.conditions();
        match all.iter_mut().find(|c| c.type_ == condition.type_) {
            Some(slot) => *slot = condition,
            None => all.push(condition),
        }
        self.object_mut("status").insert("conditions".into(), json!(all));
    }

    /// Writes kpt's `Rendered` condition: `True`/`RenderSuccess` when `failure` is `None`,
    /// else `False`/`RenderFailed` with the message (§9).
    pub(crate) fn set_rendered(&mut self, failure: Option<&str>) {
        let (status, reason, message) = match failure {
            None => (ConditionStatus::True, "RenderSuccess", ""),
            Some(why) => (ConditionStatus::False, "RenderFailed", why),
        };
        self.set_condition(Condition {
            type_: RENDERED_CONDITION.into(),
            status,
            reason: reason.into(),
            message: message.into(),
        });
    }

    /// Sets `status.renderStatus` (kpt's render steps), or removes it when `None`.
    pub(crate) fn set_render_status(&mut self, render_status: Option<Value>) {
        match render_status {
            Some(value) => {
                self.object_mut("status").insert("renderStatus".into(), value);
            }
            None => {
                if let Some(Value::Object(status)) = self.doc.get_mut("status") {
                    status.remove("renderStatus");
                }
            }
        }
    }

    /// `metadata.annotations[key]` is `"true"`.
    pub(crate) fn annotation_is_true(&self, key: &str) -> bool {
        self.package_metadata().annotations.get(key).is_some_and(|v| v == "true")
    }

    /// Sets `upstream` to `{type: git, git: {repo, directory, ref}, updateStrategy}` (§7.5);
    /// without `updateStrategy` when it is `None` (as an upgrade writes it).
    pub(crate) fn set_upstream(&mut self, git: &GitLock, update_strategy: Option<&str>) {
        let mut upstream = json!({
            "type": "git",
            "git": {"repo": git.repo, "directory": git.directory, "ref": git.ref_},
        });
        if let Some(strategy) = update_strategy {
            upstream["updateStrategy"] = json!(strategy);
        }
        self.doc.insert("upstream".into(), upstream);
    }

    /// Sets `upstreamLock` to `{type: git, git: {repo, directory, ref, commit}}` (§7.5).
    pub(crate) fn set_upstream_lock(&mut self, lock: &GitLock) {
        let git =
            json!({"repo": lock.repo, "directory": lock.directory, "ref": lock.ref_, "commit": lock.commit});
        self.doc.insert("upstreamLock".into(), json!({"type": "git", "git": git}));
    }

    /// `upstreamLock`, when present and readable.
    pub(crate) fn upstream_lock(&self) -> Option<Locator> {
        self.doc.get("upstreamLock").cloned().and_then(|v| serde_json::from_value(v).ok())
    }

    /// `pipeline.mutators` and `pipeline.validators`. Every entry counts, even one of an
    /// unexpected shape (read as an unnamed function), so a pipeline never looks empty by mistake.
    pub(crate) fn pipeline(&self) -> Pipeline {
        let list = |key: &str| -> Vec<PipelineFunction> {
            let entries = self.section("pipeline").and_then(|p| p.get(key)).and_then(Value::as_array);
            entries
                .into_iter()
                .flatten()
                .map(|f| serde_json::from_value(f.clone()).unwrap_or_default())
                .collect()
        };
        Pipeline { mutators: list("mutators"), validators: list("validators") }
    }
}

/// The Kptfile versions kpt no longer reads (kpt's `DeprecatedKptfileVersions`).
const DEPRECATED_VERSIONS: &[&str] = &["v1alpha1", "v1alpha2"];

/// Checks that `bytes` (the file at `path`) is a Kptfile kpt reads: a non-empty YAML mapping
/// with `apiVersion: kpt.dev/v1` and `kind: Kptfile`. Other resources get kpt's
/// `unknown resource type "<group>/<version>, Kind=<kind>" found in Kptfile`, old versions
/// kpt's `old resource version "<version>" found in Kptfile`. Pure; used on the Kptfile a
/// client sends.
pub(crate) fn check_kptfile(path: &str, bytes: &[u8]) -> Result<(), KptfileError> {
    let kptfile = Kptfile::parse(path, bytes)?;
    let err = |message: String| KptfileError { path: path.to_string(), message };
    if kptfile.doc.is_empty() {
        return Err(err("the Kptfile is empty".to_string()));
    }
    let text = |key: &str| kptfile.doc.get(key).and_then(Value::as_str).unwrap_or("");
    let (api_version, kind) = (text("apiVersion"), text("kind"));
    // Go's `schema.ParseGroupVersion`: "v1" is the core group, "g/v" a group, more is an error.
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    if version.contains('/') {
        return Err(err(format!("unexpected GroupVersion string: {api_version}")));
    }
    match (group, version, kind) {
        ("kpt.dev", "v1", "Kptfile") => Ok(()),
        ("kpt.dev", old, "Kptfile") if DEPRECATED_VERSIONS.contains(&old) => {
            Err(err(format!("old resource version {old:?} found in Kptfile")))
        }
        _ => Err(err(format!("unknown resource type \"{group}/{version}, Kind={kind}\" found in Kptfile"))),
    }
}

/// The root Kptfile of a file set, if there is one. Does not mutate.
pub(crate) fn read_root(files: &Files) -> Result<Option<Kptfile>, KptfileError> {
    files.get(KPTFILE).map(|bytes| Kptfile::parse(KPTFILE, bytes)).transpose()
}

/// Writes `kptfile` as the root Kptfile of `files` (mutates `files`).
pub(crate) fn write_root(files: &mut Files, kptfile: &Kptfile) {
    files.insert(KPTFILE.to_string(), kptfile.to_bytes());
}

#[cfg(test)]
#[path = "kptfile_tests.rs"]
mod tests;
