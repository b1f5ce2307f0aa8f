//! go-starlark's `while` loop (allowed by the catalog's `AllowRecursion`), which starlark-rust
//! reserves as a keyword: before parsing, each `while COND:` at the start of a statement is
//! rewritten to `for _while_loop in range(0x7fffffff):` with `if not (COND): break` as the
//! first statement of its body, so `break`, `continue` and the condition behave as in a
//! `while`. The loop is bounded by the interpreter's step limit like any other.
//!
//! The rewrite adds a line per loop (two for a body on the header's line); [`Rewritten`] maps
//! the lines of the new text back to the script's, for messages. Text after what the lexer
//! cannot read is left as it is, for the parser to report.

use starlark_syntax::codemap::CodeMap;
use starlark_syntax::dialect::Dialect;
use starlark_syntax::lexer::{Lexer, Token};

/// The header a `while` header becomes.
const FOR_HEADER: &str = "for _while_loop in range(0x7fffffff):";

/// A script with its `while` loops rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The text to parse.
    pub text: String,
    /// For each line of `text` (from 0), the script's line it comes from.
    origins: Vec<usize>,
}

impl Rewritten {
    /// The script's line (from 0) of line `line` of the rewritten text.
    pub fn original_line(&self, line: usize) -> usize {
        self.origins.get(line).copied().unwrap_or(line)
    }
}

/// One change to the text: `text` replaces `len` bytes at `at`; `header`: text inserted at
/// the start of a line that stands for the script's line `header` (the loop's).
struct Edit {
    at: usize,
    len: usize,
    text: String,
    header: Option<usize>,
}

/// Rewrites the `while` loops of `source`.
pub fn rewrite(source: &str) -> Rewritten {
    let edits = edits(source, &tokens(source));
    apply(source, edits)
}

/// The tokens, without comments, up to the first the lexer cannot read. The lexer refuses
/// `while` (a reserved word), so it reads a copy with each `while` made an identifier of the
/// same length; a token is the keyword when the script has `while` in its place.
pub(super) fn tokens(source: &str) -> Vec<(usize, Token, usize)> {
    let masked = source.replace("while", "whil_");
    let dialect = Dialect { enable_top_level_stmt: true, ..Dialect::Standard };
    let lexer = Lexer::new(&masked, &dialect, CodeMap::new(String::new(), masked.clone()));
    lexer
        .map_while(Result::ok)
        .filter(|(_, token, _)| !matches!(token, Token::Comment(_) | Token::Tabs))
        .collect()
}

/// The edits for every `while` header that starts a statement.
fn edits(source: &str, tokens: &[(usize, Token, usize)]) -> Vec<Edit> {
    let mut edits = Vec::new();
    for (i, (begin, token, end)) in tokens.iter().enumerate() {
        let starts_statement =
            i == 0 || matches!(tokens[i - 1].1, Token::Newline | Token::Indent | Token::Dedent);
        if !(starts_statement
            && matches!(token, Token::Identifier(_))
            && source.get(*begin..*end) == Some("while"))
        {
            continue;
        }
        let Some(colon) = header_colon(tokens, i + 1) else { continue };
        let Some(condition) = tokens.get(i + 1).and_then(|t| source.get(t.0..tokens[colon].0)) else {
            continue;
        };
        let check = format!("if not ({}): break", condition.trim());
        edits.push(Edit {
            at: *begin,
            len: tokens[colon].2 - begin,
            text: FOR_HEADER.to_string(),
            header: None,
        });
        let header_indent = indentation(source, *begin);
        match (tokens.get(colon + 1), tokens.get(colon + 2)) {
            (Some((_, Token::Newline, _)), Some((_, Token::Indent, _))) => {
                let Some(first) = tokens[colon + 2..].iter().find(|t| !matches!(t.1, Token::Indent)) else {
                    continue;
                };
                let line_start = line_start(source, first.0);
                let indent = indentation(source, first.0);
                let header = source[..*begin].matches('\n').count();
                edits.push(Edit {
                    at: line_start,
                    len: 0,
                    text: format!("{indent}{check}\n"),
                    header: Some(header),
                });
            }
            _ => {
                let indent = format!("{header_indent}    ");
                let body = tokens[colon].2;
                let skip = source[body..].len() - source[body..].trim_start_matches([' ', '\t']).len();
                let text = format!("\n{indent}{check}\n{indent}");
                edits.push(Edit { at: body, len: skip, text, header: None });
            }
        }
    }
    edits
}

