//! The parts of a package's root `Kptfile` that a PackageRevision mirrors.

use std::collections::BTreeMap;

use porch_api::porch::{Condition, Locator, ReadinessGate};
use serde::Deserialize;

/// File name that marks a package directory.
pub const KPTFILE: &str = "Kptfile";

/// Fields of the root Kptfile mirrored into a PackageRevision.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KptfileInfo {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.labels` (`spec.packageMetadata.labels`).
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations` (`spec.packageMetadata.annotations`).
    pub annotations: BTreeMap<String, String>,
    /// `info.readinessGates` (`spec.readinessGates`).
    pub readiness_gates: Vec<ReadinessGate>,
    /// `status.conditions` (`status.conditions`).
    pub conditions: Vec<Condition>,
    /// `upstream` (type and git repo/directory/ref). Boxed, as `upstream_lock`: every indexed
    /// revision holds a `KptfileInfo`, most without either, and a `Locator` is 120 bytes.
    pub upstream: Option<Box<Locator>>,
    /// `upstreamLock` (type and git repo/directory/ref/commit).
    pub upstream_lock: Option<Box<Locator>>,
}

impl KptfileInfo {
    /// Parses a Kptfile. Fields that are absent or of the wrong shape are left empty.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        let doc: KptfileDoc = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        Ok(Self {
            name: doc.metadata.name,
            labels: doc.metadata.labels,
            annotations: doc.metadata.annotations,
            readiness_gates: doc.info.readiness_gates,
            conditions: doc.status.conditions,
            upstream: doc.upstream.map(Box::new),
            upstream_lock: doc.upstream_lock.map(Box::new),
        })
    }

    /// The PackageRevision's `status.upstreamLock`: the Kptfile's `upstreamLock`, but only when
    /// it also has a git `upstream` (as Porch decides).
    pub fn status_upstream_lock(&self) -> Option<&Locator> {
        let has_git_upstream = self.upstream.as_ref().is_some_and(|u| u.git.is_some());
        if has_git_upstream { self.upstream_lock.as_deref() } else { None }
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct KptfileDoc {
    metadata: Metadata,
    info: Info,
    status: Status,
    upstream: Option<Locator>,
    upstream_lock: Option<Locator>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metadata {
    name: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Info {
    readiness_gates: Vec<ReadinessGate>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Status {
    conditions: Vec<Condition>,
}

#[cfg(test)]
mod tests {
    use porch_api::porch::ConditionStatus;

    use super::*;

    const KPTFILE_YAML: &str = r#"apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: basens
  labels:
    team: blue
  annotations:
    config.kubernetes.io/local-config: "true"
upstream:
  type: git
  git:
    repo: https://example.com/blueprints.git
    directory: /basens
    ref: basens/v1
  updateStrategy: resource-merge
upstreamLock:
  type: git
  git:
    repo: https://example.com/blueprints.git
    directory: /basens
    ref: basens/v1
    commit: 0123456789abcdef0123456789abcdef01234567
info:
  description: sample
  readinessGates:
    - conditionType: Ready
pipeline:
  mutators:
    - image: set-namespace:v0.4
status:
  conditions:
    - type: Rendered
      status: "True"
      reason: RenderSuccess
"#;

    #[test]
    fn mirrored_fields_are_read() {
        let info = KptfileInfo::parse(KPTFILE_YAML.as_bytes()).unwrap();
        assert_eq!(info.name, "basens");
        assert_eq!(info.labels["team"], "blue");
        assert_eq!(info.annotations["config.kubernetes.io/local-config"], "true");
        assert_eq!(info.readiness_gates, vec![ReadinessGate { condition_type: "Ready".into() }]);
        assert_eq!(info.conditions[0].type_, "Rendered");
        assert_eq!(info.conditions[0].status, ConditionStatus::True);
        let lock = info.status_upstream_lock().unwrap().git.as_ref().unwrap();
        assert_eq!(lock.ref_, "basens/v1");
        assert_eq!(lock.commit, "0123456789abcdef0123456789abcdef01234567");
    }

    #[test]
    fn minimal_and_broken_kptfiles() {
        let info =
            KptfileInfo::parse(b"apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: x\n").unwrap();
        assert_eq!(info.name, "x");
        assert!(info.status_upstream_lock().is_none());
        assert!(KptfileInfo::parse(b"metadata: [unclosed").is_err());
        // A lock without a git upstream is not reported.
        let info = KptfileInfo::parse(b"upstreamLock:\n  type: git\n  git:\n    repo: r\n").unwrap();
        assert!(info.upstream_lock.is_some() && info.status_upstream_lock().is_none());
    }
}
