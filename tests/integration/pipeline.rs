//! One request pipeline for every resource: the embedded store's kinds and the porch.kpt.dev
//! resources share the verb handler (apply needs a field manager, `DeleteOptions` are read) and
//! the storage stack's Table conversion (watch events of a store kind come out as Tables).

use crate::http::{REPOS, Served, TABLE_ACCEPT, repository};
use serde_json::{Value, json};

const REVISIONS: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions";
const SECRETS: &str = "/api/v1/namespaces/default/secrets";
const APPLY: (&str, &str) = ("Content-Type", "application/apply-patch+yaml");

#[tokio::test]
async fn server_side_apply_needs_a_field_manager_on_every_resource() {
    let s = Served::start().await;
    for (path, what) in [
        (format!("{REPOS}/r"), "Repository.config.porch.kpt.dev \"r\""),
        (format!("{REVISIONS}/repo.pkg.ws"), "PackageRevision.porch.kpt.dev \"repo.pkg.ws\""),
    ] {
        let st = s.request("PATCH", &path, &[APPLY], b"metadata: {}\n").await.status_body(422);
        assert_eq!(
            st["message"],
            format!("{what} is invalid: fieldManager: Required value: is required for apply patch"),
            "{st}"
        );
    }
    s.shutdown().await;
}

#[tokio::test]
async fn delete_options_are_read_for_every_resource() {
    let s = Served::start().await;
    assert_eq!(s.post_json(REPOS, &repository("kept")).await.status, 201);
    let json = [("Content-Type", "application/json")];
    let r = s.request("DELETE", &format!("{REPOS}/kept"), &json, br#"{"dryRun":["All"]}"#).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(s.get(&format!("{REPOS}/kept"), "application/json").await.status, 200, "a dry run keeps it");
    for path in [format!("{REPOS}/kept"), format!("{REVISIONS}/repo.pkg.ws")] {
        let st = s.request("DELETE", &path, &json, b"{").await.status_body(400);
        assert!(st["message"].as_str().is_some_and(|m| m.starts_with("error decoding")), "{st}");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn watch_events_of_a_store_kind_are_tables_when_asked() {
    let s = Served::start().await;
    let secret = json!({"metadata": {"name": "s"}, "stringData": {"k": "v"}});
    assert_eq!(s.post_json(SECRETS, &secret).await.status, 201);
    let r = s.get(&format!("{SECRETS}?watch=true&timeoutSeconds=1"), TABLE_ACCEPT).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let first: Value = serde_json::from_slice(r.body.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(first["type"], "ADDED", "{first}");
    let table = &first["object"];
    assert_eq!(table["kind"], "Table", "{first}");
    let columns: Vec<&str> =
        table["columnDefinitions"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(columns, ["Name", "Type", "Data", "Age"], "{first}");
    assert_eq!(table["rows"][0]["cells"][0], "s", "{first}");
    assert_eq!(table["rows"][0]["cells"][2], 1, "{first}");
    s.shutdown().await;
}
