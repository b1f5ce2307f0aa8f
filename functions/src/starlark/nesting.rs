//! A bound on how deep a script's syntax nests, checked before parsing: starlark-rust's
//! compiler recurses once per level of an expression (`1+1+…`, `-(-(…))`, `a[0][0]…`,
//! brackets) and of indented blocks, so a script nesting tens of thousands of levels would
//! overflow the thread's stack and abort the process.
//!
//! The bound counts, from the tokens: open brackets, indentation levels, and the operators,
//! keywords, dots and closed brackets since the last `,`, `:` or `;` at each bracket level —
//! never less than the real depth.

use starlark_syntax::lexer::Token;

use super::while_loop::tokens;

/// The deepest nesting a script may have.
pub(super) const MAX_NESTING: usize = 1000;

/// Where the script's nesting first goes beyond [`MAX_NESTING`]: the byte offset.
pub(super) fn too_deep(source: &str) -> Option<usize> {
    let tokens = tokens(source);
    // Per open bracket level (the first is the statement's), operators seen in its element.
    let mut levels: Vec<usize> = vec![0];
    let mut indent = 0_usize;
    for (begin, token, _) in &tokens {
        match token {
            Token::OpeningRound | Token::OpeningSquare | Token::OpeningCurly => levels.push(0),
            Token::ClosingRound | Token::ClosingSquare | Token::ClosingCurly => {
                if levels.len() > 1 {
                    levels.pop();
                }
                bump(&mut levels);
            }
            Token::Comma | Token::Colon | Token::Semicolon => {
                if let Some(top) = levels.last_mut() {
                    *top = 0;
                }
            }
            Token::Newline => levels = vec![0],
            Token::Indent => indent += 1,
            Token::Dedent => indent = indent.saturating_sub(1),
            Token::Identifier(_)
            | Token::Int(_)
            | Token::Float(_)
            | Token::String(_)
            | Token::Bytes(_)
            | Token::Comment(_)
            | Token::Tabs => {}
            _ => bump(&mut levels),
        }
        if indent + levels.len() + levels.iter().sum::<usize>() > MAX_NESTING {
            return Some(*begin);
        }
    }
    None
}

fn bump(levels: &mut [usize]) {
    if let Some(top) = levels.last_mut() {
        *top += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_scripts_pass_and_deep_expressions_do_not() {
        let list = format!("x = [{}]\n", (0..5000).map(|i| i.to_string()).collect::<Vec<_>>().join(", "));
        assert_eq!(too_deep(&list), None, "a long flat list is shallow");
        let sum = format!("x = 0\n{}", "x = x + 1 + 2 * 3\n".repeat(2000));
        assert_eq!(too_deep(&sum), None, "depth starts over at each statement");
        assert!(too_deep(&format!("x = {}1", "1+".repeat(2000))).is_some());
        assert!(too_deep(&format!("x = {}1{}", "[".repeat(2000), "]".repeat(2000))).is_some());
        assert!(too_deep(&format!("x = a{}", "[0]".repeat(2000))).is_some());
    }
}