/// The `:` that ends a header whose condition starts at token `from` (brackets balanced).
fn header_colon(tokens: &[(usize, Token, usize)], from: usize) -> Option<usize> {
    let mut depth = 0_usize;
    for (j, (_, token, _)) in tokens.iter().enumerate().skip(from) {
        match token {
            Token::OpeningRound | Token::OpeningSquare | Token::OpeningCurly => depth += 1,
            Token::ClosingRound | Token::ClosingSquare | Token::ClosingCurly => {
                depth = depth.checked_sub(1)?
            }
            Token::Colon if depth == 0 => return Some(j),
            Token::Newline if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// Where the line holding byte `at` starts.
fn line_start(source: &str, at: usize) -> usize {
    source[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The blanks before byte `at` on its line (empty when something else precedes it).
fn indentation(source: &str, at: usize) -> &str {
    let before = &source[line_start(source, at)..at];
    if before.chars().all(|c| c == ' ' || c == '\t') { before } else { "" }
}

/// The text with the edits made, and where its lines come from.
fn apply(source: &str, mut edits: Vec<Edit>) -> Rewritten {
    edits.sort_by_key(|e| (e.at, e.len));
    let mut text = String::with_capacity(source.len());
    let mut origins = vec![0];
    let mut line = 0;
    let mut copied = 0;
    let push = |text: &mut String, piece: &str, origins: &mut Vec<usize>, line: &mut usize, copy: bool| {
        for c in piece.chars() {
            text.push(c);
            if c == '\n' {
                if copy {
                    *line += 1;
                }
                origins.push(*line);
            }
        }
    };
    for edit in edits {
        if edit.at < copied || edit.at + edit.len > source.len() {
            continue;
        }
        push(&mut text, &source[copied..edit.at], &mut origins, &mut line, true);
        if let (Some(header), Some(last)) = (edit.header, origins.last_mut()) {
            *last = header;
        }
        // A replaced range keeps the lines it had.
        let replaced = &source[edit.at..edit.at + edit.len];
        push(&mut text, &edit.text, &mut origins, &mut line, false);
        line += replaced.matches('\n').count();
        copied = edit.at + edit.len;
    }
    push(&mut text, &source[copied..], &mut origins, &mut line, true);
    Rewritten { text, origins }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_while_becomes_a_bounded_for_with_its_check_first() {
        let source = "i = 0\nwhile i < 3:\n    i += 1\nprint(i)\n";
        let r = rewrite(source);
        assert_eq!(
            r.text,
            "i = 0\nfor _while_loop in range(0x7fffffff):\n    if not (i < 3): break\n    i += 1\nprint(i)\n"
        );
        assert_eq!((0..5).map(|l| r.original_line(l)).collect::<Vec<_>>(), [0, 1, 1, 2, 3]);
    }

    #[test]
    fn a_body_on_the_header_line_moves_below_it() {
        let r = rewrite("def f(n):\n  while (n >\n      0): n -= 1\n  return n\n");
        assert_eq!(
            r.text,
            "def f(n):\n  for _while_loop in range(0x7fffffff):\n      if not ((n >\n      0)): break\n      n -= 1\n  return n\n"
        );
        assert_eq!(r.original_line(5), 3);
    }

    #[test]
    fn while_in_strings_and_comments_is_left_alone() {
        let source = "# while x:\ns = 'while y:'\n";
        assert_eq!(rewrite(source).text, source);
    }
}
