//! Documents and streams: `---` separators, document comments, the sequence indentation kept
//! per document (kpt's `internal.config.kubernetes.io/seqindent`) and the JSON flag.

use crate::node::Node;

/// How block sequences that are values of mapping keys are indented.
///
/// kpt records it per resource in `internal.config.kubernetes.io/seqindent` and writes every
/// sequence of the resource with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SeqIndent {
    /// `- ` at the column of the parent key (kyaml's default).
    #[default]
    Compact,
    /// `- ` two columns right of the parent key.
    Wide,
}

impl SeqIndent {
    /// The annotation value: `compact` or `wide`.
    pub fn as_str(self) -> &'static str {
        match self {
            SeqIndent::Compact => "compact",
            SeqIndent::Wide => "wide",
        }
    }

    /// Reads an annotation value (`wide`, else compact, as kyaml's writer does).
    pub fn from_annotation(value: &str) -> Self {
        if value == "wide" { SeqIndent::Wide } else { SeqIndent::Compact }
    }
}

/// The format a document is written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// YAML.
    #[default]
    Yaml,
    /// JSON with 2-space indentation (a single-resource `.json` file).
    Json,
}

/// One document of a stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The top node; `None` for a document with comments only.
    pub root: Option<Node>,
    /// Directive lines (`%YAML 1.2`) before its `---`.
    pub directives: Vec<String>,
    /// Comment and blank lines before its `---` that no earlier document took (before the
    /// first `---`, or after a `...`).
    pub prelude: Vec<String>,
    /// Whether `---` is written before it (always written between documents).
    pub explicit_start: bool,
    /// A comment on the `---` line.
    pub start_comment: Option<String>,
    /// Comment and blank lines at its start, set apart from the first node by a blank line
    /// (go-yaml's document head comment).
    pub head: Vec<String>,
    /// Comment and blank lines after the root that no node took (trailing blank lines, and
    /// lines after `...`).
    pub foot: Vec<String>,
    /// Whether `...` is written after it.
    pub explicit_end: bool,
    /// Sequence indentation for the whole document.
    pub seq_indent: SeqIndent,
    /// YAML or JSON.
    pub format: Format,
}

impl Document {
    /// A YAML document holding `root`.
    pub fn new(root: Node) -> Self {
        Document {
            root: Some(root),
            directives: Vec::new(),
            prelude: Vec::new(),
            explicit_start: false,
            start_comment: None,
            head: Vec::new(),
            foot: Vec::new(),
            explicit_end: false,
            seq_indent: SeqIndent::Compact,
            format: Format::Yaml,
        }
    }

    /// The document as text: YAML with kpt's emitter, or JSON when its format is JSON.
    pub fn to_text(&self) -> String {
        match self.format {
            Format::Yaml => {
                let mut out = String::new();
                crate::emit::emit_document(&mut out, self, true);
                out
            }
            Format::Json => crate::json_text::to_json_text(self),
        }
    }
}

/// A YAML stream: its documents and the file-level details kept for byte-identical output.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    /// The documents in order.
    pub documents: Vec<Document>,
    /// Lines ended with `\r\n` (written back so).
    pub crlf: bool,
    /// The text ended with a line break (written back so).
    pub final_newline: bool,
    /// The text began with a byte-order mark (written back so).
    pub bom: bool,
}

impl Stream {
    /// A stream of these documents, `\n` line ends.
    pub fn new(documents: Vec<Document>) -> Self {
        Stream { documents, crlf: false, final_newline: true, bom: false }
    }

    /// Parses YAML text.
    pub fn parse(text: &str) -> crate::Result<Stream> {
        crate::parse::parse_stream(text)
    }

    /// Parses a JSON text into a one-document stream whose document is written back as JSON.
    pub fn parse_json(text: &str) -> crate::Result<Stream> {
        let mut stream = crate::parse::parse_stream(text)?;
        if stream.documents.len() != 1 || stream.documents[0].root.is_none() {
            return Err(crate::Error::Convert("a JSON file holds exactly one value".into()));
        }
        stream.documents[0].format = Format::Json;
        Ok(stream)
    }

    /// Parses a file's text by its name: JSON for `*.json`, else YAML.
    pub fn parse_file(name: &str, text: &str) -> crate::Result<Stream> {
        if name.ends_with(".json") { Stream::parse_json(text) } else { Stream::parse(text) }
    }

    /// The stream as text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut after_end_marker = false;
        for (i, doc) in self.documents.iter().enumerate() {
            if doc.format == Format::Json {
                out.push_str(&crate::json_text::to_json_text(doc));
                continue;
            }
            crate::emit::emit_document(&mut out, doc, i == 0 || after_end_marker);
            after_end_marker = doc.explicit_end;
        }
        if !self.final_newline && out.ends_with('\n') {
            out.pop();
        }
        if self.crlf {
            out = out.replace('\n', "\r\n");
        }
        if self.bom {
            out.insert(0, '\u{feff}');
        }
        out
    }
}

/// kyaml's `DeriveSeqIndentStyle`: the indentation of the first `- ` line whose previous
/// non-comment line is a `key:` line decides (`wide` when two columns right of the key,
/// `compact` when at its column); `compact` when none decides.
///
/// It reads text, not the tree, so a `- ` line inside a block scalar can decide (kpt does the
/// same). The parser sets [`Document::seq_indent`] from the tree instead; use this to compute
/// the annotation value exactly as kpt does.
pub fn derive_seq_indent(text: &str) -> SeqIndent {
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let Some((prefix, _)) = line.split_once("- ") else { continue };
        if !prefix.bytes().all(|b| b == b' ') {
            continue;
        }
        let Some(key_line) = lines[..i].iter().rev().find(|l| !l.trim_matches(' ').starts_with('#')) else {
            continue;
        };
        let key_line = key_line.split('#').next().unwrap_or("");
        let key_indent = key_line.len() - key_line.trim_start_matches(' ').len();
        let trimmed = key_line.trim_matches(' ');
        if trimmed.matches(':').count() != 1 || !trimmed.ends_with(':') {
            continue;
        }
        if prefix.len() == key_indent {
            return SeqIndent::Compact;
        }
        if prefix.len() == key_indent + 2 {
            return SeqIndent::Wide;
        }
    }
    SeqIndent::Compact
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_like_kyaml() {
        assert_eq!(derive_seq_indent("a:\n  - b\n"), SeqIndent::Wide);
        assert_eq!(derive_seq_indent("a:\n- b\n"), SeqIndent::Compact);
        assert_eq!(derive_seq_indent("a:\n  # c\n  - b\nc:\n- d\n"), SeqIndent::Wide);
        assert_eq!(derive_seq_indent("a:\n    - b\nc:\n  - d\n"), SeqIndent::Wide);
        assert_eq!(derive_seq_indent("a: b\n"), SeqIndent::Compact);
        assert_eq!(derive_seq_indent("a: |\n  x:\n    - z\nb:\n- c\n"), SeqIndent::Wide);
    }
}
