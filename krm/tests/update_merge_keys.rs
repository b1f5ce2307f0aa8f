//! `porch_krm::update::ensure_merge_keys`: the `# kpt-merge` comment and the
//! `internal.kpt.dev/upstream-identifier` annotation Porch adds after clone and upgrade.

use porch_krm::update::{Files, ensure_merge_keys};

fn files(entries: &[(&str, &str)]) -> Files {
    entries.iter().map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())).collect()
}

fn text(files: &Files, path: &str) -> String {
    String::from_utf8(files[path].clone()).unwrap()
}

#[test]
fn resources_get_the_comment_and_the_identifier() {
    let mut f = files(&[(
        "app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  replicas: 1 # one\n\
         ---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  annotations:\n    team: blue\n",
    )]);
    assert!(ensure_merge_keys(&mut f).is_empty());
    assert_eq!(
        text(&f, "app.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: # kpt-merge: prod/web\n  name: web\n  namespace: prod\n  \
         annotations:\n    internal.kpt.dev/upstream-identifier: apps|Deployment|prod|web\nspec:\n  replicas: 1 # one\n\
         ---\napiVersion: v1\nkind: ConfigMap\nmetadata: # kpt-merge: /cm\n  name: cm\n  annotations:\n    team: blue\n    \
         internal.kpt.dev/upstream-identifier: '|ConfigMap|default|cm'\n"
    );
}

#[test]
fn an_existing_merge_comment_is_kept_and_names_the_upstream() {
    let text_in = "apiVersion: v1\nkind: ResourceQuota\nmetadata: # kpt-merge: example/default\n  name: default\n  \
                   namespace: backend\n";
    let mut f = files(&[("rq.yaml", text_in)]);
    ensure_merge_keys(&mut f);
    assert_eq!(
        text(&f, "rq.yaml"),
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: # kpt-merge: example/default\n  name: default\n  \
         namespace: backend\n  annotations:\n    internal.kpt.dev/upstream-identifier: '|ResourceQuota|example|default'\n"
    );
    // Another line comment on metadata is replaced, as kpt does.
    let mut f = files(&[("x.yaml", "apiVersion: v1\nkind: Secret\nmetadata: # mine\n  name: s\n")]);
    ensure_merge_keys(&mut f);
    assert!(text(&f, "x.yaml").starts_with("apiVersion: v1\nkind: Secret\nmetadata: # kpt-merge: /s\n"));
}

#[test]
fn the_kptfile_gets_them_too() {
    let mut f = files(&[(
        "Kptfile",
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: basens-clone\n  annotations:\n    \
         config.kubernetes.io/local-config: \"true\"\n",
    )]);
    ensure_merge_keys(&mut f);
    assert_eq!(
        text(&f, "Kptfile"),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: # kpt-merge: /basens-clone\n  name: basens-clone\n  \
         annotations:\n    config.kubernetes.io/local-config: \"true\"\n    \
         internal.kpt.dev/upstream-identifier: kpt.dev|Kptfile|default|basens-clone\n"
    );
}

#[test]
fn other_files_and_documents_without_identity_are_left_byte_for_byte() {
    let no_identity = "# values\nkind: Values\nspec:\n  replicas: 3\n";
    let json = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"j\"}}";
    let done = "apiVersion: v1\nkind: ConfigMap\nmetadata: # kpt-merge: /cm\n  name: cm\n  annotations:\n    \
                internal.kpt.dev/upstream-identifier: '|ConfigMap|default|cm'\n";
    let original = files(&[
        ("values.yaml", no_identity),
        ("cm.json", json),
        ("README.md", "metadata:\n  name: x\n"),
        ("done.yml", done),
        ("sub/only-labels.yaml", "kind: X\nmetadata:\n  labels:\n    a: b\n"),
    ]);
    let mut f = original.clone();
    assert!(ensure_merge_keys(&mut f).is_empty());
    for path in ["values.yaml", "cm.json", "README.md", "done.yml"] {
        assert_eq!(f[path], original[path], "{path}");
    }
    // Labels alone are enough (kpt's check), with an empty name and namespace.
    assert_eq!(
        text(&f, "sub/only-labels.yaml"),
        "kind: X\nmetadata: # kpt-merge: /\n  labels:\n    a: b\n  annotations:\n    \
         internal.kpt.dev/upstream-identifier: '|X|default|'\n"
    );
    // Running again changes nothing.
    let again = f.clone();
    ensure_merge_keys(&mut f);
    assert_eq!(f, again);
}

#[test]
fn files_that_do_not_parse_are_reported_and_left_alone() {
    let mut f = files(&[
        ("bad.yaml", "a: [b\n"),
        ("ok.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"),
    ]);
    let problems = ensure_merge_keys(&mut f);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, "bad.yaml");
    assert!(problems[0].1.starts_with("yaml: line"), "{problems:?}");
    assert_eq!(text(&f, "bad.yaml"), "a: [b\n");
    assert!(text(&f, "ok.yaml").contains("upstream-identifier: '|Secret|default|s'"));
}

#[test]
fn a_flow_metadata_gets_the_comment_once() {
    let mut f = files(&[("f.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n")]);
    ensure_merge_keys(&mut f);
    let once = f.clone();
    ensure_merge_keys(&mut f);
    assert_eq!(f, once, "{}", text(&f, "f.yaml"));
    assert_eq!(text(&f, "f.yaml").matches("kpt-merge").count(), 1, "{}", text(&f, "f.yaml"));
}
