//! The `init` task: what `kpt pkg init` writes (porch-api.md §7.5, last bullet).

use porch_api::porch::InitTaskSpec;

use super::context::{PACKAGE_CONTEXT_FILE, package_context};
use super::package_base_name;
use crate::engine::Files;
use crate::engine::kptfile::{KPTFILE, Kptfile, LOCAL_CONFIG_ANNOTATION};

/// File name of the generated README.
pub(crate) const README_FILE: &str = "README.md";

/// The files of a new package `package_path` initialised with `spec`: `Kptfile` (name = last
/// path segment, local-config annotation, `info.site/description/keywords`), `README.md` and
/// `package-context.yaml`. With `spec.subpackage` the three files go under that directory and
/// the Kptfile is named after its last segment. Does not mutate; deterministic.
pub(crate) fn init_package(package_path: &str, spec: &InitTaskSpec) -> Files {
    let sub = spec.subpackage.trim_matches('/');
    let (prefix, name) = if sub.is_empty() {
        (String::new(), package_base_name(package_path))
    } else {
        (format!("{sub}/"), package_base_name(sub))
    };
    let mut kptfile = Kptfile::new(name);
    kptfile.set_annotation(LOCAL_CONFIG_ANNOTATION, "true");
    kptfile.set_info(&spec.site, &spec.description, &spec.keywords);
    Files::from([
        (format!("{prefix}{KPTFILE}"), kptfile.to_bytes()),
        (format!("{prefix}{README_FILE}"), readme(name, &spec.description).into_bytes()),
        (format!("{prefix}{PACKAGE_CONTEXT_FILE}"), package_context("example", None).into_bytes()),
    ])
}

/// kpt's README template for a package, with Go `html/template` escaping of the values and
/// `'` turned into backticks as kpt does.
pub(crate) fn readme(name: &str, description: &str) -> String {
    let (name, description) = (html_escape(name), html_escape(description));
    let text = format!(
        "# {name}\n\n## Description\n{description}\n\n## Usage\n\n### Fetch the package\n\
         'kpt pkg get REPO_URI[.git]/PKG_PATH[@VERSION] {name}'\n\
         Details: https://kpt.dev/reference/cli/pkg/get/\n\n### View package content\n\
         'kpt pkg tree {name}'\nDetails: https://kpt.dev/reference/cli/pkg/tree/\n\n\
         ### Apply the package\n'''\nkpt live init {name}\n\
         kpt live apply {name} --reconcile-timeout=2m --output=table\n'''\n\
         Details: https://kpt.dev/reference/cli/live/\n"
    );
    text.replace('\'', "`")
}

/// Go `html/template`'s escaping of text in HTML context.
fn html_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '+' => out.push_str("&#43;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[path = "init_tests.rs"]
mod tests;
