use super::*;

const UPSTREAM_KPTFILE: &str = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: basens\n  \
                                annotations:\n    config.kubernetes.io/local-config: \"true\"\ninfo:\n  \
                                description: sample\n";

fn upstream() -> Files {
    Files::from([
        ("Kptfile".to_string(), UPSTREAM_KPTFILE.as_bytes().to_vec()),
        ("ns.yaml".to_string(), b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: example\n".to_vec()),
    ])
}

fn lock() -> GitLock {
    GitLock {
        repo: "https://example.com/blueprints.git".into(),
        directory: "basens".into(),
        ref_: "basens/v1".into(),
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
    }
}

fn target(package_path: &str, deployment: bool) -> CloneTarget<'_> {
    CloneTarget { package_path, deployment, strategy: &MergeStrategy::ResourceMerge }
}

fn text(files: &Files, path: &str) -> String {
    String::from_utf8(files[path].clone()).unwrap()
}

#[test]
fn a_clone_renames_the_package_and_records_upstream_and_lock() {
    let files = clone_package(&upstream(), &lock(), target("team/my-ns", false)).unwrap();
    assert_eq!(
        text(&files, "Kptfile"),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: my-ns\n  annotations:\n    \
         config.kubernetes.io/local-config: \"true\"\nupstream:\n  type: git\n  git:\n    \
         repo: https://example.com/blueprints.git\n    directory: basens\n    ref: basens/v1\n  \
         updateStrategy: resource-merge\nupstreamLock:\n  type: git\n  git:\n    \
         repo: https://example.com/blueprints.git\n    directory: basens\n    ref: basens/v1\n    \
         commit: 0123456789abcdef0123456789abcdef01234567\ninfo:\n  description: sample\n"
    );
    assert_eq!(files["ns.yaml"], upstream()["ns.yaml"]);
    assert!(!files.contains_key("package-context.yaml"));
}

#[test]
fn a_clone_into_a_deployment_repository_gets_a_package_context() {
    let flat = clone_package(&upstream(), &lock(), target("my-ns", true)).unwrap();
    assert!(text(&flat, "package-context.yaml").ends_with("data:\n  name: my-ns\n"));
    let nested = clone_package(&upstream(), &lock(), target("/team/my-ns/", true)).unwrap();
    assert!(
        text(&nested, "package-context.yaml").ends_with("data:\n  name: my-ns\n  package-path: team/my-ns\n")
    );
}

#[test]
fn an_upstream_without_kptfile_cannot_be_cloned() {
    let mut files = upstream();
    files.remove("Kptfile");
    let e = clone_package(&files, &lock(), target("p", false)).unwrap_err();
    assert_eq!(e.to_string(), "upstream package \"basens\" is missing Kptfile");
}

#[test]
fn a_raw_git_lock_trims_the_directory_and_keeps_the_given_ref() {
    let package = GitPackage {
        repo: "https://e.com/r.git".into(),
        ref_: "v1".into(),
        directory: "/pkgs/basens/".into(),
        ..Default::default()
    };
    assert_eq!(
        raw_git_lock(&package, "abc"),
        GitLock {
            repo: "https://e.com/r.git".into(),
            directory: "pkgs/basens".into(),
            ref_: "v1".into(),
            commit: "abc".into()
        }
    );
}

#[test]
fn raw_git_refs_are_tried_directory_first_then_plain() {
    assert_eq!(
        git_ref_candidates("/basens/", "v1"),
        ["basens/v1", "refs/remotes/origin/basens/v1", "v1", "refs/remotes/origin/v1"]
    );
    assert_eq!(git_ref_candidates("/", "main"), ["main", "refs/remotes/origin/main"]);
}
