//! `.krmignore`: files of a package that kpt does not read as resources, in gitignore syntax,
//! relative to the package directory holding the file. Ignored files pass through a render
//! unchanged.

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// The name of the file.
pub(crate) const KRMIGNORE: &str = ".krmignore";

/// The patterns of one package.
#[derive(Debug)]
pub(crate) struct Krmignore(Option<Gitignore>);

impl Krmignore {
    /// The patterns of `text` (`None`: the package has no `.krmignore`). A pattern that does
    /// not parse is skipped, as git skips it.
    pub(crate) fn new(text: Option<&str>) -> Self {
        let Some(text) = text else { return Self(None) };
        let mut builder = GitignoreBuilder::new("/");
        for line in text.lines() {
            // A bad glob is left out; the others still apply.
            let _ = builder.add_line(None, line);
        }
        Self(builder.build().ok())
    }

    /// Whether `path` (relative to the package) is ignored, itself or through a directory.
    pub(crate) fn ignores(&self, path: &str) -> bool {
        self.0.as_ref().is_some_and(|g| g.matched_path_or_any_parents(format!("/{path}"), false).is_ignore())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_gitignore_patterns_relative_to_the_package() {
        let k = Krmignore::new(Some("# generated\nout/\n*.tmpl.yaml\n!keep.tmpl.yaml\n/root-only.yaml\n"));
        assert!(k.ignores("out/a.yaml"));
        assert!(k.ignores("a.tmpl.yaml"));
        assert!(k.ignores("deep/b.tmpl.yaml"));
        assert!(!k.ignores("keep.tmpl.yaml"));
        assert!(k.ignores("root-only.yaml"));
        assert!(!k.ignores("sub/root-only.yaml"));
        assert!(!k.ignores("app.yaml"));
        assert!(!Krmignore::new(None).ignores("out/a.yaml"));
    }
}
