use porch_api::porch::{
    PackageCloneTaskSpec, PackageMetadata, PackageRevisionRef, PackageUpgradeTaskSpec, UpstreamPackage,
};

use super::*;

fn lc(value: &str) -> Option<Lifecycle> {
    (!value.is_empty()).then(|| Lifecycle::from(value))
}

fn spec(lifecycle: &str) -> PackageRevisionSpec {
    PackageRevisionSpec {
        package_name: "pkg".into(),
        repository_name: "repo".into(),
        workspace_name: "ws".into(),
        lifecycle: lc(lifecycle),
        ..Default::default()
    }
}

fn texts(causes: &[FieldCause]) -> Vec<String> {
    causes.iter().map(ToString::to_string).collect()
}

type Expected = Result<Transition, Vec<String>>;

fn ok(t: Transition) -> Expected {
    Ok(t)
}

fn err(messages: &[String]) -> Expected {
    Err(messages.to_vec())
}

fn approve_refused(old: &str) -> String {
    format!(
        "spec.lifecycle: Invalid value: \"{old}\": cannot approve package with {old} lifecycle value; only \
         Proposed packages can be approved"
    )
}

fn approval_value(new: &str) -> String {
    format!("spec.lifecycle: Invalid value: \"{new}\": value for approval can be only one of Draft,Published")
}

const PUBLISHED_ONLY_TO_DELETION: &str = "spec.lifecycle: Invalid value: \"Published\": package with \
    Published lifecycle value can only be updated to 'ProposeDeletion'";
const DELETION_ONLY_TO_PUBLISHED: &str = "spec.lifecycle: Invalid value: \"DeletionProposed\": package \
    with DeletionProposed lifecycle value can only be updated to 'Published'";
const DELETION_NEEDS_PUBLISHED: &str = "spec.lifecycle: Invalid value: \"DeletionProposed\": cannot update \
                                        lifecycle DeletionProposed; only Published packages require approval \
                                        for deletion";

#[test]
fn the_approval_subresource_follows_porchs_whole_matrix() {
    use Transition::*;
    let a = approve_refused;
    let v = approval_value;
    let p = PUBLISHED_ONLY_TO_DELETION.to_string();
    let d = DELETION_ONLY_TO_PUBLISHED.to_string();
    let x = DELETION_NEEDS_PUBLISHED.to_string();
    let cases: Vec<(&str, &str, Expected)> = vec![
        ("Draft", "Draft", err(&[a("Draft")])),
        ("Draft", "Proposed", err(&[a("Draft"), v("Proposed")])),
        ("Draft", "Published", err(&[a("Draft")])),
        ("Draft", "DeletionProposed", err(&[a("Draft"), x.clone()])),
        ("Draft", "", err(&[a("Draft"), v("")])),
        ("Draft", "Bogus", err(&[a("Draft"), v("Bogus")])),
        ("Proposed", "Draft", ok(Reject)),
        ("Proposed", "Proposed", err(&[v("Proposed")])),
        ("Proposed", "Published", ok(Approve)),
        ("Proposed", "DeletionProposed", err(std::slice::from_ref(&x))),
        ("Proposed", "", err(&[v("")])),
        ("Proposed", "Bogus", err(&[v("Bogus")])),
        ("Published", "Draft", err(std::slice::from_ref(&p))),
        ("Published", "Proposed", err(&[p.clone(), v("Proposed")])),
        ("Published", "Published", err(std::slice::from_ref(&p))),
        ("Published", "DeletionProposed", ok(ProposeDeletion)),
        ("Published", "", err(&[p.clone(), v("")])),
        ("DeletionProposed", "Draft", err(std::slice::from_ref(&d))),
        ("DeletionProposed", "Proposed", err(&[d.clone(), v("Proposed")])),
        ("DeletionProposed", "Published", ok(CancelDeletion)),
        ("DeletionProposed", "DeletionProposed", err(&[d.clone(), x.clone()])),
        ("DeletionProposed", "Bogus", err(&[d.clone(), v("Bogus")])),
    ];
    for (old, new, want) in cases {
        let got = approval_transition(lc(old).as_ref(), lc(new).as_ref()).map_err(|c| texts(&c));
        assert_eq!(got, want, "approval {old:?} -> {new:?}");
    }
}

