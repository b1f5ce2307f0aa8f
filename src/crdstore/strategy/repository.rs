//! Repository (`config.porch.kpt.dev/v1alpha1`): the CRD's defaults, schema checks and CEL rules
//! (porch-api.md §2.5).

use porch_layers::json_pointer;
use porch_layers::object_meta::names;
use porch_layers::{CauseReason, Column, FieldCause, RequestContext, Strategy};
use serde_json::{Value, json};

use super::{invalid_value, stored_kind_identity, str_at, value_at};
use crate::crdstore::{StoredKind, meta};

/// Fields that may not change once set, with their CEL messages.
const IMMUTABLE: [&str; 5] =
    ["spec.type", "spec.git.repo", "spec.git.branch", "spec.git.directory", "spec.oci.registry"];

/// `crontab` descriptors accepted instead of five fields.
const CRON_DESCRIPTORS: [&str; 7] =
    ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/// The value at `pointer`, or `null` (a `<none>` cell).
fn at(o: &Value, pointer: &str) -> Value {
    json_pointer::at(o, pointer).cloned().unwrap_or(Value::Null)
}

/// `.status.conditions[?(@.type=='Ready')].status`
fn ready_condition(o: &Value) -> Value {
    json_pointer::at(o, "/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .map_or(Value::Null, |c| c["status"].clone())
}

/// `.spec['git','oci']['repo','registry']`: the first that is set.
fn address(o: &Value) -> Value {
    ["/spec/git/repo", "/spec/git/registry", "/spec/oci/repo", "/spec/oci/registry"]
        .iter()
        .find_map(|p| json_pointer::at(o, p).filter(|v| !v.is_null()).cloned())
        .unwrap_or(Value::Null)
}

/// The CRD's additionalPrinterColumns.
const COLUMNS: &[Column] = &[
    Column::new("Type", "string", |o| at(o, "/spec/type")),
    Column::new("Content", "string", |o| at(o, "/spec/content")),
    Column::new("Sync schedule", "string", |o| at(o, "/spec/sync/schedule")),
    Column::new("Deployment", "boolean", |o| at(o, "/spec/deployment")),
    Column::new("Ready", "string", ready_condition),
    Column::new("Address", "string", address),
    Column::new("Branch", "string", |o| at(o, "/spec/git/branch")),
    Column::AGE,
];

/// The Repository strategy.
#[derive(Debug)]
pub(crate) struct RepositoryStrategy;

/// CRD defaulting: `spec.content: Package`, `spec.git.branch: main`.
fn apply_defaults(obj: &mut Value) {
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        spec.entry("content").or_insert_with(|| json!("Package"));
    }
    if let Some(git) = obj.pointer_mut("/spec/git").and_then(Value::as_object_mut) {
        git.entry("branch").or_insert_with(|| json!("main"));
    }
}

fn validate_name(name: &str, causes: &mut Vec<FieldCause>) {
    if name.is_empty() {
        return; // reported by the common metadata checks
    }
    if !names::is_dns1123_label_syntax(name) {
        causes.push(invalid_value(
            "metadata.name",
            name,
            "metadata.name must conform to the RFC1123 DNS label standard",
        ));
    }
    if name.len() > 63 {
        causes.push(invalid_value("metadata.name", name, "metadata.name must be no more than 63 characters"));
    }
}

fn required_string(obj: &Value, path: &str, causes: &mut Vec<FieldCause>) {
    match value_at(obj, path) {
        None | Some(Value::Null) => causes.push(FieldCause::required(path, "")),
        Some(Value::String(s)) if s.is_empty() => causes.push(FieldCause::required(path, "")),
        Some(Value::String(_)) => {}
        Some(_) => causes.push(FieldCause::invalid(path, "must be a string")),
    }
}

/// A loose check of a 5-field crontab line (a full parse comes with the scheduler).
fn is_cron(s: &str) -> bool {
    let s = s.trim();
    if CRON_DESCRIPTORS.contains(&s) || s.starts_with("@every ") {
        return true;
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    fields.len() == 5
        && fields.iter().all(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || "*/,-?".contains(c)))
}

impl Strategy for RepositoryStrategy {
    stored_kind_identity!(StoredKind::Repository, names::dns1123_subdomain_name);

    /// CRD defaulting (the store keeps `status` out of creates itself).
    fn prepare_for_create(&self, _ctx: &RequestContext, obj: &mut Value) {
        apply_defaults(obj);
    }

    /// CRD defaulting (the store keeps the stored `status` itself).
    fn prepare_for_update(&self, _ctx: &RequestContext, new: &mut Value, _old: &Value) {
        apply_defaults(new);
    }

