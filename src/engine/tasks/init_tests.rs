use super::*;

const README: &str = "# testpkg\n\n## Description\ntest package\n\n## Usage\n\n### Fetch the package\n\
`kpt pkg get REPO_URI[.git]/PKG_PATH[@VERSION] testpkg`\nDetails: https://kpt.dev/reference/cli/pkg/get/\n\n\
### View package content\n`kpt pkg tree testpkg`\nDetails: https://kpt.dev/reference/cli/pkg/tree/\n\n\
### Apply the package\n```\nkpt live init testpkg\n\
kpt live apply testpkg --reconcile-timeout=2m --output=table\n```\n\
Details: https://kpt.dev/reference/cli/live/\n";

fn spec() -> InitTaskSpec {
    InitTaskSpec {
        subpackage: String::new(),
        description: "test package".into(),
        keywords: vec!["test".into(), "kpt".into(), "pkg".into()],
        site: "http://kpt.dev/testpkg".into(),
    }
}

fn text(files: &Files, path: &str) -> String {
    String::from_utf8(files[path].clone()).unwrap()
}

#[test]
fn init_writes_kptfile_readme_and_package_context_like_kpt() {
    let files = init_package("nested/testpkg", &spec());
    assert_eq!(files.keys().collect::<Vec<_>>(), ["Kptfile", "README.md", "package-context.yaml"]);
    assert_eq!(
        text(&files, "Kptfile"),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: testpkg\n  annotations:\n    \
         config.kubernetes.io/local-config: \"true\"\ninfo:\n  site: http://kpt.dev/testpkg\n  \
         description: test package\n  keywords:\n  - test\n  - kpt\n  - pkg\n"
    );
    assert_eq!(text(&files, "README.md"), README);
    assert_eq!(
        text(&files, "package-context.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kptfile.kpt.dev\n  annotations:\n    \
         config.kubernetes.io/local-config: \"true\"\ndata:\n  name: example\n"
    );
}

#[test]
fn init_is_deterministic() {
    assert_eq!(init_package("testpkg", &spec()), init_package("testpkg", &spec()));
}

#[test]
fn a_subpackage_init_puts_the_package_under_its_directory() {
    let sub = InitTaskSpec { subpackage: "/apps/web/".into(), ..spec() };
    let files = init_package("testpkg", &sub);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        ["apps/web/Kptfile", "apps/web/README.md", "apps/web/package-context.yaml"]
    );
    assert!(text(&files, "apps/web/Kptfile").contains("  name: web\n"));
}

#[test]
fn an_empty_description_leaves_info_out() {
    let files = init_package("p", &InitTaskSpec::default());
    assert!(!text(&files, "Kptfile").contains("info"));
}

#[test]
fn the_readme_escapes_values_as_go_html_templates_do() {
    let text = readme("p", "<b> & 'q' \"x\" +1");
    assert!(text.contains("## Description\n&lt;b&gt; &amp; &#39;q&#39; &#34;x&#34; &#43;1\n"), "{text}");
}
