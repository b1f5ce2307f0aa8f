//! API discovery: aggregated v2 (`APIGroupDiscoveryList`) on `/api` and `/apis`, the legacy
//! `APIVersions`/`APIGroupList`/`APIGroup`, and `APIResourceList` per group-version.
//!
//! client-go chooses aggregated discovery from the response Content-Type alone, and keeps the
//! aggregated result only when both `/api` and `/apis` answered aggregated (rust-stack.md §3.1).

use super::resources::{self, ResourceDef};
use serde_json::{Value, json};

/// The Content-Type of an aggregated discovery document.
pub(crate) const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Whether the `Accept` header asks for aggregated discovery v2.
pub(crate) fn wants_aggregated(accept: &str) -> bool {
    accept.split(',').any(|media| {
        let params: Vec<&str> = media.split(';').map(str::trim).collect();
        params.contains(&"g=apidiscovery.k8s.io")
            && params.contains(&"v=v2")
            && params.contains(&"as=APIGroupDiscoveryList")
    })
}

fn served(standalone: bool) -> impl Iterator<Item = &'static ResourceDef> {
    resources::RESOURCES.iter().filter(move |r| standalone || r.backend == resources::Backend::Engine)
}

fn scope(r: &ResourceDef) -> &'static str {
    if r.namespaced { "Namespaced" } else { "Cluster" }
}

fn aggregated_resource(r: &ResourceDef) -> Value {
    let mut out = json!({
        "resource": r.resource,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": scope(r),
        "singularResource": r.singular,
        "verbs": r.verbs,
    });
    if !r.short_names.is_empty() {
        out["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        out["categories"] = json!(r.categories);
    }
    if !r.subresources.is_empty() {
        out["subresources"] = r
            .subresources
            .iter()
            .map(|s| {
                json!({
                    "subresource": s.name,
                    "responseKind": {"group": r.group, "version": r.version, "kind": s.kind},
                    "verbs": s.verbs,
                })
            })
            .collect();
    }
    out
}

/// `APIGroupDiscoveryList` for `/api` (core, `core == true`) or `/apis`.
pub(crate) fn aggregated(core: bool, standalone: bool) -> Value {
    let mut groups: Vec<(&str, Vec<&ResourceDef>)> = Vec::new();
    for r in served(standalone).filter(|r| r.group.is_empty() == core) {
        match groups.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, list)) => list.push(r),
            None => groups.push((r.group, vec![r])),
        }
    }
    let items: Vec<Value> = groups
        .into_iter()
        .map(|(group, list)| {
            json!({
                "metadata": {"name": group, "creationTimestamp": null},
                "versions": [{
                    "version": list[0].version,
                    "resources": list.iter().map(|r| aggregated_resource(r)).collect::<Vec<_>>(),
                    "freshness": "Current",
                }],
            })
        })
        .collect();
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    })
}

/// Legacy `/api`: `APIVersions`.
pub(crate) fn api_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}],
    })
}

fn api_group(group: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
    json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
}

/// Legacy `/apis`: `APIGroupList`.
pub(crate) fn api_group_list(standalone: bool) -> Value {
    let groups: Vec<Value> = resources::group_versions()
        .into_iter()
        .filter(|(g, _)| served(standalone).any(|r| r.group == *g))
        .map(|(g, v)| api_group(g, v))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// Legacy `/apis/<group>`: `APIGroup`, or `None` when the group is not served.
pub(crate) fn group(name: &str, standalone: bool) -> Option<Value> {
    let r = served(standalone).find(|r| r.group == name && !name.is_empty())?;
    let mut g = api_group(r.group, r.version);
    g["kind"] = json!("APIGroup");
    g["apiVersion"] = json!("v1");
    Some(g)
}

/// `APIResourceList` of `/apis/<group>/<version>` or `/api/v1`; `None` when not served.
pub(crate) fn resource_list(group: &str, version: &str, standalone: bool) -> Option<Value> {
    let list: Vec<&ResourceDef> =
        served(standalone).filter(|r| r.group == group && r.version == version).collect();
    if list.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for r in &list {
        let mut entry = json!({
            "name": r.resource,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            entry["categories"] = json!(r.categories);
        }
        resources.push(entry);
        for s in r.subresources {
            resources.push(json!({
                "name": format!("{}/{}", r.resource, s.name),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": s.kind,
                "verbs": s.verbs,
            }));
        }
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": list[0].api_version(),
        "resources": resources,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_accept_header_selects_aggregated_discovery() {
        let accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
                      application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert!(wants_aggregated(accept));
        assert!(!wants_aggregated("application/json, */*"));
    }

    #[test]
    fn apis_lists_both_porch_groups_with_subresources() {
        let doc = aggregated(false, true);
        let names: Vec<&str> = doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["porch.kpt.dev", "config.porch.kpt.dev"]);
        let porch = &doc["items"][0]["versions"][0];
        assert_eq!(porch["freshness"], "Current");
        let prs = &porch["resources"][0];
        assert_eq!(prs["resource"], "packagerevisions");
        assert_eq!(prs["subresources"][0]["subresource"], "approval");
        let repo = &doc["items"][1]["versions"][0]["resources"][0];
        assert_eq!(repo["shortNames"], json!(["repo"]));
        assert_eq!(repo["subresources"][0]["subresource"], "status");
    }

    #[test]
    fn core_is_served_only_in_standalone_mode() {
        assert_eq!(
            aggregated(true, true)["items"][0]["versions"][0]["resources"].as_array().unwrap().len(),
            2
        );
        assert_eq!(aggregated(true, false)["items"], json!([]));
        assert!(resource_list("", "v1", false).is_none());
        assert!(aggregated(false, false)["items"].as_array().unwrap().len() == 1);
    }

    #[test]
    fn legacy_resource_lists_name_subresources_with_a_slash() {
        let list = resource_list("config.porch.kpt.dev", "v1alpha1", true).unwrap();
        let names: Vec<&str> =
            list["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "repositories",
                "repositories/status",
                "packagerevs",
                "packagerevs/status",
                "functionconfigs",
                "functionconfigs/status"
            ]
        );
        assert_eq!(list["groupVersion"], "config.porch.kpt.dev/v1alpha1");
    }
}
