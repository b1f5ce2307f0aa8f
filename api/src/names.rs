//! Object names of PackageRevisions, PackageRevisionResources and PorchPackages (spec §3.1).
//!
//! A PackageRevision is named `<repository>.<package path with "/" as ".">.<workspace>`, a
//! PorchPackage `<repository>.<package path with "/" as ".">`. Parsing goes the other way: the
//! workspace is the text after the last `.`, unless the name ends in a version-like suffix
//! `.v<digits and dots>` (regex `\.v[0-9.]*[0-9]$`), in which case the whole `v1.2.3` is the
//! workspace; then the first segment is the repository, the last remaining one the package and
//! the segments in between the path.

use std::fmt;

use porch_layers::object_meta::names::{dns1123_label, dns1123_subdomain};

/// Prefix of every error about a PackageRevision object name.
pub const PACKAGE_REVISION_NAME_INVALID: &str = "package revision kubernetes resource name invalid:";

/// Prefix of every error about a PorchPackage object name.
pub const PACKAGE_NAME_INVALID: &str = "package kubernetes resource name invalid:";

const INVALID: &str = " invalid: ";

/// The parts of a PackageRevision object name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageRevisionKey {
    /// Name of the Repository object.
    pub repository: String,
    /// Directory of the package inside the repository, `/`-separated, without the package
    /// name itself; empty for a package at the repository root.
    pub path: String,
    /// Name of the package (last element of its path).
    pub package: String,
    /// Workspace name (for the placeholder revision: the repository branch).
    pub workspace: String,
}

impl PackageRevisionKey {
    /// The package path as in `spec.packageName`: `path/package`, or `package` at the root.
    pub fn package_path(&self) -> String {
        join_path(&self.path, &self.package)
    }

    /// The object name this key stands for (see [`package_revision_name`]).
    pub fn name(&self) -> String {
        package_revision_name(&self.repository, &self.package_path(), &self.workspace)
    }
}

/// The parts of a PorchPackage object name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageKey {
    /// Name of the Repository object.
    pub repository: String,
    /// Directory of the package inside the repository, without the package name.
    pub path: String,
    /// Name of the package (last element of its path).
    pub package: String,
}

impl PackageKey {
    /// The package path as in `spec.packageName`: `path/package`, or `package` at the root.
    pub fn package_path(&self) -> String {
        join_path(&self.path, &self.package)
    }

    /// The object name this key stands for (see [`package_name`]).
    pub fn name(&self) -> String {
        package_name(&self.repository, &self.package_path())
    }
}

/// An invalid object name; the message is Porch's, several lines long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameError {
    message: String,
}

