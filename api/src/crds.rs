//! The CRDs of `config.porch.kpt.dev`, as checked in under `manifests/crds/`.

use kube::CustomResourceExt;

use crate::config::{FunctionConfig, PackageRev, Repository};

const HEADER: &str = "# Generated from the porch-api crate (porch_api::crd_yaml_files); do not edit.\n\
                      # Regenerate with: UPDATE_CRDS=1 cargo test -p porch-api --test crds\n";

/// The CustomResourceDefinitions of this crate, as `(file name, YAML)` pairs:
/// `config.porch.kpt.dev_repositories.yaml`, `config.porch.kpt.dev_packagerevs.yaml` and
/// `config.porch.kpt.dev_functionconfigs.yaml`.
pub fn crd_yaml_files() -> Vec<(&'static str, String)> {
    vec![
        ("config.porch.kpt.dev_repositories.yaml", to_yaml(&Repository::crd())),
        ("config.porch.kpt.dev_packagerevs.yaml", to_yaml(&PackageRev::crd())),
        ("config.porch.kpt.dev_functionconfigs.yaml", to_yaml(&FunctionConfig::crd())),
    ]
}

fn to_yaml<T: serde::Serialize>(value: &T) -> String {
    let value = serde_json::to_value(value).expect("a CRD always serialises to JSON");
    let yaml = serde_saphyr::to_string(&crate::plain_numbers::PlainNumbers(&value))
        .expect("a CRD always serialises to YAML");
    format!("{HEADER}{yaml}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

    fn rules(value: &serde_json::Value, out: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Array(list)) = map.get("x-kubernetes-validations") {
                    for r in list {
                        out.push((r["rule"].as_str().unwrap().into(), r["message"].as_str().unwrap().into()));
                    }
                }
                map.values().for_each(|v| rules(v, out));
            }
            serde_json::Value::Array(list) => list.iter().for_each(|v| rules(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_repository_crd_has_the_porch_names_columns_and_subresources() {
        let crd = Repository::crd();
        assert_eq!(crd.metadata.name.as_deref(), Some("repositories.config.porch.kpt.dev"));
        assert_eq!(crd.spec.scope, "Namespaced");
        assert_eq!(crd.spec.names.short_names, Some(vec!["repo".to_string()]));
        assert_eq!(crd.spec.names.singular.as_deref(), Some("repository"));
        let version = &crd.spec.versions[0];
        assert!(version.subresources.as_ref().unwrap().status.is_some());
        let columns: Vec<(String, String, String)> = version
            .additional_printer_columns
            .as_ref()
            .unwrap()
            .iter()
            .map(|c| (c.name.clone(), c.type_.clone(), c.json_path.clone()))
            .collect();
        let expected = [
            ("Type", "string", ".spec.type"),
            ("Content", "string", ".spec.content"),
            ("Sync schedule", "string", ".spec.sync.schedule"),
            ("Deployment", "boolean", ".spec.deployment"),
            ("Ready", "string", ".status.conditions[?(@.type=='Ready')].status"),
            ("Address", "string", ".spec['git','oci']['repo','registry']"),
            ("Branch", "string", ".spec.git.branch"),
            ("Age", "date", ".metadata.creationTimestamp"),
        ];
        let expected: Vec<(String, String, String)> =
            expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
        assert_eq!(columns, expected);
    }

    #[test]
    fn the_repository_crd_carries_the_cel_rules() {
        let crd = serde_json::to_value(Repository::crd()).unwrap();
        let mut found = Vec::new();
        rules(&crd, &mut found);
        let messages: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
        for m in [
            "metadata.name must conform to the RFC1123 DNS label standard",
            "metadata.name must be no more than 63 characters",
            "spec.type is immutable",
            "spec.git.repo is immutable",
            "spec.git.branch is immutable",
            "spec.git.directory is immutable",
            "spec.oci.registry is immutable",
            "The 'content' field is deprecated, its only valid value is 'Package'",
        ] {
            assert!(messages.contains(&m), "missing rule {m:?} in {found:?}");
        }
        let spec =
            &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"];
        assert_eq!(spec["content"]["default"], "Package");
        assert_eq!(spec["git"]["properties"]["branch"]["default"], "main");
        assert_eq!(spec["git"]["properties"]["branch"]["minLength"], 1);
        assert_eq!(spec["git"]["required"], serde_json::json!(["repo"]));
        assert_eq!(spec["oci"]["required"], serde_json::json!(["registry"]));
    }

    #[test]
    fn the_package_rev_crd_is_namespaced_with_a_status_subresource() {
        let crd = PackageRev::crd();
        assert_eq!(crd.metadata.name.as_deref(), Some("packagerevs.config.porch.kpt.dev"));
        assert_eq!(crd.spec.names.kind, "PackageRev");
        assert_eq!(crd.spec.names.singular.as_deref(), Some("packagerev"));
        assert_eq!(crd.spec.scope, "Namespaced");
        assert!(crd.spec.versions[0].subresources.as_ref().unwrap().status.is_some());
    }

    #[test]
    fn the_function_config_crd_has_porchs_names_columns_rule_and_limits() {
        let crd = FunctionConfig::crd();
        assert_eq!(crd.metadata.name.as_deref(), Some("functionconfigs.config.porch.kpt.dev"));
        assert_eq!(crd.spec.scope, "Namespaced");
        assert_eq!(crd.spec.names.singular.as_deref(), Some("functionconfig"));
        let version = &crd.spec.versions[0];
        assert!(version.subresources.as_ref().unwrap().status.is_some());
        let columns: Vec<&str> =
            version.additional_printer_columns.as_ref().unwrap().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(columns, ["Server Applied", "FnRunner Applied", "Controller Applied"]);
        let value = serde_json::to_value(&crd).unwrap();
        let mut found = Vec::new();
        rules(&value, &mut found);
        assert_eq!(
            found,
            [(
                "has(self.podExecutor) || has(self.binaryExecutor) || has(self.goExecutor)".to_string(),
                crate::config::AT_LEAST_ONE_EXECUTOR.to_string()
            )]
        );
        let spec = &value["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
        assert_eq!(spec["required"], serde_json::json!(["image"]));
        assert_eq!(spec["properties"]["image"]["minLength"], 1);
        let binary = &spec["properties"]["binaryExecutor"];
        assert_eq!(binary["properties"]["tags"]["minItems"], 1);
        assert_eq!(binary["properties"]["path"]["minLength"], 1);
        assert_eq!(binary["required"], serde_json::json!(["path", "tags"]));
        assert_eq!(spec["properties"]["goExecutor"]["properties"]["tags"]["minItems"], 1);
        let ttl = &spec["properties"]["podExecutor"]["properties"]["timeToLive"];
        assert_eq!(ttl["default"], "30m");
        assert_eq!(ttl["format"], "duration");
    }

    #[test]
    fn the_crd_yaml_parses_back_into_the_same_crd() {
        for ((file, yaml), crd) in
            crd_yaml_files().into_iter().zip([Repository::crd(), PackageRev::crd(), FunctionConfig::crd()])
        {
            let parsed: CustomResourceDefinition =
                serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(parsed, crd, "{file}");
        }
    }
}
