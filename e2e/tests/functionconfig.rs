//! FunctionConfigs through kubectl: create, get (Porch's printer columns, yaml with the
//! defaulted pod time-to-live), the CRD's CEL rule, delete.

use anyhow::Result;
use porch_e2e::{Endpoint, normalize_ws, unique_name};

fn manifest(name: &str, executors: &str) -> String {
    format!(
        "apiVersion: config.porch.kpt.dev/v1alpha1\nkind: FunctionConfig\nmetadata:\n  name: {name}\nspec:\n  \
         image: {name}\n  prefixes:\n  - \"\"\n  - example.com/fns\n{executors}"
    )
}

#[test]
fn function_configs_through_kubectl() -> Result<()> {
    let ep = Endpoint::start()?;
    let k = ep.kubectl();
    let name = unique_name("set-labels");
    let executors =
        "  podExecutor:\n    tags: [v0.1.5]\n  binaryExecutor:\n    tags: [v0.2.2]\n    path: set-labels\n";

    let out = k.with_manifest(&["create", "-f", "-"], &manifest(&name, executors)).success()?;
    assert_eq!(out.trim(), format!("functionconfig.config.porch.kpt.dev/{name} created"));

    let table = k.run(&["get", "functionconfigs"]).success()?;
    let header = normalize_ws(table.lines().next().unwrap_or_default());
    // Porch's columns, then AGE. (Once in a fresh-clone CI run kubectl printed no AGE column;
    // not reproduced since — noted on issue 13 — so only Porch's columns are required here.)
    assert!(header.starts_with("NAME SERVER APPLIED FNRUNNER APPLIED CONTROLLER APPLIED"), "{table}");
    assert!(table.lines().any(|l| l.starts_with(&format!("{name} "))), "{table}");

    let yaml = k.run(&["get", "functionconfig", &name, "-o", "yaml"]).success()?;
    for needle in ["kind: FunctionConfig", "timeToLive: 30m", "path: set-labels", "- v0.2.2"] {
        assert!(yaml.contains(needle), "-o yaml lacks {needle:?}:\n{yaml}");
    }

    // The CEL rule: at least one executor.
    let err = k.with_manifest(&["create", "-f", "-"], &manifest(&unique_name("none"), "")).failure()?;
    assert!(err.contains("At least one configuration must be specified"), "{err}");
    // binaryExecutor.tags has at least one item.
    let bad = "  binaryExecutor:\n    tags: []\n    path: f\n";
    let err = k.with_manifest(&["create", "-f", "-"], &manifest(&unique_name("notags"), bad)).failure()?;
    assert!(err.contains("spec.binaryExecutor.tags"), "{err}");

    let out = k.run(&["delete", "functionconfig", &name]).success()?;
    assert_eq!(out.trim(), format!("functionconfig.config.porch.kpt.dev \"{name}\" deleted"));
    let err = k.run(&["get", "functionconfig", &name]).failure()?;
    assert!(err.contains("not found"), "{err}");
    Ok(())
}
