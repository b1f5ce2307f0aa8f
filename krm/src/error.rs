//! Errors of parsing and converting.

/// A parse or conversion error.
///
/// Parse errors carry the 1-based line and column where the parser stopped and render as
/// go-yaml does (`yaml: line 3: ...`), so messages built on them read like kpt's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The text is not YAML this crate reads.
    #[error("yaml: line {line}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column (in bytes).
        column: usize,
        /// What went wrong.
        message: String,
    },
    /// An alias names an anchor that no earlier node defines.
    #[error("yaml: unknown anchor '{0}' referenced")]
    UnknownAnchor(String),
    /// A value cannot be converted (e.g. `.inf` to JSON, or a non-string mapping key).
    #[error("{0}")]
    Convert(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
