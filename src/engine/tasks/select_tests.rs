use porch_api::porch::{
    OciPackage, PackageCloneTaskSpec, PackageEditTaskSpec, PackageRevisionRef, UpstreamPackage,
};

use super::*;

fn spec_with(tasks: Vec<Task>) -> PackageRevisionSpec {
    PackageRevisionSpec { package_name: "a/pkg".into(), tasks, ..Default::default() }
}

fn message(result: Result<CreationTask, EngineError>) -> String {
    result.unwrap_err().to_string()
}

fn clone_task(upstream: UpstreamPackage) -> Task {
    Task {
        type_: TaskType::Clone,
        clone: Some(PackageCloneTaskSpec { upstream, strategy: None }),
        ..Default::default()
    }
}

#[test]
fn no_task_means_the_default_init_with_the_package_description() {
    let chosen = select_task(&spec_with(vec![])).unwrap();
    assert_eq!(chosen.task, default_init_task("a/pkg"));
    let TaskKind::Init(init) = chosen.kind else { panic!("expected init") };
    assert_eq!(init.description, "a/pkg description");
}

#[test]
fn more_than_one_task_is_refused() {
    let init = default_init_task("p");
    let e = select_task(&spec_with(vec![init.clone(), init])).unwrap_err();
    let api = crate::rest::errors::engine_error(&e, &porch_api::gvk::PACKAGE_REVISION, "r.p.ws");
    assert_eq!(api.code(), 422);
    assert!(
        api.message().ends_with("spec.tasks: Invalid value: task list must not contain more than one task")
    );
}

#[test]
fn unknown_task_types_are_not_supported() {
    for (type_, want) in [
        (TaskType::Render, "task of type \"render\" not supported"),
        (TaskType::Unspecified, "task of type \"\" not supported"),
        (TaskType::Other("patch".into()), "task of type \"patch\" not supported"),
    ] {
        let task = Task { type_, ..Default::default() };
        assert_eq!(message(select_task(&spec_with(vec![task]))), want);
    }
}

#[test]
fn a_task_without_its_parameters_names_the_missing_part() {
    for (type_, want) in [
        (TaskType::Init, "init not set for task of type \"init\""),
        (TaskType::Clone, "clone not set for task of type \"clone\""),
        (TaskType::Edit, "edit not set for task of type \"edit\""),
        (TaskType::Upgrade, "upgrade field not set for task of type \"upgrade\""),
    ] {
        let task = Task { type_, ..Default::default() };
        assert_eq!(message(select_task(&spec_with(vec![task]))), want);
    }
}

#[test]
fn clone_sources_are_checked_in_porchs_order() {
    let named = |name: &str| UpstreamPackage {
        upstream_ref: Some(PackageRevisionRef { name: name.into() }),
        ..Default::default()
    };
    assert_eq!(message(select_task(&spec_with(vec![clone_task(named(""))]))), "upstreamRef.name is required");
    let chosen = select_task(&spec_with(vec![clone_task(named("up.pkg.v1"))])).unwrap();
    assert_eq!(
        chosen.kind,
        TaskKind::Clone {
            source: CloneSource::Registered { name: "up.pkg.v1".into() },
            strategy: MergeStrategy::ResourceMerge
        }
    );
    let oci = UpstreamPackage { oci: Some(OciPackage { image: "x".into() }), ..Default::default() };
    assert_eq!(message(select_task(&spec_with(vec![clone_task(oci)]))), "clone from OCI is not implemented");
    assert_eq!(
        message(select_task(&spec_with(vec![clone_task(UpstreamPackage::default())]))),
        "invalid clone source (neither of git, oci, nor upstream were specified)"
    );
    let git = GitPackage { repo: "https://e.com/r.git".into(), ..Default::default() };
    let chosen = select_task(&spec_with(vec![clone_task(UpstreamPackage {
        git: Some(git.clone()),
        ..Default::default()
    })]));
    assert!(matches!(chosen.unwrap().kind, TaskKind::Clone { source: CloneSource::Git(g), .. } if g == git));
}

#[test]
fn an_edit_needs_a_source_name() {
    let edit = |source| Task {
        type_: TaskType::Edit,
        edit: Some(PackageEditTaskSpec { source }),
        ..Default::default()
    };
    assert_eq!(message(select_task(&spec_with(vec![edit(None)]))), "sourceRef.name is required");
    let chosen = select_task(&spec_with(vec![edit(Some(PackageRevisionRef { name: "r.pkg.v1".into() }))]));
    assert_eq!(chosen.unwrap().kind, TaskKind::Edit { source: "r.pkg.v1".into() });
}

#[test]
fn placeholder_revisions_cannot_be_sources() {
    assert_eq!(check_clone_upstream(false, "blueprints", "blueprints.basens.main"), Ok(()));
    let cases = [
        (check_clone_upstream(true, "blueprints", "blueprints.basens.main"), "upstream revision"),
        (check_edit_source(true, "blueprints", "blueprints.basens.main"), "source revision"),
    ];
    for (result, what) in cases {
        assert_eq!(
            result.unwrap_err().to_string(),
            format!("{what} may not be the placeholder package revision blueprints/blueprints.basens.main")
        );
    }
}

#[test]
fn an_edit_source_must_be_a_published_revision_of_the_same_package() {
    let published = PackageRevisionLifecycle::Published;
    assert_eq!(check_edit_source_package(("r", "a/pkg"), ("r", "a/pkg"), &published), Ok(()));
    let deletion = PackageRevisionLifecycle::DeletionProposed;
    assert_eq!(check_edit_source_package(("r", "a/pkg"), ("r", "a/pkg"), &deletion), Ok(()));
    assert_eq!(
        check_edit_source_package(("r", "a/pkg"), ("other", "b/pkg"), &published).unwrap_err().to_string(),
        "source revision must be from same package r/a/pkg (got: other/b/pkg)"
    );
    assert_eq!(
        check_edit_source_package(("r", "a/pkg"), ("r", "a/pkg"), &PackageRevisionLifecycle::Draft)
            .unwrap_err()
            .to_string(),
        "source revision must be published"
    );
}