impl NameError {
    /// The full message, starting with [`PACKAGE_REVISION_NAME_INVALID`] or
    /// [`PACKAGE_NAME_INVALID`].
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NameError {}

/// Name of the PackageRevision (and PackageRevisionResources) of `package_path` (may contain
/// `/`) in workspace `workspace` of `repository`: `<repository>.<dotted path>.<workspace>`.
///
/// The path is cleaned like Go's `filepath.Join` and leading/trailing dots are trimmed.
/// As in Porch, the result is empty when the repository, package path or workspace is empty.
///
/// ```
/// use porch_api::names::package_revision_name;
/// assert_eq!(package_revision_name("test-blueprints", "basens", "v1"), "test-blueprints.basens.v1");
/// assert_eq!(package_revision_name("r", "/a/b/pkg/", "ws"), "r.a.b.pkg.ws");
/// ```
pub fn package_revision_name(repository: &str, package_path: &str, workspace: &str) -> String {
    let dotted = dotted_path(package_path);
    if repository.is_empty() || dotted.is_empty() || workspace.is_empty() {
        return String::new();
    }
    format!("{repository}.{dotted}.{workspace}")
}

/// Name of the PorchPackage of `package_path` in `repository`: `<repository>.<dotted path>`.
/// Empty when the repository or package path is empty.
pub fn package_name(repository: &str, package_path: &str) -> String {
    let dotted = dotted_path(package_path);
    if repository.is_empty() || dotted.is_empty() {
        return String::new();
    }
    format!("{repository}.{dotted}")
}

/// Splits a PackageRevision object name into its parts and validates each of them.
///
/// ```
/// use porch_api::names::parse_package_revision_name;
/// let key = parse_package_revision_name("repo.a.b.pkg.v1.2.3").unwrap();
/// assert_eq!((key.repository.as_str(), key.path.as_str(), key.package.as_str(), key.workspace.as_str()),
///            ("repo", "a/b", "pkg", "v1.2.3"));
/// ```
pub fn parse_package_revision_name(name: &str) -> Result<PackageRevisionKey, NameError> {
    let workspace = workspace_of(name);
    // A dotted workspace (v1.2.3) is validated, and split off, in its dashed form.
    let conditioned = if workspace.contains('.') {
        format!("{}{}", &name[..name.len() - workspace.len()], workspace.replace('.', "-"))
    } else {
        name.to_string()
    };
    let [repository, middle, checked_workspace] = split_in_3(&conditioned);
    let [_, path, package] = split_in_3(&format!("{repository}.{middle}"));
    let path = path.replace('.', "/");
    validate_package_revision_name(&repository, &path, &package, &checked_workspace)?;
    Ok(PackageRevisionKey { repository, path, package, workspace: workspace.to_string() })
}

/// Splits a PorchPackage object name into repository, path and package, validating each part.
pub fn parse_package_name(name: &str) -> Result<PackageKey, NameError> {
    let [repository, path, package] = split_in_3(name);
    let path = path.replace('.', "/");
    validate_package_name(&repository, &path, &package)?;
    Ok(PackageKey { repository, path, package })
}

/// Checks the parts of a PackageRevision name (`ValidPkgRevObjName`): repository, package and
/// workspace must be DNS-1123 labels, the path a directory name, and the composed name a
/// DNS-1123 subdomain.
pub fn validate_package_revision_name(
    repository: &str,
    path: &str,
    package: &str,
    workspace: &str,
) -> Result<(), NameError> {
    let mut problems = package_name_part_problems(repository, path, package);
    let ws_errs = dns1123_label(workspace);
    if !ws_errs.is_empty() {
        problems
            .push(format!("workspace name part {} of package revision name invalid\n", go_quote(workspace)));
        problems.push(format!("workspace name {workspace}{INVALID}{}\n", ws_errs.join(",")));
    }
    if problems.is_empty() {
        let name = package_revision_name(repository, &join_path(path, package), workspace);
        let errs = dns1123_subdomain(&name);
        if !errs.is_empty() {
            problems.push(format!("package revision kubernetes name {} invalid\n", go_quote(&name)));
            problems.push(format!("package revision kubernetes name {name}{INVALID}{}\n", errs.join("")));
        }
    }
    into_result(PACKAGE_REVISION_NAME_INVALID, problems)
}

/// Checks the parts of a PorchPackage name (`ValidPkgObjName`).
pub fn validate_package_name(repository: &str, path: &str, package: &str) -> Result<(), NameError> {
    let mut problems = package_name_part_problems(repository, path, package);
    if problems.is_empty() {
        let name = package_name(repository, &join_path(path, package));
        let errs = dns1123_subdomain(&name);
        if !errs.is_empty() {
            problems.push(format!("package kubernetes name {} invalid\n", go_quote(&name)));
            problems.push(format!("package kubernetes name {name}{INVALID}{}\n", errs.join("")));
        }
    }
    into_result(PACKAGE_NAME_INVALID, problems)
}

/// Checks a directory name (`ValidateDirectoryName`): DNS-1123 label rules once the `/`
/// characters are removed, and no `//`. When not `mandatory`, a directory that is empty or only
/// slashes (the root) is valid. Returns the problems joined with `","`.
pub fn validate_directory_name(directory: &str, mandatory: bool) -> Result<(), String> {
    let no_slash = directory.replace('/', "");
    if !mandatory && no_slash.is_empty() {
        return Ok(());
    }
    let mut errs = Vec::new();
    if directory.contains("//") {
        errs.push("consecutive '/' characters are not allowed".to_string());
    }
    errs.extend(dns1123_label(&no_slash));
    if errs.is_empty() { Ok(()) } else { Err(errs.join(",")) }
}

/// The workspace part of a PackageRevision name (`GetPRWorkspaceName`): empty without a dot,
/// `vX.Y.Z` for a version-like suffix, otherwise the text after the last dot.
pub fn workspace_of(name: &str) -> &str {
    let Some(last_dot) = name.rfind('.') else {
        return "";
    };
    if ends_with_version(name)
        && let Some(start) = name.rfind(".v")
    {
        return &name[start + 1..];
    }
    &name[last_dot + 1..]
}

/// Whether `name` matches `\.v[0-9.]*[0-9]$`.
fn ends_with_version(name: &str) -> bool {
    let bytes = name.as_bytes();
    if !bytes.last().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    // Walk back over digits and dots; the run must be preceded by ".v".
    let run = bytes.iter().rev().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
    let start = bytes.len() - run;
    start >= 2 && bytes[start - 1] == b'v' && bytes[start - 2] == b'.'
}

/// Go's `SplitIn3OnDelimiter(s, ".")`: first segment, the middle segments re-joined, last segment.
fn split_in_3(s: &str) -> [String; 3] {
    let parts: Vec<&str> = s.split('.').collect();
    match parts.as_slice() {
        [] => Default::default(),
        [a] => [a.to_string(), String::new(), String::new()],
        [a, c] => [a.to_string(), String::new(), c.to_string()],
        [a, middle @ .., c] => [a.to_string(), middle.join("."), c.to_string()],
    }
}

fn package_name_part_problems(repository: &str, path: &str, package: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let repo_errs = dns1123_label(repository);
    if !repo_errs.is_empty() {
        problems.push(format!("repository part {} of object name invalid\n", go_quote(repository)));
        problems.push(format!("repository name {repository}{INVALID}{}\n", repo_errs.join(",")));
    }
    if let Err(err) = validate_directory_name(path, false) {
        problems.push(format!("package path part {} of object name invalid\n", go_quote(path)));
        problems.push(format!("path {path}{INVALID}{err}\n"));
    }
    let pkg_errs = dns1123_label(package);
    if !pkg_errs.is_empty() {
        problems.push(format!("package name part {} of object name invalid\n", go_quote(package)));
        problems.push(format!("package name {package}{INVALID}{}\n", pkg_errs.join(",")));
    }
    problems
}

fn into_result(prefix: &str, problems: Vec<String>) -> Result<(), NameError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(NameError { message: format!("{prefix}\n{}", problems.concat()) })
    }
}

