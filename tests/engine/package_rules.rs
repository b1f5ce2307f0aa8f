//! The rules every package obeys, through the API on real remotes: no file is silently lost
//! (a path that is both a file and a directory is a 422 naming both keys), file names and
//! package paths are checked with 422 (never 409) — by a dry run exactly as by the real create —
//! the root Kptfile must be a Kptfile, and creating a new package is atomic: concurrent creates
//! of one new package (or of nesting ones) behave as sequential ones.

use std::collections::BTreeMap;
use std::path::Path;

use kube::api::PostParams;
use porch_api::PackageRevision;
use serde_json::{Value, json};

use super::common::{Env, api_error, step};
use super::support::{GitDaemon, WorkTree, bare_repo, file_url, kptfile, remote_refs};

/// A PackageRevision create of `spec`, for real or as a dry run.
async fn post(env: &Env, spec: Value, dry_run: bool) -> Result<PackageRevision, kube::Error> {
    let pr: PackageRevision = serde_json::from_value(json!({
        "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision",
        "metadata": {"name": "ignored"}, "spec": spec,
    }))
    .unwrap();
    let params = PostParams { dry_run, ..PostParams::default() };
    env.prs().create(&params, &pr).await
}

/// `(code, message)` of a create: 201 and the object's name, or the error's status.
fn outcome(result: Result<PackageRevision, kube::Error>) -> (u16, String) {
    match result {
        Ok(pr) => (201, pr.metadata.name.unwrap_or_default()),
        Err(e) => {
            let status = api_error(Err::<(), _>(e));
            (status.code, status.message)
        }
    }
}

/// Replaces the resources of `name` with `edit` applied; the error status on failure.
async fn replace_resources(
    env: &Env,
    name: &str,
    edit: impl FnOnce(&mut BTreeMap<String, String>),
) -> Result<(), kube::core::Status> {
    let mut prr = env.prrs().get(name).await.unwrap();
    edit(&mut prr.spec.resources);
    match env.prrs().replace(name, &PostParams::default(), &prr).await {
        Ok(_) => Ok(()),
        Err(e) => Err(api_error(Err::<(), _>(e))),
    }
}

