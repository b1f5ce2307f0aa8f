//! `porch_krm::update` over whole packages: the strategies, subpackages, files that are not
//! resources, and the Kptfile merge.

use porch_krm::update::{Files, Strategy, UpdateError, update};

fn files(entries: &[(&str, &str)]) -> Files {
    entries.iter().map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())).collect()
}

fn text(files: &Files, path: &str) -> String {
    String::from_utf8(files.get(path).unwrap_or_else(|| panic!("{path} missing")).clone()).unwrap()
}

fn paths(files: &Files) -> Vec<&str> {
    files.keys().map(String::as_str).collect()
}

const KPTFILE: &str =
    "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\ninfo:\n  description: app\n";
const LOCAL_KPTFILE: &str = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app-clone # mine\n\
upstream:\n  type: git\n  git:\n    repo: https://example.com/repo.git\n    directory: app\n    ref: app/v1\n\
upstreamLock:\n  type: git\n  git:\n    repo: https://example.com/repo.git\n    directory: app\n    ref: app/v1\n    commit: abc\n\
info:\n  description: app\n";

fn cm(name: &str, value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: {value}\n")
}

#[test]
fn strategy_names_are_porchs() {
    for s in
        [Strategy::ResourceMerge, Strategy::FastForward, Strategy::ForceDeleteReplace, Strategy::CopyMerge]
    {
        assert_eq!(Strategy::from_name(s.as_str()), s);
    }
    assert_eq!(Strategy::from_name(""), Strategy::ResourceMerge);
    assert_eq!(Strategy::from_name("bogus"), Strategy::ResourceMerge);
    assert_eq!(Strategy::CopyMerge.as_str(), "copy-merge");
    assert_eq!(Strategy::ForceDeleteReplace.as_str(), "force-delete-replace");
}

// --- Kptfile ---

#[test]
fn kptfile_pipelines_merge_by_image_with_synthetic_keys() {
    let original = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\ninfo:\n  description: v1\npipeline:\n  \
                    mutators:\n  - image: gcr.io/kpt-fn/set-labels:v0.1\n    configMap:\n      app: x\n  \
                    - image: gcr.io/kpt-fn/old:v1\n";
    let updated = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\ninfo:\n  description: v2\npipeline:\n  \
                   mutators:\n  - image: gcr.io/kpt-fn/set-labels:v0.2\n    configMap:\n      app: x\n  \
                   - image: gcr.io/kpt-fn/apply-setters:v0.2\n    configPath: setters.yaml\n";
    // Local: its own upstream, a comment, the set-labels config edited, a local validator.
    let local = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app-clone\nupstream:\n  type: git\n\
                 info:\n  description: v1\npipeline:\n  mutators:\n  # labels\n  - image: gcr.io/kpt-fn/set-labels:v0.1\n    \
                 configMap:\n      app: mine\n  - image: gcr.io/kpt-fn/old:v1\n  validators:\n  \
                 - image: gcr.io/kpt-fn/kubeval:v0.3\n";
    let out = update(
        Strategy::ResourceMerge,
        &files(&[("Kptfile", original)]),
        &files(&[("Kptfile", updated)]),
        &files(&[("Kptfile", local)]),
    )
    .unwrap();
    assert_eq!(
        text(&out, "Kptfile"),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app-clone\nupstream:\n  type: git\n\
         info:\n  description: v2\npipeline:\n  mutators:\n  # labels\n  - image: gcr.io/kpt-fn/set-labels:v0.2\n    \
         configMap:\n      app: mine\n  - configPath: setters.yaml\n    image: gcr.io/kpt-fn/apply-setters:v0.2\n  \
         validators:\n  - image: gcr.io/kpt-fn/kubeval:v0.3\n"
    );
}

