use super::*;

const KPTFILE_TEXT: &str = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\n";

/// A resource map with `paths`; a root `Kptfile` gets a valid Kptfile, the others are empty.
fn resources(paths: &[&str]) -> BTreeMap<String, String> {
    paths
        .iter()
        .map(|p| (p.to_string(), if *p == KPTFILE { KPTFILE_TEXT.to_string() } else { String::new() }))
        .collect()
}

fn messages(e: EngineError) -> Vec<String> {
    let EngineError::Invalid { causes } = e else { panic!("expected Invalid, got {e:?}") };
    causes.iter().map(ToString::to_string).collect()
}

#[test]
fn clean_relative_paths_are_accepted() {
    let longest = "x".repeat(MAX_SEGMENT_BYTES);
    for path in [
        "Kptfile",
        "a/b/c.yaml",
        ".hidden/x",
        "a..b/c",
        "dir/..x",
        ".gitignore",
        "x.git/y",
        "ünï/文件.yaml",
        &longest,
    ] {
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
        (
            ".git/config",
            "spec.resources[.git/config]: Invalid value: file path must not contain a '.git' segment",
        ),
        (
            "sub/.GIT/x",
            "spec.resources[sub/.GIT/x]: Invalid value: file path must not contain a '.git' segment",
        ),
        ("a/./b.yaml", "spec.resources[a/./b.yaml]: Invalid value: file path must not contain '.' segments"),
        ("./c.yaml", "spec.resources[./c.yaml]: Invalid value: file path must not contain '.' segments"),
        (".", "spec.resources[.]: Invalid value: file path must not contain '.' segments"),
        (
            "a//b.yaml",
            "spec.resources[a//b.yaml]: Invalid value: file path must not contain empty segments ('//')",
        ),
        ("dir/", "spec.resources[dir/]: Invalid value: file path must not end with '/'"),
        (
            "\u{202e}RTL.yaml",
            // The field shows the character escaped, so the message itself cannot be reordered.
            "spec.resources[\\u{202e}RTL.yaml]: Invalid value: file path must not contain bidirectional control \
             characters",
        ),
    ];
    for (path, want) in cases {
        let causes = validate_paths([path]);
        assert_eq!(causes.iter().map(ToString::to_string).collect::<Vec<_>>(), [want], "{path:?}");
    }
    for bidi in ['\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}'] {
        assert!(is_bidi_control(bidi), "{bidi:?}");
        let path = format!("dir/a{bidi}b.yaml");
        assert_eq!(path_problem(&path), Some("file path must not contain bidirectional control characters"));
    }
    assert!(!is_bidi_control('\u{2029}') && !is_bidi_control('\u{200d}'));
    let component = format!("dir/{}/x.yaml", "k".repeat(MAX_SEGMENT_BYTES + 1));
    assert_eq!(
        path_problem(&component),
        Some("each file or directory name in a file path must be at most 255 bytes")
    );
    // 255 bytes of 2-byte characters is 128 characters too many for one name.
    assert!(path_problem(&"é".repeat(128)).is_some() && path_problem(&"é".repeat(127)).is_none());
    let causes = validate_paths([long.as_str()]);
    assert_eq!(causes[0].message, "file path must be at most 4096 bytes");
    assert!(causes[0].field.ends_with("…]") && causes[0].field.len() < 300);
    let longest = format!("{}/{}/b", vec!["a".repeat(MAX_SEGMENT_BYTES); 15].join("/"), "a".repeat(254));
    assert_eq!(longest.len(), MAX_PATH_BYTES);
    assert_eq!(validate_paths([longest.as_str()]), vec![]);
}

#[test]
fn a_path_that_is_both_a_file_and_a_directory_is_refused_naming_both_keys() {
    for (paths, want) in [
        (
            &["Kptfile", "notes.txt", "notes.txt/child.yaml"][..],
            vec![
                "spec.resources[notes.txt/child.yaml]: Invalid value: file path conflicts with \
                 spec.resources[notes.txt]: \"notes.txt\" cannot be both a file and a directory",
            ],
        ),
        (
            &["Kptfile", "Kptfile/x.yaml", "README.md", "README.md/inner", "README.mdx/ok"][..],
            vec![
                "spec.resources[Kptfile/x.yaml]: Invalid value: file path conflicts with spec.resources[Kptfile]: \
                 \"Kptfile\" cannot be both a file and a directory",
                "spec.resources[README.md/inner]: Invalid value: file path conflicts with \
                 spec.resources[README.md]: \"README.md\" cannot be both a file and a directory",
            ],
        ),
        (
            &["Kptfile", "a", "a/b/c/d.yaml"][..],
            vec![
                "spec.resources[a/b/c/d.yaml]: Invalid value: file path conflicts with spec.resources[a]: \"a\" \
                 cannot be both a file and a directory",
            ],
        ),
    ] {
        assert_eq!(messages(validate_resources(&resources(paths)).unwrap_err()), want, "{paths:?}");
    }
    // Siblings sharing a prefix are no conflict.
    assert_eq!(validate_resources(&resources(&["Kptfile", "a.yaml", "a/b.yaml", "ab/c"])), Ok(()));
}

#[test]
fn the_root_kptfile_must_be_a_kptfile() {
    let mut res = resources(&["Kptfile", "x.yaml"]);
    res.insert(KPTFILE.into(), String::new());
    assert_eq!(
        messages(validate_resources(&res).unwrap_err()),
        ["spec.resources[Kptfile]: Invalid value: invalid Kptfile Kptfile: the Kptfile is empty"]
    );
    res.insert(KPTFILE.into(), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n".into());
    assert_eq!(
        messages(validate_resources(&res).unwrap_err()),
        ["spec.resources[Kptfile]: Invalid value: invalid Kptfile Kptfile: unknown resource type \
             \"/v1, Kind=ConfigMap\" found in Kptfile"]
    );
    // A nested Kptfile belongs to a subpackage and is left to it.
    let mut res = resources(&["Kptfile", "sub/Kptfile"]);
    res.insert("sub/Kptfile".into(), String::new());
    assert_eq!(validate_resources(&res), Ok(()));
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
    assert!(matches!(from_files(&binary), Err(crate::engine::EngineError::Internal { .. })));
}
