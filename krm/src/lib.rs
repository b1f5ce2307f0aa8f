//! KRM YAML for porch-rs: a comment-preserving YAML node tree (like kyaml's `RNode` over
//! go-yaml v3's `yaml.Node`), its parser, and one emitter that writes files as kpt does.
//!
//! ```
//! let text = "apiVersion: v1\nkind: ConfigMap # a map\nmetadata: # kpt-merge: ns/cm\n  name: cm\n";
//! let mut stream = porch_krm::Stream::parse(text).unwrap();
//! assert_eq!(stream.to_text(), text); // unchanged → byte-identical
//! let root = stream.documents[0].root.as_mut().unwrap();
//! root.get_path_mut(&["metadata"]).unwrap().set_string("namespace", "prod").unwrap();
//! root.set_string("kind", "Secret").unwrap();
//! assert_eq!(
//!     stream.to_text(),
//!     "apiVersion: v1\nkind: Secret # a map\nmetadata: # kpt-merge: ns/cm\n  name: cm\n  namespace: prod\n"
//! );
//! ```
//!
//! # The tree
//! A [`Stream`] holds [`Document`]s; a document holds a root [`Node`]. A node has
//! [`Content`] (scalar value, mapping pairs in source order, sequence items, alias), a
//! [`Style`] (plain, single- or double-quoted, literal, folded; block or flow for collections),
//! an explicit tag, an anchor and [`Comments`] (head, line and foot, with blank lines kept as
//! empty lines). Documents keep `---`, `...`, directives, their comments, their sequence
//! indentation ([`SeqIndent`], kpt's `internal.config.kubernetes.io/seqindent`) and whether
//! they are JSON ([`Format`]).
//!
//! # Parser
//! Hand-written (`parse`), for the block and flow YAML that manifests use. The crates looked
//! at: `saphyr-parser` reports events with spans but no comments, numbers anchors instead of
//! naming them, and its block-scalar spans run into the following lines, so comments, blank
//! lines and source text would have to be recovered from the text around its spans anyway;
//! `yaml-edit` is a lossless rowan CST, young and with an editing model of its own, not a
//! go-yaml-like node tree, and its edits are not formatted as go-yaml formats them. Owning the
//! scanner gives exact spans for every token, which is what byte-identical output needs. The
//! tests compare every scalar this parser reads with what `granit-parser` (the saphyr parser
//! `serde-saphyr` uses) reads from the same text.
//!
//! # Emitter
//! One emitter, go-yaml v3 as kyaml sets it up for kpt: indentation 2, no line wrapping, a
//! block collection under its key on the next line, sequences compact (`- ` at the key's
//! column) or wide (two columns right), chosen per document. An unchanged scalar or flow
//! collection is written from its source text; a new or changed one in its style, falling back
//! as go-yaml does (plain → single-quoted → double-quoted; block scalars where they cannot
//! hold the value → double-quoted; plain strings with line breaks → literal blocks). New
//! strings that would read as another type are double-quoted ([`Node::string`]).
//!
//! What is written back byte for byte, unchanged: everything go-yaml would write itself, plus
//! quoting as written (`'x'`, `"x"`, escapes), block scalar headers and bodies (`|-`, `>+`,
//! `|2`, any indentation), multi-line plain and quoted scalars, flow collections as written
//! (spacing, line breaks and comments inside), comments with the spaces before a line
//! comment, blank lines, `---` / `...` / directives, a comment on the `---` line, `\r\n` line
//! ends, a missing final line break, a byte-order mark, and JSON files (which are written as
//! JSON).
//!
//! What is normalized (kyaml normalizes all of it too):
//! - indentation: two spaces per level, whatever the source used;
//! - sequences: all written as the document's [`SeqIndent`] (the first sequence that is a
//!   key's value decides, as kpt's annotation does); a file mixing styles comes out uniform;
//! - spacing around `:` and after `-`, and trailing spaces on a line;
//! - comment lines are indented as the node they belong to;
//! - a scalar that started on the line after its key moves onto the key's line;
//! - a node written after `--- ` on the marker line moves to the next line;
//! - a changed flow collection is written on one line (`{a: b, c: [d]}`) without the comments
//!   of its children; a changed single-quoted string with a line break is double-quoted.
//!
//! JSON: a `.json` document ([`Stream::parse_file`]) is written as JSON with 2-space
//! indentation and a final line break, unchanged tokens as read, new strings escaped as Go's
//! `encoding/json` escapes them. Keys stay in document order (kpt sorts them, as it writes
//! through a Go map).
//!
//! Not read: complex keys (`? `), collections as keys, `[a: b]` pairs in flow sequences.

mod document;
mod edit;
mod emit;
mod error;
mod json;
mod json_text;
mod node;
mod parse;
mod scalar;

pub use document::{Document, Format, SeqIndent, Stream, derive_seq_indent};
pub use error::{Error, Result};
pub use node::{Comments, Content, Node, NodeKind, Pair, Style};
pub use scalar::{Number, ScalarType, needs_type_quotes, parse_number, resolve};

/// Parses a YAML stream.
pub fn parse(text: &str) -> Result<Stream> {
    Stream::parse(text)
}
