//! What the git backend needs to know about a Repository (`spec.git`), as plain data.

use std::fmt;

/// Settings of one git Repository.
#[derive(Clone, PartialEq, Eq)]
pub struct RepoConfig {
    /// Remote URL (`spec.git.repo`): `file://`, a plain path, `git://`, `http://` or `https://`.
    /// User-info in the URL is treated as a secret.
    pub url: String,
    /// Repository branch (`spec.git.branch`, default `main`).
    pub branch: String,
    /// Directory of the packages inside the repository (`spec.git.directory`); leading and
    /// trailing `/` are ignored, empty = repository root.
    pub directory: String,
    /// Create the branch when the remote lacks it (`spec.git.createBranch`).
    pub create_branch: bool,
    /// Commit author name override (`spec.git.author`).
    pub author: String,
    /// Commit author email override (`spec.git.email`).
    pub email: String,
    /// How many times a write is retried after a conflicting remote change
    /// (`--repo-operation-retry-attempts`, default 3).
    pub retry_attempts: u32,
    /// Extra CA certificates (PEM, one or more) trusted for this repository's `https://`
    /// remote besides the system CA store, for git servers with a certificate from a private CA.
    /// Porch reads them from the Secret `<namespace>-ca-bundle`, key `ca.crt`. `None` (the
    /// default): the system store only.
    pub ca_bundle: Option<Vec<u8>>,
    /// The Repository this remote belongs to, as `namespace/name`: the `repository` label of the
    /// git metrics and field of the git spans. Empty (the default) for a remote that is no
    /// Repository, such as the upstream of a clone.
    pub repository: String,
}

impl fmt::Debug for RepoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RepoConfig")
            .field("url", &super::error::redact_userinfo(&self.url))
            .field("branch", &self.branch)
            .field("directory", &self.directory)
            .field("create_branch", &self.create_branch)
            .field("author", &self.author)
            .field("email", &self.email)
            .field("retry_attempts", &self.retry_attempts)
            .field("ca_bundle", &self.ca_bundle.as_ref().map(|pem| format!("{} bytes", pem.len())))
            .field("repository", &self.repository)
            .finish()
    }
}

impl RepoConfig {
    /// A config for `url` with the defaults: branch `main`, root directory, no createBranch.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            branch: "main".into(),
            directory: String::new(),
            create_branch: false,
            author: String::new(),
            email: String::new(),
            retry_attempts: 3,
            ca_bundle: None,
            repository: String::new(),
        }
    }

    /// The directory without leading/trailing `/`.
    pub fn directory(&self) -> &str {
        self.directory.trim_matches('/')
    }

    /// The path of a package from the repository root: directory joined with the package path.
    pub fn full_path(&self, package: &str) -> String {
        let package = package.trim_matches('/');
        match self.directory() {
            "" => package.to_string(),
            dir => format!("{dir}/{package}"),
        }
    }

    /// The package path (relative to the directory) of a full path, if it lies strictly inside
    /// the directory.
    pub fn package_of<'a>(&self, full_path: &'a str) -> Option<&'a str> {
        let package = match self.directory() {
            "" => full_path,
            dir => full_path.strip_prefix(dir)?.strip_prefix('/')?,
        };
        (!package.is_empty()).then_some(package)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_the_directory() {
        let mut c = RepoConfig::new("file:///r");
        assert_eq!(c.full_path("a/b"), "a/b");
        assert_eq!(c.package_of("a/b"), Some("a/b"));
        c.directory = "/dir/sub/".into();
        assert_eq!(c.full_path("pkg"), "dir/sub/pkg");
        assert_eq!(c.package_of("dir/sub/pkg"), Some("pkg"));
        assert_eq!(c.package_of("dir/subpkg"), None);
        assert_eq!(c.package_of("dir/sub"), None);
        assert_eq!(c.package_of("other/pkg"), None);
    }
}