#[test]
fn the_main_resource_follows_porchs_whole_matrix() {
    use Transition::*;
    let all = |new: &str| {
        format!(
            "spec.lifecycle: Invalid value: \"{new}\": value can be only updated to \
             Draft,Proposed,Published,DeletionProposed"
        )
    };
    let two = |old: &str| {
        format!("spec.lifecycle: Invalid value: \"{old}\": value can be only updated to Draft,Proposed")
    };
    let s = "spec: Invalid value: spec can only update package with lifecycle value one of Draft,Proposed"
        .to_string();
    let cases: Vec<(&str, &str, Expected)> = vec![
        ("Draft", "Draft", ok(None)),
        ("Draft", "", ok(None)),
        ("Draft", "Proposed", ok(Propose)),
        ("Draft", "Published", err(&[two("Draft")])),
        ("Draft", "DeletionProposed", err(&[two("Draft")])),
        ("Draft", "Bogus", err(&[all("Bogus"), two("Draft")])),
        ("", "Published", err(&[two("")])),
        ("", "Proposed", ok(Propose)),
        ("Proposed", "Draft", ok(Reject)),
        ("Proposed", "", ok(Reject)),
        ("Proposed", "Proposed", ok(None)),
        ("Proposed", "Published", err(&[two("Proposed")])),
        ("Proposed", "DeletionProposed", err(&[two("Proposed")])),
        ("Published", "Draft", err(std::slice::from_ref(&s))),
        ("Published", "Proposed", err(std::slice::from_ref(&s))),
        ("Published", "", err(std::slice::from_ref(&s))),
        ("Published", "Published", ok(MetadataOnly)),
        ("Published", "DeletionProposed", ok(ProposeDeletion)),
        ("Published", "Bogus", err(&[all("Bogus"), s.clone()])),
        ("DeletionProposed", "Draft", err(std::slice::from_ref(&s))),
        ("DeletionProposed", "Published", ok(CancelDeletion)),
        ("DeletionProposed", "DeletionProposed", ok(MetadataOnly)),
    ];
    for (old, new, want) in cases {
        let got = update_transition(&spec(old), &spec(new)).map_err(|c| texts(&c));
        assert_eq!(got, want, "update {old:?} -> {new:?}");
    }
}

#[test]
fn a_published_revision_refuses_any_other_spec_change_even_with_the_flip() {
    let mut new = spec("DeletionProposed");
    new.workspace_name = "other".into();
    let causes = update_transition(&spec("Published"), &new).unwrap_err();
    assert_eq!(causes[0].field, "spec");
}

#[test]
fn an_absent_package_metadata_equals_an_empty_one_on_published_revisions() {
    let mut new = spec("Published");
    new.package_metadata = Some(PackageMetadata::default());
    assert_eq!(update_transition(&spec("Published"), &new), Ok(Transition::MetadataOnly));
}

#[test]
fn an_unknown_stored_lifecycle_cannot_be_updated() {
    let causes = update_transition(&spec("Weird"), &spec("Draft")).unwrap_err();
    assert_eq!(
        texts(&causes),
        ["spec.lifecycle: Invalid value: \"Weird\": can only update package with lifecycle value one of \
          Draft,Proposed,Published,DeletionProposed"]
    );
}

#[test]
fn create_accepts_only_an_unset_or_draft_lifecycle() {
    assert_eq!(validate_create_lifecycle(None), Ok(()));
    assert_eq!(validate_create_lifecycle(Some(&Lifecycle::Draft)), Ok(()));
    let cause = validate_create_lifecycle(Some(&Lifecycle::Published)).unwrap_err();
    assert_eq!(
        cause.to_string(),
        "spec.lifecycle: Invalid value: \"Published\": value can be only created as Draft"
    );
}

#[test]
fn deleting_a_published_revision_is_forbidden_with_porchs_message() {
    let e = check_delete(Some(&Lifecycle::Published)).unwrap_err();
    let api = crate::rest::errors::engine_error(&e, &porch_api::gvk::PACKAGE_REVISION, "repo.pkg.v1");
    assert_eq!(api.code(), 403);
    assert_eq!(
        api.message(),
        "packagerevisions.porch.kpt.dev \"repo.pkg.v1\" is forbidden: published PackageRevisions must be \
         proposed for deletion by setting spec.lifecycle to 'DeletionProposed' prior to deletion"
    );
    for other in [None, Some(Lifecycle::Draft), Some(Lifecycle::Proposed), Some(Lifecycle::DeletionProposed)]
    {
        assert_eq!(check_delete(other.as_ref()), Ok(()));
    }
}

#[test]
fn a_revision_used_as_upstream_by_a_clone_or_upgrade_cannot_be_deleted() {
    let clone = Task {
        type_: TaskType::Clone,
        clone: Some(PackageCloneTaskSpec {
            upstream: UpstreamPackage {
                upstream_ref: Some(PackageRevisionRef { name: "up.pkg.v1".into() }),
                ..Default::default()
            },
            strategy: None,
        }),
        ..Default::default()
    };
    let upgrade = Task {
        type_: TaskType::Upgrade,
        upgrade: Some(PackageUpgradeTaskSpec {
            new_upstream: PackageRevisionRef { name: "up.pkg.v2".into() },
            ..Default::default()
        }),
        ..Default::default()
    };
    let clones = [clone];
    let upgrades = [upgrade];
    let revisions = [("down.pkg.a", &clones[..]), ("down.pkg.b", &upgrades[..])];
    let e = check_not_referenced("up.pkg.v1", revisions).unwrap_err();
    assert_eq!(e.to_string(), "cannot delete package revision, it is referenced as upstream by: down.pkg.a");
    let e = check_not_referenced("up.pkg.v2", revisions).unwrap_err();
    assert!(e.to_string().ends_with("down.pkg.b"));
    assert_eq!(check_not_referenced("up.pkg.v3", revisions), Ok(()));
}
