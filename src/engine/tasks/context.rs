//! `package-context.yaml`: the ConfigMap `kptfile.kpt.dev` kpt writes into a package
//! (porch-api.md §7.5).

/// File name of the package context.
pub(crate) const PACKAGE_CONTEXT_FILE: &str = "package-context.yaml";

/// The package context ConfigMap with `data.name` and, when given, `data.package-path`. Used
/// by init (`name: example`) and by clones into deployment repositories. Does not mutate.
pub(crate) fn package_context(name: &str, package_path: Option<&str>) -> String {
    let mut out = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kptfile.kpt.dev\n  annotations:\n    \
         config.kubernetes.io/local-config: \"true\"\ndata:\n  name: {}\n",
        yaml_scalar(name)
    );
    if let Some(path) = package_path {
        out.push_str(&format!("  package-path: {}\n", yaml_scalar(path)));
    }
    out
}

/// `value` as a YAML scalar, quoted when plain style would change its meaning.
fn yaml_scalar(value: &str) -> String {
    let text = serde_saphyr::to_string(&value).unwrap_or_else(|_| format!("{value:?}"));
    text.trim_end_matches('\n').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_abstract_context_names_example() {
        assert_eq!(
            package_context("example", None),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kptfile.kpt.dev\n  annotations:\n    \
             config.kubernetes.io/local-config: \"true\"\ndata:\n  name: example\n"
        );
    }

    #[test]
    fn a_nested_package_gets_its_path() {
        let text = package_context("me", Some("parent1/parent1.2/me"));
        assert!(text.ends_with("data:\n  name: me\n  package-path: parent1/parent1.2/me\n"), "{text}");
    }

    #[test]
    fn values_that_look_like_other_types_are_quoted() {
        assert!(
            package_context("true", Some("a/yes")).ends_with("  name: \"true\"\n  package-path: a/yes\n")
        );
    }
}
