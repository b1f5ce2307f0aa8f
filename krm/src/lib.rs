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
//! an explicit tag, an anchor and [`Comments`] (head, line and foot, as go-yaml v3 attaches
//! them; blank lines kept as empty lines). Documents keep `---`, `...`, directives, their own
//! comments, their sequence indentation ([`SeqIndent`], kpt's
//! `internal.config.kubernetes.io/seqindent`) and whether they are JSON ([`Format`]).
//!
//! Editing ([`Node::get`], [`Node::set`], [`Node::set_string`], [`Node::remove`],
//! [`Node::push`], [`Node::mapping_entry`]) and JSON ([`Node::to_json`], [`Node::from_json`],
//! [`Node::merge_from_json`]) leave untouched nodes as they were, so they are written back as
//! read.
//!
//! # Parser
//! Hand-written, for the block and flow YAML that manifests use. The crates looked at:
//! `saphyr-parser` reports events with spans but no comments, numbers anchors instead of
//! naming them, and its block-scalar spans run into the following lines, so comments, blank
//! lines and source text would have to be recovered from the text around its spans anyway;
//! `yaml-edit` is a lossless rowan CST, young, with an editing model of its own rather than a
//! go-yaml-like node tree, and its edits are not formatted as go-yaml formats them. Owning the
//! scanner gives exact spans for every token, which is what byte-identical output needs. The
//! tests compare every scalar this parser reads, from the fixtures and from random trees, with
//! what `granit-parser` (the saphyr parser `serde-saphyr` uses) reads from the same text.
//!
//! Not read (errors): complex keys (`? `), collections as keys, `[a: b]` pairs inside flow
//! sequences. Duplicate keys are read; [`Node::to_json`] keeps the last.
//!
//! # Emitter
//! One emitter, go-yaml v3 as kyaml sets it up for kpt: indentation 2, no line wrapping, a
//! block collection under its key on the next line, sequences compact (`- ` at the key's
//! column) or wide (two columns right), chosen per document. An unchanged scalar or flow
//! collection is written from its source text; a new or changed one in its style, falling back
//! as go-yaml does (plain → single-quoted → double-quoted; block scalars that cannot hold the
//! value → double-quoted; plain strings with line breaks → literal blocks). New strings that
//! would read as another type, in YAML 1.2 or in the API server's YAML 1.1, are double-quoted
//! ([`Node::string`], [`Node::set_str_value`]). A tree with its source text dropped
//! ([`Node::forget_source`]) is written as go-yaml writes it.
//!
//! Written back byte for byte when unchanged: everything go-yaml writes, plus quoting as
//! written (`'x'`, `"x"`, escapes), block scalar headers and bodies (`|-`, `>+`, `|2`, any
//! indentation), multi-line plain and quoted scalars, flow collections as written (spacing,
//! line breaks and comments inside), comments with the spaces before a line comment and the
//! extra indentation of a comment deeper than its node, blank lines, `---` / `...` /
//! directives and a comment on the `---` line, `\r\n` line ends, a missing final line
//! break, a byte-order mark, and JSON files (written as JSON).
//!
//! Normalized (kyaml normalizes all of it too, and more):
//! - indentation: two spaces per level, whatever the source used;
//! - sequences: all written as the document's [`SeqIndent`] (the first block sequence that is
//!   a key's value decides, as kpt's annotation does); a file mixing styles comes out uniform;
//! - spacing around `:` and after `-`, tabs before a line comment, trailing blanks;
//! - a comment line indented less than the node it belongs to moves to the node's column;
//! - a scalar on the line below its key moves onto the key's line (unless comments sit
//!   between them);
//! - a node written after `--- ` on the marker line moves to the next line;
//! - a changed flow collection is written on one line (`{a: b, c: [d]}`) without the comments
//!   of its children; a changed single-quoted string with a line break is double-quoted;
//! - an empty plain scalar (null) in a flow collection, as a key or as a whole document is
//!   written `null`;
//! - blank lines right after a kept (`|+`) block scalar are left out (they would read as
//!   part of it);
//! - when a mapping with `<<` merge keys changes through [`Node::merge_from_json`], the
//!   merged entries are written out.
//!
//! JSON: a `.json` document ([`Stream::parse_file`]) is written as JSON with 2-space
//! indentation and a final line break, unchanged tokens as read, new strings escaped as Go's
//! `encoding/json` escapes them. Keys stay in document order; kpt writes them sorted (it
//! writes through a Go map): [`Node::sort_keys`] does that.
//!
//! # Functions' wire format
//! [`ResourceList`] reads and writes `config.kubernetes.io/v1` ResourceLists (and reads
//! `List`s), YAML or JSON, each item a [`Document`] that keeps its comments and its sequence
//! style. [`annotations`] holds kpt's bookkeeping annotations (path, index, seqindent, id,
//! package-path, internal and legacy keys): set where a package is read, stripped, with a map
//! they alone made, where it is written. [`package`] reads a package's resource files into
//! annotated items and writes items back into files (unchanged files keep their exact text,
//! emptied ones are deleted, new resources get kyaml's `<kind>_<name>.yaml`).
//! [`comments`] copies the comments of one version of a resource into another where they are
//! empty, and [`order`] its key order (how kpt restores what a function dropped).
//!
//! # Package update
//! [`update`] is kpt's package update (Porch's `upgrade` task) over three file sets of one
//! package (original, updated, local) with kpt's four strategies, and Porch's
//! `ensureMergeKey` ([`update::ensure_merge_keys`]).

pub mod annotations;
pub mod comments;
mod document;
mod edit;
mod emit;
mod error;
mod json;
mod json_text;
mod node;
pub mod order;
pub mod package;
mod parse;
pub mod path;
pub mod resource_list;
mod scalar;
pub mod update;

pub use document::{Document, Format, SeqIndent, Stream, derive_seq_indent};
pub use error::{Error, Result};
pub use node::{Comments, Content, Node, NodeKind, Pair, Style};
pub use path::{Path, PathError, Segment};
pub use resource_list::ResourceList;
pub use scalar::{Number, ScalarType, is_yaml11_non_string, needs_type_quotes, parse_number, resolve};

/// Parses a YAML stream.
pub fn parse(text: &str) -> Result<Stream> {
    Stream::parse(text)
}
