//! Repository credentials read from Secrets through the server's own kube client (standalone
//! mode: the embedded store serves the Secrets).

use crate::common::{data_dir, open, step};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::PostParams;
use porch_server::cache::credentials::{self, CredentialsError};
use porch_server::git::Credentials;
use serde_json::json;

fn secret(name: &str, type_: &str, string_data: serde_json::Value) -> Secret {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name}, "type": type_, "stringData": string_data,
    }))
    .expect("a valid Secret")
}

#[tokio::test]
async fn secrets_created_through_the_api_resolve_to_credentials() {
    let dir = data_dir();
    let app = open(&dir, None);
    let client = app.kube_client();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let pp = PostParams::default();
    let basic =
        secret("git-auth", "kubernetes.io/basic-auth", json!({"username": "me", "password": "s3cret"}));
    step("create basic", secrets.create(&pp, &basic)).await.expect("created");
    let bearer = secret("git-token", "Opaque", json!({"bearerToken": "t0k"}));
    step("create bearer", secrets.create(&pp, &bearer)).await.expect("created");
    let empty = secret("nothing", "Opaque", json!({"other": "x"}));
    step("create empty", secrets.create(&pp, &empty)).await.expect("created");

    let c = step("read basic", credentials::read(&client, "default", "git-auth")).await.expect("credentials");
    assert_eq!(c, Credentials::Basic { username: "me".into(), password: "s3cret".into() });
    let c =
        step("read bearer", credentials::read(&client, "default", "git-token")).await.expect("credentials");
    assert_eq!(c, Credentials::Bearer("t0k".into()));

    let missing = step("read missing", credentials::read(&client, "default", "absent")).await.unwrap_err();
    assert!(matches!(missing, CredentialsError::NotFound { .. }), "{missing}");
    let unusable = step("read unusable", credentials::read(&client, "default", "nothing")).await.unwrap_err();
    assert!(unusable.to_string().contains("default/nothing"), "{unusable}");
}