fn assert_invalid(status: &kube::core::Status, parts: &[&str]) {
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"), "{}", status.message);
    for part in parts {
        assert!(status.message.contains(part), "{part:?} not in {}", status.message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_that_is_both_a_file_and_a_directory_is_refused_and_nothing_is_written() {
    let env = Env::start();
    let remote = env.register_empty("r1").await;
    env.init("r1", "paths", "w1").await;
    let name = "r1.paths.w1";
    let before = (remote_refs(&remote), env.prrs().get(name).await.unwrap().spec.resources);
    assert!(before.1.contains_key("README.md"));

    // (files added, [the inner key, the file it conflicts with])
    type Case<'a> = (&'a [(&'a str, &'a str)], [&'a str; 2]);
    let cases: [Case<'_>; 3] = [
        (
            &[("notes.txt", "important\n"), ("notes.txt/child.yaml", "kind: ConfigMap\n")],
            ["notes.txt/child.yaml", "notes.txt"],
        ),
        (&[("README.md/inner", "x\n")], ["README.md/inner", "README.md"]),
        (&[("Kptfile/x.yaml", "kind: ConfigMap\n")], ["Kptfile/x.yaml", "Kptfile"]),
    ];
    for (added, [inner, file]) in cases {
        let status = replace_resources(&env, name, |resources| {
            resources.extend(added.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        })
        .await
        .expect_err("a file/directory conflict is refused");
        assert_invalid(
            &status,
            &[
                &format!(
                    "spec.resources[{inner}]: Invalid value: file path conflicts with spec.resources[{file}]"
                ),
                &format!("{file:?} cannot be both a file and a directory"),
            ],
        );
        let after = (remote_refs(&remote), env.prrs().get(name).await.unwrap().spec.resources);
        assert_eq!(after, before, "nothing is written for {added:?}");
    }

    // Replacing the file by a directory of the same name is fine: the set is replaced whole.
    replace_resources(&env, name, |resources| {
        let readme = resources.remove("README.md").unwrap();
        resources.insert("README.md/inner".into(), readme);
    })
    .await
    .unwrap();
    let files = env.prrs().get(name).await.unwrap().spec.resources;
    assert!(files.contains_key("README.md/inner") && !files.contains_key("README.md"), "{files:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_file_names_are_422_naming_the_key_and_nothing_is_written() {
    let env = Env::start();
    let remote = env.register_empty("r1").await;
    env.init("r1", "paths", "w1").await;
    let name = "r1.paths.w1";
    let refs = remote_refs(&remote);

    let long = "k".repeat(256);
    let cases = [
        (
            ".git/config",
            "spec.resources[.git/config]: Invalid value: file path must not contain a '.git' segment",
        ),
        (
            "sub/.git/config",
            "spec.resources[sub/.git/config]: Invalid value: file path must not contain a '.git' segment",
        ),
        ("a/./b.yaml", "spec.resources[a/./b.yaml]: Invalid value: file path must not contain '.' segments"),
        ("./c.yaml", "spec.resources[./c.yaml]: Invalid value: file path must not contain '.' segments"),
        (".", "spec.resources[.]: Invalid value: file path must not contain '.' segments"),
        (
            "a//b.yaml",
            "spec.resources[a//b.yaml]: Invalid value: file path must not contain empty segments ('//')",
        ),
        ("dir/", "spec.resources[dir/]: Invalid value: file path must not end with '/'"),
        ("../x.yaml", "spec.resources[../x.yaml]: Invalid value: file path must not contain '..' segments"),
        ("\u{202e}lmy.yaml", "file path must not contain bidirectional control characters"),
        ("a\u{2066}b.yaml", "file path must not contain bidirectional control characters"),
        ("a\u{200f}b.yaml", "file path must not contain bidirectional control characters"),
        (&long, "each file or directory name in a file path must be at most 255 bytes"),
    ];
    for (key, want) in cases {
        let status = replace_resources(&env, name, |r| {
            r.insert(key.to_string(), "x: 1\n".into());
        })
        .await
        .expect_err(key);
        assert_invalid(&status, &[want]);
        if key.len() < 100 {
            assert!(
                status.message.contains(&format!("spec.resources[{}]", key.escape_debug())),
                "{}",
                status.message
            );
        }
    }
    assert_eq!(remote_refs(&remote), refs, "no refused name reached the remote");

    // A 255-byte name is fine, as are other non-ASCII names.
    let longest = "y".repeat(255);
    replace_resources(&env, name, |r| {
        r.insert(longest.clone(), "x: 1\n".into());
        r.insert(
            "ünïcödé/文件.yaml".into(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n".into(),
        );
    })
    .await
    .unwrap();
    let files = env.prrs().get(name).await.unwrap().spec.resources;
    assert!(files.contains_key(&longest) && files.contains_key("ünïcödé/文件.yaml"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_kptfile_that_is_empty_or_not_a_kptfile_is_refused() {
    let env = Env::start();
    let remote = env.register_empty("r1").await;
    env.init("r1", "pkg", "w1").await;
    let name = "r1.pkg.w1";
    let before = (remote_refs(&remote), env.prrs().get(name).await.unwrap().spec.resources);
    for (kptfile, want) in [
        ("", "spec.resources[Kptfile]: Invalid value: invalid Kptfile Kptfile: the Kptfile is empty"),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: v\n",
            "spec.resources[Kptfile]: Invalid value: invalid Kptfile Kptfile: unknown resource type \"/v1, Kind=ConfigMap\" \
             found in Kptfile",
        ),
    ] {
        let status = replace_resources(&env, name, |r| {
            r.insert("Kptfile".into(), kptfile.into());
        })
        .await
        .expect_err(kptfile);
        assert_invalid(&status, &[want]);
    }
    let after = (remote_refs(&remote), env.prrs().get(name).await.unwrap().spec.resources);
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_refuses_exactly_what_the_create_refuses() {
    let env = Env::start();
    let remote = env.register_empty("r1").await;
    env.init("r1", "existing", "w0").await;
    let spec = |package: &str, workspace: &str| json!({"repository": "r1", "packageName": package, "workspaceName": workspace});
    let cases = [
        (spec("/abs", "w"), 422, "spec.packageName: Invalid value: \"/abs\": must not start or end with '/'"),
        (spec("abs/", "w"), 422, "spec.packageName: Invalid value: \"abs/\": must not start or end with '/'"),
        (spec("a//b", "w"), 422, "consecutive '/' characters are not allowed"),
        (spec("A-Upper", "w"), 422, "spec.packageName: Invalid value: \"A-Upper\""),
        (spec("ok", "a/b"), 422, "spec.workspaceName: Invalid value: \"a/b\""),
        (spec("existing", "w1"), 422, "package \"existing\" already exists in repository \"r1\""),
        (
            spec("existing/inner", "w"),
            422,
            "conflicts with existing package \"existing\": packages cannot be nested",
        ),
        (spec("existing", "w0"), 409, "package revision workspaceNames must be unique"),
        (spec("fresh/pkg", "w"), 201, "r1.fresh.pkg.w"),
    ];
    for (spec, code, want) in cases {
        let refs = remote_refs(&remote);
        let dry = outcome(post(&env, spec.clone(), true).await);
        assert_eq!(remote_refs(&remote), refs, "a dry run writes nothing: {spec}");
        let real = outcome(post(&env, spec.clone(), false).await);
        assert_eq!(dry.0, real.0, "{spec}: dry run {dry:?}, create {real:?}");
        assert_eq!(real.0, code, "{spec}: {real:?}");
        assert!(dry.1.contains(want) && real.1.contains(want), "{spec}: {dry:?} {real:?}");
        if code != 201 {
            assert_eq!(dry.1, real.1, "{spec}");
            assert_eq!(remote_refs(&remote), refs, "a refused create writes nothing: {spec}");
        }
    }
}

/// A tag `up/v1` of package `up` whose directory `package-context.yaml/` collides with the file
/// a clone into a deployment repository adds.
fn upstream_with_a_colliding_directory(root: &Path) -> std::path::PathBuf {
    let remote = bare_repo(root, "ups.git");
    let w = WorkTree::new(root.join("ups-work"), &remote);
    w.write("up/Kptfile", &kptfile("up"));
    w.write("up/package-context.yaml/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n");
    w.commit("up v1");
    w.git(&["tag", "up/v1"]);
    w.push_all();
    remote
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_whose_files_would_collide_is_refused_with_the_files_named() {
    let env = Env::start();
    let upstream = upstream_with_a_colliding_directory(env.scratch.path());
    env.register("ups", &file_url(&upstream)).await;
    let deploy = bare_repo(env.scratch.path(), "dep.git");
    env.register_with(
        "dep",
        json!({"type": "git", "deployment": true,
            "git": {"repo": file_url(&deploy), "branch": "main", "createBranch": true}}),
    )
    .await;
    let refs = remote_refs(&deploy);
    let spec = json!({"repository": "dep", "packageName": "app", "workspaceName": "w",
        "tasks": [{"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "ups.up.v1"}}}}]});
    for dry_run in [true, false] {
        let status = api_error(post(&env, spec.clone(), dry_run).await);
        assert_invalid(
            &status,
            &[
                "spec.tasks[0]: Invalid value: the package would hold an invalid file",
                "spec.resources[package-context.yaml/cm.yaml]: Invalid value: file path conflicts with \
                 spec.resources[package-context.yaml]",
            ],
        );
    }
    assert_eq!(remote_refs(&deploy), refs);
}

/// A remote served by `git daemon` whose pushes each take a moment (a pre-receive hook), so
/// concurrent creates surely overlap.
fn slow_remote(root: &Path, name: &str) -> (GitDaemon, std::path::PathBuf, String) {
    let remote = bare_repo(root, &format!("{name}.git"));
    let hook = remote.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\ncat >/dev/null\nsleep 0.3\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let daemon = GitDaemon::start(root);
    let url = daemon.url(&format!("{name}.git"));
    (daemon, remote, url)
}

/// The part of a 422 message after the object's name.
fn cause(message: &str) -> &str {
    message.split_once(" is invalid: ").map_or(message, |(_, cause)| cause)
}

/// Fires one init per `(package, workspace)` at once; the outcomes in the same order.
async fn concurrent_inits(env: &Env, repo: &str, targets: &[(String, String)]) -> Vec<(u16, String)> {
    let creates = targets.iter().map(|(package, workspace)| {
        post(env, json!({"repository": repo, "packageName": package, "workspaceName": workspace}), false)
    });
    step("the concurrent creates", futures::future::join_all(creates))
        .await
        .into_iter()
        .map(outcome)
        .collect()
}

/// The draft branches on `remote` under `drafts/<prefix>`.
fn draft_branches(remote: &Path, prefix: &str) -> Vec<String> {
    let wanted = format!("refs/heads/drafts/{prefix}");
    remote_refs(remote).into_keys().filter(|r| r.starts_with(&wanted)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_inits_of_one_new_package_behave_as_sequential_ones() {
    let env = Env::start();
    let (_daemon, remote, url) = slow_remote(env.scratch.path(), "slow");
    env.register_with(
        "slow",
        json!({"type": "git", "git": {"repo": url, "branch": "main", "createBranch": true}}),
    )
    .await;

    // Twenty workspaces of one new package: one wins, the others get the sequential 422.
    let targets: Vec<_> = (0..20).map(|i| ("race".to_string(), format!("w{i}"))).collect();
    let outcomes = concurrent_inits(&env, "slow", &targets).await;
    let won: Vec<_> = outcomes.iter().filter(|o| o.0 == 201).collect();
    assert_eq!(won.len(), 1, "{outcomes:#?}");
    for (code, message) in outcomes.iter().filter(|o| o.0 != 201) {
        assert_eq!(*code, 422, "{message}");
        assert!(
            message.contains(
                "spec.packageName: Invalid value: package \"race\" already exists in repository \"slow\""
            ),
            "{message}"
        );
    }
    assert_eq!(draft_branches(&remote, "race/").len(), 1, "{:?}", remote_refs(&remote));
    let later = outcome(
        post(&env, json!({"repository": "slow", "packageName": "race", "workspaceName": "later"}), false)
            .await,
    );
    let loser = outcomes.iter().find(|o| o.0 == 422).unwrap();
    assert_eq!((loser.0, cause(&loser.1)), (later.0, cause(&later.1)), "the same 422 as a later create");

    // A new package and packages inside it, at once: exactly one of them is created.
    let targets: Vec<_> = (0..10)
        .flat_map(|i| [("nest".to_string(), format!("a{i}")), ("nest/inner".to_string(), format!("b{i}"))])
        .collect();
    let outcomes = concurrent_inits(&env, "slow", &targets).await;
    assert_eq!(outcomes.iter().filter(|o| o.0 == 201).count(), 1, "{outcomes:#?}");
    for (code, message) in outcomes.iter().filter(|o| o.0 != 201) {
        assert_eq!(*code, 422, "{message}");
        assert!(
            message.contains("already exists in repository \"slow\"")
                || message.contains("packages cannot be nested"),
            "{message}"
        );
    }
    assert_eq!(draft_branches(&remote, "nest/").len(), 1, "{:?}", remote_refs(&remote));

    // Unrelated new packages do not wait for each other's checks: all are created.
    let targets: Vec<_> = (0..5).map(|i| (format!("solo/p{i}"), "w".to_string())).collect();
    let outcomes = concurrent_inits(&env, "slow", &targets).await;
    assert!(outcomes.iter().all(|o| o.0 == 201), "{outcomes:#?}");
    assert_eq!(draft_branches(&remote, "solo/").len(), 5);
}
