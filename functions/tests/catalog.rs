//! Which images the builtins answer.

use porch_functions::catalog::Catalog;

#[test]
fn answers_porch_builtin_keys_and_the_legacy_registry() {
    let catalog = Catalog::new("ghcr.io/kptdev/krm-functions-catalog", false);
    for image in [
        "set-namespace:v0.4.5",
        "set-namespace:v0.4",
        "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.2",
        "gcr.io/kpt-fn/set-namespace:v0.4.1",
    ] {
        assert!(catalog.find(image).is_some(), "{image}");
    }
    for image in [
        "set-namespace",                           // latest, and a runner may run it
        "gcr.io/kpt-fn/set-namespace:unstable",    // likewise
        "set-namespace:v0.3.4",                    // a version not implemented
        "example.com/fns/set-namespace:v0.4.5",    // another registry
        "gcr.io/kpt-fn/set-namespace@sha256:0000", // a digest
        "gcr.io/kpt-fn/set-labels:v0.2.2",         // not built in (yet)
    ] {
        assert!(catalog.find(image).is_none(), "{image}");
    }
}

#[test]
fn floating_tags_only_without_a_function_runner() {
    let catalog = Catalog::new("example.com/mirror/", true);
    assert_eq!(catalog.complete("set-namespace"), "example.com/mirror/set-namespace:latest");
    assert!(catalog.find("set-namespace").is_some(), "latest under the default prefix");
    assert!(catalog.find("gcr.io/kpt-fn/set-namespace:unstable").is_some());
    assert!(catalog.find("example.com/mirror/set-namespace:v0.4.5").is_some());
}

#[test]
fn the_version_decides_what_a_bad_configuration_does() {
    let catalog = Catalog::new("", false);
    let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n";
    let exit = |image: &str| {
        let mut list = porch_functions::ResourceList::parse(input).unwrap();
        catalog.find(image).unwrap().run(&mut list).exit_code
    };
    assert_eq!(exit("gcr.io/kpt-fn/set-namespace:v0.4.1"), 1);
    assert_eq!(exit("gcr.io/kpt-fn/set-namespace:v0.4.5"), 0);
}