#[test]
fn named_kptfile_functions_merge_by_name_and_unnamed_ones_as_a_list() {
    let kf = |mutators: &str| {
        format!(
            "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\npipeline:\n  mutators:\n{mutators}"
        )
    };
    let run = |o: &str, u: &str, l: &str| {
        let out = update(
            Strategy::ResourceMerge,
            &files(&[("Kptfile", &kf(o))]),
            &files(&[("Kptfile", &kf(u))]),
            &files(&[("Kptfile", &kf(l))]),
        );
        out.map(|f| text(&f, "Kptfile"))
    };
    // Named: by name.
    let o = "  - name: a\n    image: a:1\n";
    let u = "  - name: a\n    image: a:2\n";
    let l = "  - name: a\n    image: a:1\n  - name: b\n    image: b:1\n";
    assert_eq!(run(o, u, l).unwrap(), kf("  - name: a\n    image: a:2\n  - name: b\n    image: b:1\n"));
    // The same image twice: no synthetic keys, so the list is one value: upstream's.
    let o = "  - image: a:1\n  - image: a:1\n";
    let u = "  - image: a:2\n  - image: a:1\n";
    let l = "  - image: a:1\n  - image: a:1\n  - image: b:1\n";
    assert_eq!(run(o, u, l).unwrap(), kf(u));
    // Named in one version, unnamed in another: kyaml's conflicting merge keys.
    let err = run("  - name: a\n    image: a:1\n", "  - image: a:2\n", "  - name: a\n    image: a:1\n")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to merge \"Kptfile\": conflicting merge keys [name,] for field pipeline.mutators"
    );
}

#[test]
fn an_unchanged_kptfile_keeps_its_text_and_local_upstream() {
    let local = files(&[("Kptfile", LOCAL_KPTFILE), ("cm.yaml", &cm("a", "1"))]);
    let upstream = files(&[("Kptfile", KPTFILE), ("cm.yaml", &cm("a", "1"))]);
    for s in
        [Strategy::ResourceMerge, Strategy::ForceDeleteReplace, Strategy::CopyMerge, Strategy::FastForward]
    {
        let out = update(s, &upstream, &upstream, &local).unwrap();
        assert_eq!(text(&out, "Kptfile"), LOCAL_KPTFILE, "{s:?}");
    }
}

// --- resource-merge: files and subpackages ---

#[test]
fn files_that_are_not_resources_follow_upstream_unless_changed_locally() {
    let original =
        files(&[("Kptfile", KPTFILE), ("README.md", "v1\n"), ("notes.txt", "n\n"), ("old.sh", "o")]);
    let updated =
        files(&[("Kptfile", KPTFILE), ("README.md", "v2\n"), ("notes.txt", "n2\n"), ("new.sh", "x")]);
    let local = files(&[
        ("Kptfile", KPTFILE),
        ("README.md", "v1\n"),
        ("notes.txt", "mine\n"),
        ("old.sh", "o"),
        ("my.txt", "m"),
    ]);
    let out = update(Strategy::ResourceMerge, &original, &updated, &local).unwrap();
    assert_eq!(
        out,
        files(&[
            ("Kptfile", KPTFILE),
            ("README.md", "v2\n"),
            ("my.txt", "m"),
            ("new.sh", "x"),
            ("notes.txt", "mine\n")
        ])
    );
}

#[test]
fn subpackages_added_on_both_sides_are_an_error() {
    let base = files(&[("Kptfile", KPTFILE)]);
    let with_sub = files(&[("Kptfile", KPTFILE), ("sub/Kptfile", KPTFILE)]);
    let err = update(Strategy::ResourceMerge, &base, &with_sub, &with_sub).unwrap_err();
    assert_eq!(err, UpdateError::SubpackageAddedBoth("sub".into()));
    assert_eq!(err.to_string(), "subpackage \"sub\" added in both upstream and local");
}