    fn validate(&self, _ctx: &RequestContext, obj: &Value) -> Vec<FieldCause> {
        let mut causes = Vec::new();
        validate_name(meta::name(obj), &mut causes);
        match value_at(obj, "spec") {
            None | Some(Value::Null) => {
                causes.push(FieldCause::required("spec", ""));
                return causes;
            }
            Some(Value::Object(_)) => {}
            // Reported by the schema.
            Some(_) => return causes,
        }
        match value_at(obj, "spec.type") {
            None | Some(Value::Null) => causes.push(FieldCause::required("spec.type", "")),
            Some(Value::String(t)) if t == "git" || t == "oci" => {}
            Some(other) => {
                let shown = other.as_str().map_or_else(|| other.to_string(), |s| format!("{s:?}"));
                causes.push(FieldCause::new(
                    "spec.type",
                    CauseReason::FieldValueNotSupported,
                    format!("{shown}: supported values: \"git\", \"oci\""),
                ));
            }
        }
        if let Some(content) = value_at(obj, "spec.content").filter(|v| !v.is_null())
            && !matches!(content.as_str(), Some("" | "Package"))
        {
            causes.push(FieldCause::invalid(
                "spec.content",
                format!("{content}: The 'content' field is deprecated, its only valid value is 'Package'"),
            ));
        }
        match str_at(obj, "spec.type") {
            Some("git") => {
                required_string(obj, "spec.git.repo", &mut causes);
                if str_at(obj, "spec.git.branch") == Some("") {
                    causes.push(invalid_value(
                        "spec.git.branch",
                        "",
                        "spec.git.branch in body should be at least 1 chars long",
                    ));
                }
            }
            Some("oci") => required_string(obj, "spec.oci.registry", &mut causes),
            _ => {}
        }
        if let Some(schedule) = value_at(obj, "spec.sync.schedule").filter(|v| !v.is_null()) {
            match schedule.as_str() {
                Some("") => {}
                Some(s) if is_cron(s) => {}
                _ => causes.push(FieldCause::invalid(
                    "spec.sync.schedule",
                    format!("{schedule}: must be a standard 5-field cron expression, e.g. \"*/10 * * * *\""),
                )),
            }
        }
        causes
    }

    fn validate_update(&self, ctx: &RequestContext, new: &Value, old: &Value) -> Vec<FieldCause> {
        let mut causes = self.validate(ctx, new);
        for path in IMMUTABLE {
            if value_at(new, path) != value_at(old, path) {
                causes.push(FieldCause::invalid(path, format!("{path} is immutable")));
            }
        }
        causes
    }

