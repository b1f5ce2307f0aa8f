//! `porch_krm::update` with resource-merge, one package: resource matching, the per-resource
//! table, the field rules, associative lists (built-in kinds and CRDs), and what happens to the
//! text of local files.

use porch_krm::update::{Files, Strategy, UpdateError, update};

fn files(entries: &[(&str, &str)]) -> Files {
    entries.iter().map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())).collect()
}

/// Resource-merge of one file `r.yaml` (`None`: the file is absent); returns the new
/// `r.yaml`, `None` when it was deleted.
fn merge(original: Option<&str>, updated: Option<&str>, local: Option<&str>) -> Option<String> {
    let set = |t: Option<&str>| files(&t.map(|t| vec![("r.yaml", t)]).unwrap_or_default());
    let out = update(Strategy::ResourceMerge, &set(original), &set(updated), &set(local)).unwrap();
    out.get("r.yaml").map(|b| String::from_utf8(b.clone()).unwrap())
}

fn merged(original: &str, updated: &str, local: &str) -> String {
    merge(Some(original), Some(updated), Some(local)).expect("r.yaml")
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: \"1\"\n";
const CM_EDITED: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: \"2\"\n";

// --- the per-resource table ---

#[test]
fn a_resource_added_locally_is_kept() {
    assert_eq!(merge(None, None, Some(CM)).as_deref(), Some(CM));
    let other = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n";
    let out = merge(Some(other), Some(other), Some(&format!("{other}---\n{CM}"))).unwrap();
    assert_eq!(out, format!("{other}---\n{CM}"));
}

#[test]
fn a_resource_added_upstream_is_taken_with_its_text() {
    let upstream =
        "# from upstream\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  a: '1' # one\n";
    assert_eq!(merge(None, Some(upstream), None).as_deref(), Some(upstream));
}

#[test]
fn a_resource_missing_from_updated_and_local_stays_out() {
    assert_eq!(merge(Some(CM), None, None), None);
    assert_eq!(merge(None, None, None), None);
}

#[test]
fn a_resource_deleted_upstream_goes_only_when_unmodified_locally() {
    assert_eq!(merge(Some(CM), None, Some(CM)), None, "unmodified: deleted with its file");
    assert_eq!(merge(Some(CM), None, Some(CM_EDITED)).as_deref(), Some(CM_EDITED), "modified: kept");
    // kpt's blueprint annotation is bookkeeping, not a local change.
    let blueprint = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  annotations:\n    \
                     cnrm.cloud.google.com/blueprint: kpt\ndata:\n  a: \"1\"\n";
    assert_eq!(merge(Some(CM), None, Some(blueprint)), None);
    // A comment is a change (kpt compares the printed resources).
    let commented = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: \"1\" # mine\n";
    assert_eq!(merge(Some(CM), None, Some(commented)).as_deref(), Some(commented));
}

#[test]
fn a_resource_deleted_locally_is_not_brought_back() {
    let keep = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n";
    let both = format!("{keep}---\n{CM}");
    assert_eq!(
        merge(Some(&both), Some(&format!("{keep}---\n{CM_EDITED}")), Some(keep)).as_deref(),
        Some(keep)
    );
}

// --- matching ---

#[test]
fn the_kpt_merge_comment_matches_a_resource_whose_namespace_changed_locally() {
    let original = "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: default\n  namespace: example\n\
                    spec:\n  hard:\n    cpu: \"40\"\n    memory: 40G\n";
    let updated = original.replace("40G", "60G");
    let local = "apiVersion: v1\nkind: ResourceQuota\nmetadata: # kpt-merge: example/default\n  name: default\n  \
                 namespace: backend\nspec:\n  hard:\n    cpu: \"40\"\n    memory: 40G\n";
    assert_eq!(merged(original, &updated, local), local.replace("40G", "60G"));
    // Without the comment the renamed resource is another one, added locally, and the
    // original one counts as deleted locally: upstream's change does not reach it.
    let plain = local.replace(" # kpt-merge: example/default", "");
    assert_eq!(merged(original, &updated, &plain), plain);
}

#[test]
fn resources_match_by_group_kind_name_and_file() {
    // Same name, other group: two resources.
    let original = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: 1\n";
    let extensions = original.replace("apps/v1", "extensions/v1beta1");
    let updated = original.replace("replicas: 1", "replicas: 2");
    let out = merged(original, &updated, &format!("{original}---\n{extensions}"));
    assert_eq!(out, format!("{updated}---\n{extensions}"));
    // Same resource in another file: another resource.
    let o = files(&[("a.yaml", CM)]);
    let u = files(&[("a.yaml", CM_EDITED)]);
    let l = files(&[("b.yaml", CM)]);
    let out = update(Strategy::ResourceMerge, &o, &u, &l).unwrap();
    assert_eq!(out, files(&[("b.yaml", CM)]), "a.yaml was deleted locally, b.yaml added");
}

#[test]
fn duplicate_resources_are_an_error_naming_the_version_and_file() {
    let dup = format!("{CM}---\n{CM_EDITED}");
    let err = update(Strategy::ResourceMerge, &files(&[]), &files(&[]), &files(&[("dir/r.yaml", &dup)]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "found duplicate \"dest\" resources in file \"dir/r.yaml\", please refer to \"update\" documentation for the fix"
    );
    let err =
        update(Strategy::ResourceMerge, &files(&[("r.yaml", &dup)]), &files(&[]), &files(&[])).unwrap_err();
    assert_eq!(err, UpdateError::DuplicateResource { origin: "original", file: "r.yaml".into() });
}

#[test]
fn a_file_that_does_not_parse_is_named() {
    let err = update(Strategy::ResourceMerge, &files(&[]), &files(&[("bad.yaml", "a: [b\n")]), &files(&[]))
        .unwrap_err();
    assert!(
        matches!(&err, UpdateError::Parse { version: "updated", file, .. } if file == "bad.yaml"),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("updated package: file \"bad.yaml\": yaml: line"), "{err}");
}

// --- field rules ---

const BASE: &str = "apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: t\nspec:\n";

fn thing(spec: &str) -> String {
    format!("{BASE}{spec}")
}

#[test]
fn scalars_updated_wins_when_upstream_changed_else_local() {
    let o = thing("  a: 1\n  b: 1\n  c: 1\n  d: 1\n");
    let u = thing("  a: 2\n  b: 2\n  c: 1\n  d: 1\n");
    let l = thing("  a: 1\n  b: 3\n  c: 3\n  d: 1\n");
    // a: upstream changed, local not → 2; b: both changed → upstream's 2; c: local only → 3.
    assert_eq!(merged(&o, &u, &l), thing("  a: 2\n  b: 2\n  c: 3\n  d: 1\n"));
}

#[test]
fn scalars_added_or_deleted_upstream_follow_upstream() {
    let o = thing("  keep: 1\n  gone: 1\n  edited: 1\n");
    let u = thing("  keep: 1\n  new: 1\n");
    let l = thing("  keep: 1\n  gone: 1\n  edited: 5\n");
    // `edited` is deleted upstream even though local changed it; `new` is appended.
    assert_eq!(merged(&o, &u, &l), thing("  keep: 1\n  new: 1\n"));
}

#[test]
fn a_scalar_deleted_locally_stays_deleted_unless_upstream_changed_it() {
    let o = thing("  a: 1\n  b: 1\n  c: 1\n");
    let u = thing("  a: 1\n  b: 2\n  c: 1\n");
    let l = thing("  c: 1\n");
    assert_eq!(merged(&o, &u, &l), thing("  c: 1\n  b: 2\n"));
}

#[test]
fn an_explicit_null_clears_a_map() {
    let o = thing("  labels:\n    a: \"1\"\n  data:\n    x: y\n  keep: 1\n");
    // Upstream nulls `labels`; local nulls `data`.
    let u = thing("  labels: null\n  data:\n    x: y\n  keep: 1\n");
    let l = thing("  labels:\n    a: \"1\"\n  data: null\n  keep: 1\n");
    assert_eq!(merged(&o, &u, &l), thing("  keep: 1\n"));
}

#[test]
fn a_map_deleted_locally_is_recreated_with_upstream_changes() {
    let o = thing("  tmpl:\n    a: 1\n    b: 1\n  x: 1\n");
    let l = thing("  x: 1\n");
    // Nothing changed upstream inside: it comes back empty (kyaml's visitor).
    assert_eq!(merged(&o, &o, &l), thing("  x: 1\n  tmpl: {}\n"));
    let u = thing("  tmpl:\n    a: 1\n    b: 2\n  x: 1\n");
    assert_eq!(merged(&o, &u, &l), thing("  x: 1\n  tmpl:\n    b: 2\n"));
}

#[test]
fn new_maps_from_upstream_have_their_keys_sorted() {
    let o = thing("  x: 1\n");
    let u = thing("  x: 1\n  added:\n    z: 1 # last\n    a: 2\n");
    assert_eq!(merged(&o, &u, &o), thing("  x: 1\n  added:\n    a: 2\n    z: 1 # last\n"));
}

#[test]
fn non_associative_lists_are_replaced_when_upstream_changed_them() {
    let o = thing("  args: [a, b]\n  tags:\n  - x\n");
    let u = thing("  args: [a, c]\n  tags:\n  - x\n");
    let l = thing("  args: [a, b, local]\n  tags:\n  - x\n  - local\n");
    // args: upstream's (local's addition lost), flow style kept; tags: local's.
    assert_eq!(merged(&o, &u, &l), thing("  args: [a, c]\n  tags:\n  - x\n  - local\n"));
}

#[test]
fn a_locally_quoted_value_stays_quoted_when_upstream_changes_it() {
    let o = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx:1.0\n    \
             tty: true\n";
    let u = o.replace("nginx:1.0", "nginx:1.1").replace("tty: true", "tty: false");
    let l = o.replace("image: nginx:1.0", "image: \"nginx:1.0\"").replace("tty: true", "tty: 'x'");
    let out = merged(o, &u, &l);
    assert!(out.contains("    image: \"nginx:1.1\"\n"), "{out}");
    // A bool stays a bool: the local quotes would make it a string.
    assert!(out.contains("    tty: false\n"), "{out}");
}

// --- associative lists ---

const DEPLOY_O: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        image: app:1
        env:
        - name: A
          value: a
        - name: B
          value: b
      - name: sidecar
        image: side:1
";

#[test]
fn containers_and_env_merge_by_name() {
    // Upstream: app image 2, env B removed, env C added, sidecar removed, metrics added.
    let updated = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: metrics
        image: metrics:1
      - name: app
        image: app:2
        env:
        - name: A
          value: a
        - name: C
          value: c
";
    // Local: env L added to app, a local container, a comment.
    let local = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app # the app
        image: app:1
        env:
        - name: A
          value: a
        - name: B
          value: b
        - name: L
          value: l
      - name: sidecar
        image: side:1
      - name: mine
        image: mine:1
";
    let expected = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app # the app
        image: app:2
        env:
        - name: A
          value: a
        - name: L
          value: l
        - name: C
          value: c
      - name: mine
        image: mine:1
      - image: metrics:1
        name: metrics
";
    assert_eq!(merged(DEPLOY_O, updated, local), expected);
}

#[test]
fn an_element_deleted_upstream_keeps_only_what_local_added_to_it() {
    // kyaml's visitor: the fields upstream had are cleared, the local ones stay.
    let updated = DEPLOY_O.replace("      - name: sidecar\n        image: side:1\n", "");
    let local = DEPLOY_O.replace("image: side:1\n", "image: side:1\n        tty: true\n");
    let out = merged(DEPLOY_O, &updated, &local);
    assert!(out.ends_with("          value: b\n      - tty: true\n        name: sidecar\n"), "{out}");
}

#[test]
fn ports_with_and_without_protocol_are_one_port() {
    let o = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n    name: http\n";
    let u = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n    protocol: TCP\n    \
             name: web\n  - port: 443\n    name: https\n";
    let out = merged(o, u, o);
    assert_eq!(
        out,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n    name: web\n    \
         protocol: TCP\n  - name: https\n    port: 443\n"
    );
}

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: stores.fruit.example
spec:
  group: fruit.example
  names:
    kind: Store
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              fruits:
                type: array
                x-kubernetes-patch-strategy: merge
                x-kubernetes-patch-merge-key: name
                items:
                  type: object
";

fn store(fruits: &str) -> String {
    format!("apiVersion: fruit.example/v1\nkind: Store\nmetadata:\n  name: s\nspec:\n  fruits:\n{fruits}")
}

#[test]
fn a_crd_of_the_local_package_makes_its_lists_associative() {
    let o = store("  - name: apple\n    amount: 1\n  - name: pear\n    amount: 1\n");
    let u = store("  - name: apple\n    amount: 2\n  - name: plum\n    amount: 1\n");
    let l = store(
        "  - name: pear\n    amount: 1\n  - name: apple\n    amount: 1\n  - name: fig\n    amount: 9\n",
    );
    let with_crd = |r: &str| files(&[("crd.yaml", CRD), ("r.yaml", r)]);
    let out = update(Strategy::ResourceMerge, &with_crd(&o), &with_crd(&u), &with_crd(&l)).unwrap();
    assert_eq!(
        String::from_utf8(out["r.yaml"].clone()).unwrap(),
        store(
            "  - name: apple\n    amount: 2\n  - name: fig\n    amount: 9\n  - amount: 1\n    name: plum\n"
        )
    );
    // Without the CRD the list is one value: upstream's.
    assert_eq!(merged(&o, &u, &l), u);
    // Only the local package's CRDs count (kpt's getCrdSchemas).
    let upstream_only = |r: &str| files(&[("r.yaml", r)]);
    let out = update(Strategy::ResourceMerge, &upstream_only(&o), &with_crd(&u), &upstream_only(&l)).unwrap();
    assert_eq!(String::from_utf8(out["r.yaml"].clone()).unwrap(), u);
}

#[test]
fn finalizers_merge_by_value() {
    let meta =
        |f: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  finalizers:\n{f}");
    let o = meta("  - a\n  - b\n");
    let u = meta("  - a\n  - c\n");
    let l = meta("  - a\n  - b\n  - mine\n");
    assert_eq!(merged(&o, &u, &l), meta("  - a\n  - mine\n  - c\n"));
}

// --- text ---

#[test]
fn an_unchanged_file_comes_back_byte_for_byte() {
    let odd = "# header\r\napiVersion: v1\r\nkind:   ConfigMap\r\nmetadata:\r\n    name: cm   # name\r\n\
               data: {a: '1',   b: \"2\"}\r\n";
    let upstream_changed_elsewhere = files(&[("r.yaml", CM), ("other.yaml", CM.replace("cm", "o").as_str())]);
    let original = files(&[("r.yaml", CM), ("other.yaml", CM.replace("cm", "o").as_str())]);
    let local = files(&[("r.yaml", odd), ("other.yaml", CM.replace("cm", "o").as_str())]);
    let mut updated = upstream_changed_elsewhere;
    updated.insert("other.yaml".into(), CM_EDITED.replace("cm", "o").into_bytes());
    let out = update(Strategy::ResourceMerge, &original, &updated, &local).unwrap();
    assert_eq!(out["r.yaml"], odd.as_bytes());
    assert_eq!(out["other.yaml"], CM_EDITED.replace("cm", "o").as_bytes());
}

#[test]
fn local_comments_and_layout_survive_a_merge() {
    let o = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: \"1\"\n  b: x\n";
    let u = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: \"1\"\n  b: y\n";
    let l = "# my map\napiVersion: v1\nkind: ConfigMap\nmetadata: # kpt-merge: /cm\n  name: cm\n\n\
             # data below\ndata:\n  a: \"1\" # one\n  b: x   # bee\n  c: local\n";
    assert_eq!(
        merged(o, u, l),
        "# my map\napiVersion: v1\nkind: ConfigMap\nmetadata: # kpt-merge: /cm\n  name: cm\n\n\
         # data below\ndata:\n  a: \"1\" # one\n  b: y\n  c: local\n"
    );
}

#[test]
fn a_resource_added_upstream_goes_where_upstream_put_it() {
    let a = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
    let b = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n";
    let new = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\n";
    let mine = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\n";
    // Upstream inserts `new` first; local added `mine` last.
    let out = merged(
        &format!("{a}---\n{b}"),
        &format!("{new}---\n{a}---\n{b}"),
        &format!("{a}---\n{b}---\n{mine}"),
    );
    assert_eq!(out, format!("{new}---\n{a}---\n{b}---\n{mine}"));
    // Upstream appends `new`: it lands before the local one at the same index.
    let out = merged(
        &format!("{a}---\n{b}"),
        &format!("{a}---\n{b}---\n{new}"),
        &format!("{a}---\n{b}---\n{mine}"),
    );
    assert_eq!(out, format!("{a}---\n{b}---\n{new}---\n{mine}"));
}

#[test]
fn wrong_kinds_are_an_error() {
    let err = update(
        Strategy::ResourceMerge,
        &files(&[("r.yaml", &thing("  a: {b: 1}\n"))]),
        &files(&[("r.yaml", &thing("  a: {b: 2}\n"))]),
        &files(&[("r.yaml", &thing("  a: text\n"))]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to merge \"r.yaml\": wrong node kind at spec.a: expected ScalarNode but got MappingNode"
    );
}
