use super::*;

fn resources(paths: &[&str]) -> BTreeMap<String, String> {
    paths.iter().map(|p| (p.to_string(), String::new())).collect()
}

#[test]
fn clean_relative_paths_are_accepted() {
    for path in ["Kptfile", "a/b/c.yaml", ".hidden/x", "a..b/c", "dir/..x"] {
        assert_eq!(path_problem(path), None, "{path}");
    }
    assert_eq!(validate_resources(&resources(&["Kptfile", "sub/Kptfile"])), Ok(()));
}

#[test]
fn bad_paths_are_named_in_their_causes() {
    let long = "a".repeat(MAX_PATH_BYTES + 1);
    let cases = [
        (
            "/etc/passwd",
            "spec.resources[/etc/passwd]: Invalid value: file path must be relative to the package root",
        ),
        ("a/../../x", "spec.resources[a/../../x]: Invalid value: file path must not contain '..' segments"),
        ("..", "spec.resources[..]: Invalid value: file path must not contain '..' segments"),
        (
            "a\0b",
            "spec.resources[a\\0b]: Invalid value: file path must not contain NUL or control characters",
        ),
        (
            "a\nb",
            "spec.resources[a\\nb]: Invalid value: file path must not contain NUL or control characters",
        ),
        ("", "spec.resources[]: Invalid value: file path must not be empty"),
    ];
    for (path, want) in cases {
        let causes = validate_paths([path]);
        assert_eq!(causes.iter().map(ToString::to_string).collect::<Vec<_>>(), [want], "{path:?}");
    }
    let causes = validate_paths([long.as_str()]);
    assert_eq!(causes[0].message, "file path must be at most 4096 bytes");
    assert!(causes[0].field.ends_with("…]") && causes[0].field.len() < 300);
    assert_eq!(validate_paths(["a".repeat(MAX_PATH_BYTES).as_str()]), vec![]);
}

#[test]
fn a_package_without_root_kptfile_is_refused() {
    let e = validate_resources(&resources(&["sub/Kptfile", "/abs"])).unwrap_err();
    let EngineError::Invalid { causes } = e else { panic!("expected Invalid") };
    assert_eq!(
        causes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "spec.resources[/abs]: Invalid value: file path must be relative to the package root",
            "spec.resources[Kptfile]: Required value: package must contain Kptfile at root",
        ]
    );
}

#[test]
fn resources_convert_to_files_and_back() {
    let res = BTreeMap::from([("Kptfile".to_string(), "kind: Kptfile\n".to_string())]);
    assert_eq!(from_files(&to_files(&res)), Ok(res));
    let binary = Files::from([("x.bin".to_string(), vec![0xff, 0xfe])]);
    assert_eq!(from_files(&binary).unwrap_err().kind(), crate::engine::ErrorKind::Internal);
}