    fn columns(&self) -> &[Column] {
        COLUMNS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use porch_layers::Verb;
    use porch_layers::strategy::{IncludeObject, TableOptions};
    use std::sync::Arc;

    fn create() -> RequestContext {
        RequestContext::new(Verb::Create)
    }

    fn update() -> RequestContext {
        RequestContext::new(Verb::Update)
    }

    fn repo(name: &str, spec: Value) -> Value {
        json!({"metadata": {"name": name, "namespace": "default"}, "spec": spec})
    }

    fn errs(obj: &Value) -> Vec<String> {
        RepositoryStrategy.validate(&create(), obj).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_git_repository_is_valid_and_defaulted() {
        let mut r = repo("blueprints", json!({"type": "git", "git": {"repo": "https://x/y.git"}}));
        RepositoryStrategy.prepare_for_create(&create(), &mut r);
        assert_eq!(r["spec"]["git"]["branch"], "main");
        assert_eq!(r["spec"]["content"], "Package");
        assert!(errs(&r).is_empty());
        let oci = repo("o", json!({"type": "oci", "oci": {"registry": "r.io/x"}, "content": "Package"}));
        assert!(errs(&oci).is_empty());
    }

    #[test]
    fn names_must_be_dns_labels() {
        let e = errs(&repo("a.b", json!({"type": "git", "git": {"repo": "u"}})));
        assert_eq!(
            e,
            [
                "metadata.name: Invalid value: \"a.b\": metadata.name must conform to the RFC1123 DNS label standard"
            ]
        );
        let e = errs(&repo(&"a".repeat(64), json!({"type": "git", "git": {"repo": "u"}})));
        assert!(e[0].ends_with("metadata.name must be no more than 63 characters"));
    }

    #[test]
    fn type_content_and_required_fields() {
        let e = errs(&repo("r", json!({"type": "svn"})));
        assert_eq!(e, ["spec.type: Unsupported value: \"svn\": supported values: \"git\", \"oci\""]);
        let e = RepositoryStrategy.validate(&create(), &repo("r", json!({"type": "git", "git": {}})));
        assert_eq!(e[0].field, "spec.git.repo");
        assert_eq!(e[0].reason, CauseReason::FieldValueRequired);
        let e = errs(&repo("r", json!({"type": "oci", "oci": {"registry": ""}})));
        assert_eq!(e, ["spec.oci.registry: Required value"]);
        let e = errs(&repo("r", json!({"type": "git", "git": {"repo": "u", "branch": ""}})));
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("spec.git.branch"));
        let e = errs(&repo("r", json!({"type": "git", "git": {"repo": "u"}, "content": "Function"})));
        assert!(e[0].contains("The 'content' field is deprecated, its only valid value is 'Package'"));
        assert_eq!(errs(&json!({"metadata": {"name": "r"}})), ["spec: Required value"]);
    }

    #[test]
    fn sync_schedule_needs_five_cron_fields() {
        for ok in ["*/10 * * * *", "0 0 1 JAN MON", "@hourly", "1-5,7 * ? * *"] {
            assert!(
                errs(&repo("r", json!({"type": "git", "git": {"repo": "u"}, "sync": {"schedule": ok}})))
                    .is_empty(),
                "{ok}"
            );
        }
        for bad in ["* * * *", "* * * * * *", "a$ * * * *"] {
            let e = errs(&repo("r", json!({"type": "git", "git": {"repo": "u"}, "sync": {"schedule": bad}})));
            assert!(e[0].starts_with("spec.sync.schedule: Invalid value"), "{bad}");
        }
    }

    #[test]
    fn identity_fields_are_immutable() {
        let old = repo("r", json!({"type": "git", "git": {"repo": "u", "branch": "main", "directory": "/"}}));
        let mut new =
            repo("r", json!({"type": "git", "git": {"repo": "v", "directory": "d"}, "description": "x"}));
        RepositoryStrategy.prepare_for_update(&update(), &mut new, &old);
        let e: Vec<_> = RepositoryStrategy
            .validate_update(&update(), &new, &old)
            .iter()
            .map(|c| c.message.clone())
            .collect();
        assert_eq!(e, ["spec.git.repo is immutable", "spec.git.directory is immutable"]);
        let new = repo("r", json!({"type": "oci", "oci": {"registry": "x"}}));
        let e: Vec<_> = RepositoryStrategy
            .validate_update(&update(), &new, &old)
            .iter()
            .map(|c| c.field.clone())
            .collect();
        assert_eq!(
            e,
            ["spec.type", "spec.git.repo", "spec.git.branch", "spec.git.directory", "spec.oci.registry"]
        );
        let same = old.clone();
        assert!(RepositoryStrategy.validate_update(&update(), &same, &old).is_empty());
    }

    fn table_repo() -> Value {
        json!({
            "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
            "metadata": {"name": "blueprints", "namespace": "default", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"type": "git", "content": "Package", "deployment": false,
                     "git": {"repo": "https://example.com/b.git", "branch": "main"}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}
        })
    }

    #[test]
    fn repository_rows_follow_the_crd_print_columns() {
        let mut t = RepositoryStrategy.convert_to_table(&[Arc::new(table_repo())], TableOptions::default());
        t.metadata = json!({"resourceVersion": "5"});
        let t = t.to_json();
        let names: Vec<&str> =
            t["columnDefinitions"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            ["Name", "Type", "Content", "Sync schedule", "Deployment", "Ready", "Address", "Branch", "Age"]
        );
        let cells = &t["rows"][0]["cells"];
        assert_eq!(cells[0], "blueprints");
        assert_eq!(cells[1], "git");
        assert_eq!(cells[3], Value::Null);
        assert_eq!(cells[4], false);
        assert_eq!(cells[5], "True");
        assert_eq!(cells[6], "https://example.com/b.git");
        assert_eq!(cells[7], "main");
        assert!(cells[8].as_str().unwrap().ends_with('y') || cells[8].as_str().unwrap().contains('y'));
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert_eq!(t["metadata"]["resourceVersion"], "5");
    }

    #[test]
    fn no_headers_leaves_out_column_definitions() {
        let opts = TableOptions { no_headers: true, include_object: IncludeObject::Object };
        let t = RepositoryStrategy.convert_to_table(&[Arc::new(table_repo())], opts).to_json();
        assert_eq!(t["columnDefinitions"], json!([]));
        assert_eq!(t["rows"][0]["object"]["kind"], "Repository");
    }
}
