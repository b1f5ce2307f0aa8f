//! The `kptfile` target: Kptfile parsing and writing, directly and through a package update.

use http::Method;
use porch_api::porch::{Condition, ConditionStatus, PackageMetadata};
use serde_json::{Value, json};

use super::super::harness::Harness;
use super::{collection, current};
use crate::engine::kptfile::Kptfile;
use crate::git::KptfileInfo;

/// Parses the input as a Kptfile the way the engine and the git cache do; one that parses must
/// give every accessor an answer, and what the server writes back (as is, and after each kind
/// of change it makes) must parse again and write the same text. Then the input becomes the
/// draft's root Kptfile (first byte even) or a nested one (`sub/Kptfile`, first byte odd) in a
/// real PackageRevisionResources update.
///
/// # Panics
/// When a property above fails, or as [`super::http`].
pub fn kptfile(harness: &Harness, data: &[u8]) {
    let _ = KptfileInfo::parse(data);
    if let Ok(kptfile) = Kptfile::parse("Kptfile", data) {
        exercise(kptfile);
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    harness.ensure_draft();
    let path = format!("{}/{}", collection("porch.kpt.dev", "packagerevisionresources"), harness.draft());
    let mut resources = current(harness, &path);
    let mut files = json!({"Kptfile": Kptfile::new("draft").to_yaml(), "cm.yaml": "kind: ConfigMap\n"});
    let key = if data.first().is_some_and(|b| b & 1 == 1) { "sub/Kptfile" } else { "Kptfile" };
    files[key] = Value::from(text);
    resources["spec"]["resources"] = files;
    harness.send_json(Method::PUT, &path, &resources);
}

/// Reads every part of `kptfile` and round-trips it through each kind of change.
fn exercise(kptfile: Kptfile) {
    let _ = (kptfile.name(), kptfile.package_metadata(), kptfile.readiness_gates(), kptfile.conditions());
    let _ = (kptfile.pipeline(), kptfile.upstream_lock());
    round_trip(&kptfile);
    let mut changed = kptfile.clone();
    changed.set_name("renamed");
    changed.set_rendered(None);
    round_trip(&changed);
    changed.set_rendered(Some("failed"));
    changed.set_annotation("a", "b");
    changed.set_info("site", "description", &["k".to_string()]);
    changed.set_condition(Condition {
        type_: "Ready".into(),
        status: ConditionStatus::True,
        reason: "R".into(),
        message: "m".into(),
    });
    round_trip(&changed);
    let mut merged = kptfile.clone();
    merged.merge_package_metadata(&PackageMetadata::default());
    merged.replace_package_metadata(&kptfile.package_metadata());
    merged.set_readiness_gates(&kptfile.readiness_gates());
    merged.replace_conditions(&kptfile.conditions());
    round_trip(&merged);
}

/// What the server writes for `kptfile` must read back as a Kptfile that writes the same text.
fn round_trip(kptfile: &Kptfile) {
    let yaml = kptfile.to_yaml();
    let again = Kptfile::parse("Kptfile", yaml.as_bytes())
        .unwrap_or_else(|e| panic!("the server cannot read the Kptfile it wrote: {e}\n{yaml}"));
    assert_eq!(again.to_yaml(), yaml, "writing a Kptfile read back from its own text changed it");
}