#[test]
fn subpackages_added_upstream_are_copied_and_deleted_upstream_removed_unless_modified() {
    let sub = |v: &str| vec![("sub/Kptfile", KPTFILE.to_string()), ("sub/cm.yaml", cm("s", v))];
    let mk = |extra: Vec<(&'static str, String)>| -> Files {
        let mut f = files(&[("Kptfile", KPTFILE)]);
        f.extend(extra.into_iter().map(|(p, t)| (p.to_string(), t.into_bytes())));
        f
    };
    let nested = vec![
        ("new/Kptfile", KPTFILE.to_string()),
        ("new/cm.yaml", cm("n", "1")),
        ("new/deep/Kptfile", KPTFILE.to_string()),
        ("new/deep/README.md", "deep".to_string()),
    ];
    // Added upstream (with a nested subpackage): copied as upstream has it.
    let out = update(Strategy::ResourceMerge, &mk(vec![]), &mk(nested.clone()), &mk(vec![])).unwrap();
    assert_eq!(out, mk(nested));
    // Deleted upstream, unmodified locally: removed.
    let out = update(Strategy::ResourceMerge, &mk(sub("1")), &mk(vec![]), &mk(sub("1"))).unwrap();
    assert_eq!(paths(&out), ["Kptfile"]);
    // Deleted upstream, modified locally: kept.
    let out = update(Strategy::ResourceMerge, &mk(sub("1")), &mk(vec![]), &mk(sub("2"))).unwrap();
    assert_eq!(out, mk(sub("2")));
    // Deleted locally: not brought back; added locally: left alone.
    let out = update(Strategy::ResourceMerge, &mk(sub("1")), &mk(sub("2")), &mk(vec![])).unwrap();
    assert_eq!(paths(&out), ["Kptfile"]);
    let out = update(Strategy::ResourceMerge, &mk(vec![]), &mk(vec![]), &mk(sub("1"))).unwrap();
    assert_eq!(out, mk(sub("1")));
}

#[test]
fn subpackages_in_all_three_are_merged_on_their_own() {
    let pkg = |root: &str, s: &str, local_only: bool| {
        let mut f =
            files(&[("Kptfile", KPTFILE), ("cm.yaml", root), ("sub/Kptfile", KPTFILE), ("sub/cm.yaml", s)]);
        if local_only {
            f.insert("sub/mine.txt".into(), b"m".to_vec());
        }
        f
    };
    let o = pkg(&cm("r", "1"), &cm("s", "1"), false);
    let u = pkg(&cm("r", "2"), &cm("s", "2"), false);
    let l = pkg(&cm("r", "1"), &cm("s", "1"), true);
    let out = update(Strategy::ResourceMerge, &o, &u, &l).unwrap();
    assert_eq!(out, pkg(&cm("r", "2"), &cm("s", "2"), true));
    // The same resource in root and subpackage is not a duplicate: packages merge apart.
    let same = pkg(&cm("x", "1"), &cm("x", "1"), false);
    assert!(update(Strategy::ResourceMerge, &same, &same, &same).is_ok());
}

// --- fast-forward ---

#[test]
fn fast_forward_refuses_local_changes_listing_them() {
    let original = files(&[
        ("Kptfile", KPTFILE),
        ("a.yaml", &cm("a", "1")),
        ("sub/Kptfile", KPTFILE),
        ("sub/b.yaml", &cm("b", "1")),
    ]);
    let mut local = original.clone();
    local.insert("a.yaml".into(), cm("a", "2").into_bytes());
    local.insert("sub/b.yaml".into(), cm("b", "2").into_bytes());
    local.insert("extra/new.txt".into(), b"x".to_vec());
    local.insert("other/Kptfile".into(), KPTFILE.as_bytes().to_vec());
    let err = update(Strategy::FastForward, &original, &original, &local).unwrap_err();
    assert_eq!(
        err.to_string(),
        "local package files have been modified: [a.yaml extra extra/new.txt other (Package) sub/b.yaml].\n  \
         use a different update --strategy."
    );
}

#[test]
fn fast_forward_ignores_the_root_upstream_and_render_status_and_clears_it() {
    let original = files(&[("Kptfile", KPTFILE), ("a.yaml", &cm("a", "1")), ("README.md", "r")]);
    let updated = files(&[("Kptfile", KPTFILE), ("a.yaml", &cm("a", "2")), ("b.yaml", &cm("b", "1"))]);
    // Local: its own name, upstream and lock, a render status; formatting differences only in a.yaml.
    let rendered = format!(
        "{LOCAL_KPTFILE}status:\n  conditions:\n  - type: Rendered\n    status: \"True\"\n  renderStatus:\n    \
         mutationSteps: []\n"
    );
    let local = files(&[
        ("Kptfile", &rendered),
        ("a.yaml", &cm("a", "1").replace("  v: 1", "    v:   1")),
        ("README.md", "r"),
    ]);
    let out = update(Strategy::FastForward, &original, &updated, &local).unwrap();
    assert_eq!(
        out,
        files(&[("Kptfile", LOCAL_KPTFILE), ("a.yaml", &cm("a", "2")), ("b.yaml", &cm("b", "1"))])
    );
    // Another change to the Kptfile is a change.
    let edited = files(&[
        ("Kptfile", &LOCAL_KPTFILE.replace("description: app", "description: mine")),
        ("a.yaml", &cm("a", "1")),
        ("README.md", "r"),
    ]);
    let err = update(Strategy::FastForward, &original, &updated, &edited).unwrap_err();
    assert_eq!(err, UpdateError::LocalChanges(vec!["Kptfile".into()]));
}

