//! The parser's position in the text, and the comment and blank lines between nodes.

use crate::Error;

/// A comment line (`Some("# text")`) or a blank line (`None`) between nodes, with its column.
#[derive(Clone, Debug)]
pub(crate) struct Gap {
    pub(crate) col: usize,
    pub(crate) text: Option<String>,
}

/// Gap lines as stored in [`crate::Comments`] of a node at column `col`: blank lines become
/// empty strings; a comment indented deeper than the node keeps the extra spaces.
pub(crate) fn gap_lines(gap: Vec<Gap>, col: usize) -> Vec<String> {
    gap.into_iter()
        .map(|g| match g.text {
            Some(t) if g.col > col => format!("{}{t}", " ".repeat(g.col - col)),
            Some(t) => t,
            None => String::new(),
        })
        .collect()
}

/// Splits the lines after a collection's last entry: the entry takes, as its foot comment, the
/// longest run that ends with a comment line and whose comment lines all sit at `claim_col` or
/// right of it. Blank lines after the last taken comment go on to the next node.
pub(crate) fn claim(gap: Vec<Gap>, claim_col: usize) -> (Vec<Gap>, Vec<Gap>) {
    let mut end = 0;
    for (i, g) in gap.iter().enumerate() {
        if g.text.is_some() {
            if g.col >= claim_col {
                end = i + 1;
            } else {
                break;
            }
        }
    }
    let mut claimed = gap;
    let rest = claimed.split_off(end);
    (claimed, rest)
}

/// A saved position.
#[derive(Clone, Copy)]
pub(crate) struct Mark {
    pos: usize,
    line: usize,
    line_start: usize,
}

/// The text and where the parser is in it. Columns are byte offsets from the line start
/// (indentation is spaces, so they are character columns where it matters).
pub(crate) struct Cursor<'a> {
    pub(crate) src: &'a str,
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) line: usize,
    pub(crate) line_start: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Cursor { src, b: src.as_bytes(), pos: 0, line: 0, line_start: 0 }
    }

    pub(crate) fn err(&self, message: impl Into<String>) -> Error {
        Error::Syntax { line: self.line + 1, column: self.col() + 1, message: message.into() }
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark { pos: self.pos, line: self.line, line_start: self.line_start }
    }

    pub(crate) fn reset(&mut self, m: Mark) {
        self.pos = m.pos;
        self.line = m.line;
        self.line_start = m.line_start;
    }

    pub(crate) fn col(&self) -> usize {
        self.pos - self.line_start
    }

    pub(crate) fn eof(&self) -> bool {
        self.pos >= self.b.len()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    pub(crate) fn peek_at(&self, n: usize) -> Option<u8> {
        self.b.get(self.pos + n).copied()
    }

    /// The character at the position (the text is valid UTF-8; positions are on boundaries).
    pub(crate) fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    pub(crate) fn at_eol(&self) -> bool {
        matches!(self.peek(), None | Some(b'\n'))
    }

    /// True when the byte `n` ahead is a space, tab, line break or the end.
    pub(crate) fn blank_at(&self, n: usize) -> bool {
        matches!(self.peek_at(n), None | Some(b' ' | b'\t' | b'\n'))
    }

    pub(crate) fn skip_blanks(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Passes a line break (or stays at the end).
    pub(crate) fn newline(&mut self) {
        if self.peek() == Some(b'\n') {
            self.pos += 1;
            self.line += 1;
            self.line_start = self.pos;
        }
    }

    /// Reads blank and comment lines from a line start, stopping at the start of the next line
    /// with content (or at the end).
    pub(crate) fn read_gap(&mut self) -> Vec<Gap> {
        let mut gap = Vec::new();
        while !self.eof() {
            let start = self.pos;
            let n = self.skip_blanks();
            match self.peek() {
                None | Some(b'\n') => {
                    gap.push(Gap { col: n, text: None });
                    self.newline();
                }
                Some(b'#') => {
                    let text = self.rest_of_line().trim_end().to_string();
                    gap.push(Gap { col: n, text: Some(text) });
                    self.newline();
                }
                _ => {
                    self.pos = start;
                    break;
                }
            }
        }
        gap
    }

    /// The text from the position to the end of the line; moves to the line break.
    pub(crate) fn rest_of_line(&mut self) -> &'a str {
        let start = self.pos;
        while !self.at_eol() {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    /// The indentation of the line starting at the position; an error for a tab in it.
    pub(crate) fn line_indent(&self) -> crate::Result<usize> {
        let mut n = 0;
        while self.peek_at(n) == Some(b' ') {
            n += 1;
        }
        if self.peek_at(n) == Some(b'\t') {
            let mut c = Cursor { pos: self.pos + n, ..*self };
            c.line_start = self.line_start;
            return Err(c.err("found a tab character that violates indentation"));
        }
        Ok(n)
    }

    /// At a line start, true when the line is `---` or `...` (alone or followed by a blank).
    pub(crate) fn at_doc_marker(&self) -> bool {
        self.pos == self.line_start
            && (self.b[self.pos..].starts_with(b"---") || self.b[self.pos..].starts_with(b"..."))
            && self.blank_at(3)
    }

    /// True when `-` at `col` of the current line (the position is at the line start) starts a
    /// sequence entry.
    pub(crate) fn dash_at(&self, col: usize) -> bool {
        self.peek_at(col) == Some(b'-') && self.blank_at(col + 1)
    }

    /// After a node: spaces, an optional comment, the line break. Returns the comment and the
    /// spaces before it.
    pub(crate) fn end_of_line(&mut self, what: &str) -> crate::Result<Option<(String, u16)>> {
        self.skip_blanks();
        let mut gap = 0;
        while self.pos > gap + self.line_start && matches!(self.b[self.pos - gap - 1], b' ' | b'\t') {
            gap += 1;
        }
        let comment = match self.peek() {
            Some(b'#') if gap > 0 || self.pos == self.line_start => {
                Some((self.rest_of_line().trim_end().to_string(), u16::try_from(gap).unwrap_or(1)))
            }
            None | Some(b'\n') => None,
            _ => return Err(self.err(format!("did not find expected {what}"))),
        };
        self.newline();
        Ok(comment)
    }
}
