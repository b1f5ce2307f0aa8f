use super::*;
use porch_api::porch::PackageRevisionRef;

fn spec(old: &str, new: &str, local: &str) -> PackageUpgradeTaskSpec {
    let r = |name: &str| PackageRevisionRef { name: name.to_string() };
    PackageUpgradeTaskSpec {
        old_upstream: r(old),
        new_upstream: r(new),
        local_package_revision_ref: r(local),
        strategy: None,
    }
}

fn message(e: EngineError) -> (String, String) {
    match e {
        EngineError::Invalid { causes } => (causes[0].field.clone(), causes[0].message.clone()),
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn every_reference_needs_a_name() {
    assert_eq!(upgrade_refs(&spec("a", "b", "c")).unwrap().map(|r| r.1), ["a", "b", "c"]);
    let (field, text) = message(upgrade_refs(&spec("a", "", "c")).unwrap_err());
    assert_eq!((field.as_str(), text.as_str()), (NEW_UPSTREAM_FIELD, "newUpstreamRef.name is required"));
    let (field, _) = message(upgrade_refs(&spec("a", "b", "")).unwrap_err());
    assert_eq!(field, LOCAL_FIELD);
}

fn facts<'a>(field: &'static str, name: &'a str, lifecycle: &'a PackageRevisionLifecycle) -> SourceFacts<'a> {
    SourceFacts { field, name, repository: "blueprints", placeholder: false, lifecycle }
}

#[test]
fn placeholders_are_refused_before_drafts_in_porchs_words() {
    let (published, draft) = (PackageRevisionLifecycle::Published, PackageRevisionLifecycle::Draft);
    let ok = [
        facts(OLD_UPSTREAM_FIELD, "bp.app.v1", &published),
        facts(NEW_UPSTREAM_FIELD, "bp.app.v2", &published),
        facts(LOCAL_FIELD, "down.app.v1", &published),
    ];
    check_upgrade_sources(ok).unwrap();

    let mut target = ok;
    target[1].placeholder = true;
    target[2].lifecycle = &draft;
    assert_eq!(
        message(check_upgrade_sources(target).unwrap_err()),
        (
            NEW_UPSTREAM_FIELD.to_string(),
            "target upstream revision may not be the placeholder package revision blueprints/bp.app.v2"
                .to_string()
        )
    );
    let mut local = ok;
    local[2].placeholder = true;
    assert_eq!(
        message(check_upgrade_sources(local).unwrap_err()).1,
        "source revision may not be the placeholder package revision blueprints/down.app.v1"
    );
    // The old upstream may be a placeholder (Porch only reads its files).
    let mut old = ok;
    old[0].placeholder = true;
    check_upgrade_sources(old).unwrap();

    for i in 0..3 {
        let mut unpublished = ok;
        unpublished[i].lifecycle = &draft;
        let (field, text) = message(check_upgrade_sources(unpublished).unwrap_err());
        assert_eq!(field, ok[i].field);
        assert_eq!(
            text,
            format!("all source PackageRevisions of upgrade task must be published, {:?} is not", ok[i].name)
        );
    }
}

fn files(entries: &[(&str, &str)]) -> Files {
    entries.iter().map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())).collect()
}

const KPTFILE: &str = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\nupstream:\n  type: git\n  \
                       git:\n    repo: https://example.com/bp.git\n    directory: app\n    ref: app/v1\n  \
                       updateStrategy: resource-merge\n";

fn lock() -> GitLock {
    GitLock {
        repo: "https://example.com/bp.git".into(),
        directory: "app".into(),
        ref_: "app/v2".into(),
        commit: "89abcdef0123456789abcdef0123456789abcdef".into(),
    }
}

#[test]
fn the_merged_package_points_at_the_new_upstream_without_an_update_strategy() {
    let cm = |size: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  size: {size:?}\n")
    };
    let original = files(&[("Kptfile", KPTFILE), ("cm.yaml", &cm("1"))]);
    let updated = files(&[("Kptfile", KPTFILE), ("cm.yaml", &cm("2"))]);
    let local = original.clone();
    let sources = UpgradeFiles { original: &original, updated: &updated, local: &local };
    let out = upgrade_package(sources, "", &lock(), "app", "bp.app.v2").unwrap();
    assert_eq!(out["cm.yaml"], cm("2").into_bytes());
    let root = kptfile::read_root(&out).unwrap().unwrap();
    assert_eq!(root.upstream_lock().and_then(|l| l.git), Some(lock()));
    let text = String::from_utf8(out["Kptfile"].clone()).unwrap();
    assert!(text.contains("ref: app/v2"), "{text}");
    assert!(!text.contains("updateStrategy"), "{text}");
}

#[test]
fn a_failed_merge_is_invalid_on_the_strategy_in_porchs_words() {
    let original = files(&[("Kptfile", KPTFILE), ("cm.yaml", "a: 1\n")]);
    // The local revision as a clone made it, then edited.
    let mut local = as_cloned(&original, "app").unwrap();
    local.insert("cm.yaml".into(), b"a: 2\n".to_vec());
    let sources = UpgradeFiles { original: &original, updated: &original, local: &local };
    let (field, text) =
        message(upgrade_package(sources, "fast-forward", &lock(), "app", "bp.app.v2").unwrap_err());
    assert_eq!(field, "spec.tasks[0].upgrade.strategy");
    assert!(text.starts_with("error updating the package \"app\" to revision \"bp.app.v2\": "), "{text}");
    assert!(text.contains("local package files have been modified: [cm.yaml]"), "{text}");
    // Unedited, the same clone fast-forwards: what the clone wrote is no local change.
    let clone = as_cloned(&original, "app").unwrap();
    let sources = UpgradeFiles { original: &original, updated: &original, local: &clone };
    upgrade_package(sources, "fast-forward", &lock(), "app", "bp.app.v2").unwrap();
}