// --- force-delete-replace and copy-merge ---

#[test]
fn force_delete_replace_takes_upstreams_files_keeping_the_merged_root_kptfile() {
    let original = files(&[
        ("Kptfile", KPTFILE),
        ("a.yaml", &cm("a", "1")),
        ("gone/Kptfile", KPTFILE),
        ("gone/x.yaml", &cm("x", "1")),
    ]);
    let updated = files(&[
        ("Kptfile", &KPTFILE.replace("description: app", "description: v2")),
        ("a.yaml", &cm("a", "2")),
        ("sub/Kptfile", "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: sub\n"),
        ("sub/s.yaml", &cm("s", "1")),
    ]);
    let local = files(&[
        ("Kptfile", LOCAL_KPTFILE),
        ("a.yaml", &cm("a", "local")),
        ("mine.yaml", &cm("m", "1")),
        ("gone/Kptfile", KPTFILE),
        ("gone/x.yaml", &cm("x", "edited")),
        ("sub/Kptfile", KPTFILE),
        ("sub/old.txt", "o"),
    ]);
    let out = update(Strategy::ForceDeleteReplace, &original, &updated, &local).unwrap();
    assert_eq!(
        out,
        files(&[
            ("Kptfile", &LOCAL_KPTFILE.replace("description: app", "description: v2")),
            ("a.yaml", &cm("a", "2")),
            ("sub/Kptfile", "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: sub\n"),
            ("sub/s.yaml", &cm("s", "1")),
        ])
    );
}

#[test]
fn copy_merge_copies_upstream_over_local_and_drops_what_upstream_deleted() {
    let original = files(&[
        ("Kptfile", KPTFILE),
        ("a.yaml", &cm("a", "1")),
        ("old.yaml", &cm("o", "1")),
        ("dir/x.txt", "x"),
    ]);
    let updated = files(&[
        ("Kptfile", KPTFILE),
        ("a.yaml", &cm("a", "2")),
        ("sub/Kptfile", KPTFILE),
        ("sub/n.yaml", &cm("n", "1")),
    ]);
    let local = files(&[
        ("Kptfile", LOCAL_KPTFILE),
        ("a.yaml", &cm("a", "local")),
        ("old.yaml", &cm("o", "edited")),
        ("dir/x.txt", "x"),
        ("dir/mine.txt", "m"),
        ("mine.yaml", &cm("m", "1")),
    ]);
    let out = update(Strategy::CopyMerge, &original, &updated, &local).unwrap();
    assert_eq!(
        out,
        files(&[
            ("Kptfile", LOCAL_KPTFILE),
            ("a.yaml", &cm("a", "2")),
            ("dir/mine.txt", "m"),
            ("mine.yaml", &cm("m", "1")),
            ("sub/Kptfile", KPTFILE),
            ("sub/n.yaml", &cm("n", "1")),
        ])
    );
}

#[test]
fn porchs_file_cases_per_strategy() {
    // pkg/repository/update_test.go's performUpdateAndValidate, with our own contents.
    let o = files(&[("file1.txt", "original content")]);
    let u = files(&[("file1.txt", "upstream content")]);
    let l = files(&[("file1.txt", "local content")]);
    let run = |s| update(s, &o, &u, &l).map(|f| text(&f, "file1.txt"));
    assert_eq!(run(Strategy::CopyMerge).unwrap(), "upstream content");
    assert_eq!(run(Strategy::ForceDeleteReplace).unwrap(), "upstream content");
    assert_eq!(run(Strategy::ResourceMerge).unwrap(), "local content");
    assert_eq!(run(Strategy::FastForward).unwrap_err(), UpdateError::LocalChanges(vec!["file1.txt".into()]));
}