fn join_path(path: &str, package: &str) -> String {
    if path.is_empty() { package.to_string() } else { format!("{path}/{package}") }
}

/// `strings.Trim(strings.ReplaceAll(filepath.Clean(p), "/", "."), ".")`.
fn dotted_path(package_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in package_path.split('/') {
        match seg {
            "" | "." => {}
            ".." if segments.last().is_some_and(|s| *s != "..") => {
                segments.pop();
            }
            ".." if package_path.starts_with('/') => {}
            _ => segments.push(seg),
        }
    }
    segments.join(".").trim_matches('.').to_string()
}

/// Go's `%q` for the strings that appear in names.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let code = c as u32;
                if code < 0x80 {
                    out.push_str(&format!("\\x{code:02x}"));
                } else {
                    out.push_str(&format!("\\u{code:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use porch_layers::object_meta::names::DNS1123_LABEL_ERROR_MSG;

    fn key(name: &str) -> (String, String, String, String) {
        let k = parse_package_revision_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        (k.repository, k.path, k.package, k.workspace)
    }

    fn strs(a: &str, b: &str, c: &str, d: &str) -> (String, String, String, String) {
        (a.into(), b.into(), c.into(), d.into())
    }

    #[test]
    fn reference_names_are_formed_from_repo_path_and_workspace() {
        assert_eq!(package_revision_name("test-blueprints", "basens", "v1"), "test-blueprints.basens.v1");
        assert_eq!(
            package_revision_name("git", "lifecycle-package", "lifecycle"),
            "git.lifecycle-package.lifecycle"
        );
        assert_eq!(
            package_revision_name("lifecycle", "random/package/folder/test-package", "workspace"),
            "lifecycle.random.package.folder.test-package.workspace"
        );
        assert_eq!(package_revision_name("test-blueprints", "basens", "main"), "test-blueprints.basens.main");
    }

    #[test]
    fn leading_and_trailing_slashes_and_dots_are_trimmed() {
        assert_eq!(package_revision_name("r", "/a/b/", "ws"), "r.a.b.ws");
        assert_eq!(package_revision_name("r", "./a//b/.", "ws"), "r.a.b.ws");
        assert_eq!(package_revision_name("r", ".hidden.", "ws"), "r.hidden.ws");
        assert_eq!(package_name("r", "/a/b/pkg/"), "r.a.b.pkg");
    }

    #[test]
    fn an_empty_part_gives_an_empty_name() {
        assert_eq!(package_revision_name("", "p", "ws"), "");
        assert_eq!(package_revision_name("r", "/", "ws"), "");
        assert_eq!(package_revision_name("r", "p", ""), "");
        assert_eq!(package_name("r", ""), "");
    }

    #[test]
    fn reference_names_parse_back_into_their_parts() {
        assert_eq!(key("test-blueprints.basens.v1"), strs("test-blueprints", "", "basens", "v1"));
        assert_eq!(key("git.lifecycle-package.lifecycle"), strs("git", "", "lifecycle-package", "lifecycle"));
        assert_eq!(
            key("lifecycle.random.package.folder.test-package.workspace"),
            strs("lifecycle", "random/package/folder", "test-package", "workspace")
        );
        assert_eq!(key("test-blueprints.basens.main"), strs("test-blueprints", "", "basens", "main"));
    }

    #[test]
    fn a_version_like_suffix_is_one_workspace() {
        assert_eq!(key("repo.hello.v1.2.3"), strs("repo", "", "hello", "v1.2.3"));
        assert_eq!(key("repo.hello.v1.2"), strs("repo", "", "hello", "v1.2"));
        assert_eq!(key("repo.hello.v1"), strs("repo", "", "hello", "v1"));
        assert_eq!(key("repo.hello.v1.v1"), strs("repo", "hello", "v1", "v1"));
        assert_eq!(key("repo.hello.v1.2.3.v4.5.6"), strs("repo", "hello/v1/2", "3", "v4.5.6"));
        assert_eq!(key("repo.hello.v1.2.3.end"), strs("repo", "hello/v1/2", "3", "end"));
        assert_eq!(key("repo.hello.there"), strs("repo", "", "hello", "there"));
    }

    #[test]
    fn workspace_of_follows_the_version_rule() {
        assert_eq!(workspace_of("nodot"), "");
        assert_eq!(workspace_of("a.b.v1.2."), "");
        assert_eq!(workspace_of("a.b.v1.2.x"), "x");
        assert_eq!(workspace_of("a.b.v12"), "v12");
        assert_eq!(workspace_of("a.b.v"), "v");
        assert_eq!(workspace_of("a.bv1"), "bv1");
    }

    #[test]
    fn formed_names_round_trip() {
        let k = PackageRevisionKey {
            repository: "repo".into(),
            path: "a/b".into(),
            package: "pkg".into(),
            workspace: "v3.1".into(),
        };
        assert_eq!(k.name(), "repo.a.b.pkg.v3.1");
        assert_eq!(parse_package_revision_name(&k.name()).unwrap(), k);
        assert_eq!(k.package_path(), "a/b/pkg");
    }

    #[test]
    fn names_without_a_package_report_the_empty_package_part() {
        for name in ["", "hello", "repo.."] {
            let err = parse_package_revision_name(name).unwrap_err();
            assert!(err.message().starts_with(PACKAGE_REVISION_NAME_INVALID), "{err}");
            assert!(err.message().contains("package name part \"\" of object name invalid"), "{err}");
        }
    }

    #[test]
    fn an_empty_workspace_is_reported() {
        let err = parse_package_revision_name("v.").unwrap_err();
        assert!(err.message().contains("workspace name part \"\" of package revision name invalid"), "{err}");
    }

    #[test]
    fn invalid_parts_carry_the_kubernetes_messages() {
        let err = parse_package_revision_name("Repo.pkg.WS").unwrap_err();
        let expected = format!(
            "package revision kubernetes resource name invalid:\n\
             repository part \"Repo\" of object name invalid\n\
             repository name Repo invalid: {DNS1123_LABEL_ERROR_MSG}\n\
             workspace name part \"WS\" of package revision name invalid\n\
             workspace name WS invalid: {DNS1123_LABEL_ERROR_MSG}\n"
        );
        assert_eq!(err.to_string(), expected);
    }

    #[test]
    fn an_invalid_path_part_is_reported() {
        let err = parse_package_revision_name("repo.a_b.pkg.ws").unwrap_err();
        assert!(
            err.message().contains("package path part \"a_b\" of object name invalid\npath a_b invalid: "),
            "{err}"
        );
    }

    #[test]
    fn a_too_long_workspace_is_reported_with_its_length() {
        let ws = "w".repeat(64);
        let err = validate_package_revision_name("repo", "", "pkg", &ws).unwrap_err();
        assert!(err.message().contains("must be no more than 63 characters"), "{err}");
    }

    #[test]
    fn a_too_long_whole_name_is_reported_as_a_subdomain_error() {
        // Each part is valid (the path is 60 characters without its slashes), the whole is not.
        let path = vec!["a"; 60].join("/");
        let (repo, ws) = ("r".repeat(63), "w".repeat(63));
        let err = validate_package_revision_name(&repo, &path, &"p".repeat(63), &ws).unwrap_err();
        assert!(err.message().contains(&format!("package revision kubernetes name \"{repo}.a.a.")), "{err}");
        assert!(err.message().contains("must be no more than 253 characters"), "{err}");
    }

    #[test]
    fn directory_names_allow_single_slashes_only() {
        assert_eq!(validate_directory_name("", false), Ok(()));
        assert_eq!(validate_directory_name("/", false), Ok(()));
        assert_eq!(validate_directory_name("a/b-c", true), Ok(()));
        assert_eq!(
            validate_directory_name("a//b", false),
            Err("consecutive '/' characters are not allowed".to_string())
        );
        assert!(validate_directory_name("", true).is_err());
    }

    #[test]
    fn package_names_parse_into_repo_path_and_package() {
        let k = parse_package_name("repo.a.b.pkg").unwrap();
        assert_eq!(
            (k.repository.as_str(), k.path.as_str(), k.package.as_str()),
            ("repo", "a.b".replace('.', "/").as_str(), "pkg")
        );
        assert_eq!(k.name(), "repo.a.b.pkg");
        let err = parse_package_name("repo").unwrap_err();
        assert!(err.message().starts_with(PACKAGE_NAME_INVALID), "{err}");
    }

    #[test]
    fn go_quoting_escapes_quotes_and_control_characters() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\x01\"");
    }
}
