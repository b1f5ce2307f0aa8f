//! `--authorization-always-allow-paths`: non-resource paths served without asking the cluster,
//! matched as kube's path authorizer matches them.

/// A pattern that is not a path or a prefix ending in `*`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("only trailing * allowed in {0:?}")]
pub(crate) struct PathPatternError(String);

/// Exact paths and prefixes (patterns ending in `*`); a leading `/` is optional on both sides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AlwaysAllowPaths {
    exact: Vec<String>,
    prefixes: Vec<String>,
}

impl AlwaysAllowPaths {
    /// The patterns, e.g. `/healthz`, `/readyz`, `/livez`, `/debug/*`.
    ///
    /// # Errors
    /// [`PathPatternError`] for a `*` anywhere but at the end (kube-apiserver refuses to start).
    pub(crate) fn parse<S: AsRef<str>>(patterns: &[S]) -> Result<Self, PathPatternError> {
        let mut paths = Self::default();
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let p = pattern.strip_prefix('/').unwrap_or(pattern);
            match p.strip_suffix('*') {
                _ if p.is_empty() => paths.exact.push(String::new()),
                Some(prefix) if !prefix.contains('*') => paths.prefixes.push(prefix.to_string()),
                None if !p.contains('*') => paths.exact.push(p.to_string()),
                _ => return Err(PathPatternError(pattern.to_string())),
            }
        }
        Ok(paths)
    }

    /// Whether `path` (of a non-resource request) is always allowed.
    pub(crate) fn allows(&self, path: &str) -> bool {
        let p = path.strip_prefix('/').unwrap_or(path);
        self.exact.iter().any(|e| e == p) || self.prefixes.iter().any(|prefix| p.starts_with(prefix.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_paths_and_prefixes() {
        let paths = AlwaysAllowPaths::parse(&["/healthz", "readyz", "/livez/*"]).unwrap();
        assert!(paths.allows("/healthz"));
        assert!(paths.allows("/readyz"));
        assert!(!paths.allows("/healthz/ping"));
        assert!(paths.allows("/livez/"));
        assert!(paths.allows("/livez/ping"));
        assert!(!paths.allows("/livez"));
        assert!(!paths.allows("/metrics"));
        assert!(!paths.allows("/"));
    }

    #[test]
    fn root_and_everything() {
        assert!(AlwaysAllowPaths::parse(&["/"]).unwrap().allows("/"));
        let all = AlwaysAllowPaths::parse(&["/*"]).unwrap();
        assert!(all.allows("/") && all.allows("/openapi/v3"));
        assert!(!AlwaysAllowPaths::default().allows("/healthz"));
    }

    #[test]
    fn a_star_inside_is_refused() {
        assert_eq!(AlwaysAllowPaths::parse(&["/a*/b"]), Err(PathPatternError("/a*/b".into())));
        assert!(AlwaysAllowPaths::parse(&["/a**"]).is_err());
    }
}
