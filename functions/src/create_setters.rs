//! `create-setters` (catalog v0.1.0, and its main branch as `unstable`): marks the fields that hold
//! setter values with `# kpt-set:` line comments, for `apply-setters` to fill later.
//!
//! Configuration: the `data` of the function config (any kind; in practice a `ConfigMap`). Each
//! value is read as YAML: a list makes an array setter (its items' values, sorted), a scalar a
//! scalar setter whose value is the text as written; a mapping is ignored.
//!
//! Every item is walked (local-config ones too); in each mapping, first its fields whose value is
//! a sequence, then each field's value in turn:
//! - a scalar containing scalar setter values gets the comment `# kpt-set: <pattern>`, the
//!   pattern being its value with each setter value replaced by `${name}` (an existing line
//!   comment is replaced);
//! - a sequence whose sorted item values equal an array setter's gets `# kpt-set: ${name}`: on
//!   the key of a block sequence; on a flow sequence itself, unless it has items, when it becomes
//!   a block sequence with the comment on its key;
//! - a flow sequence with an item containing a scalar setter value becomes a block sequence, so
//!   that its items can take comments (a line comment it had is dropped, as for apply-setters).
//!
//! The two versions differ in the scalar patterns. v0.1.0 replaces the setters one after the
//! other (every occurrence, in the text already replaced), in an order its sort makes from the
//! configuration's; main skips values with line breaks and replaces in one left-to-right pass,
//! the longest setter value first where several match. For a multi-line value v0.1.0 reports the
//! whole pattern and writes its first line as the comment (go-yaml writes the further lines as
//! comment lines of their own, which the node tree cannot hold; they are dropped).
//!
//! Results, in walk order: `Added line comment "kpt-set: <pattern>" for field with value
//! "<value>"` (a sequence's value written `[a b]`) with `field.path` and `file.path` (the item's
//! legacy `config.kubernetes.io/path`). The catalog writes them without a severity; they are
//! [`Severity::Info`] here.
//!
//! Errors (exit 1, one error result `failed to create setters: <reason>`): `config map cannot be
//! empty`, `parsing error` (a value that is not YAML, or empty), `no matches for the input list
//! of setters`, `missing Resource metadata` (an item kyaml reads no metadata from).
//!
//! Where the catalog iterates a Go map (the configuration) its order is random; here it is the
//! configuration's order.

use porch_krm::{Content, Node, Pair, Style, annotations};

use crate::go::go_quote;
use crate::object;
use crate::object::data;
use crate::result::trim_dot;
use crate::result::{FieldRef, FileRef, FnResult, Severity};
use crate::{Function, Outcome};

/// The function.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateSetters {
    /// The main branch's scalar rules (`unstable`) instead of v0.1.0's.
    pub main: bool,
}

impl Function for CreateSetters {
    fn run(&self, list: &mut porch_krm::ResourceList) -> Outcome {
        match self.create(list) {
            Ok(results) => Outcome { results, exit_code: 0 },
            Err(reason) => Outcome {
                results: vec![FnResult::general(
                    format!("failed to create setters: {reason}"),
                    Severity::Error,
                )],
                exit_code: 1,
            },
        }
    }
}

/// A scalar setter: its name and value.
struct Scalar {
    name: String,
    value: String,
}

/// An array setter: its name and its sorted item values.
struct Array {
    name: String,
    values: Vec<String>,
}

impl CreateSetters {
    fn create(&self, list: &mut porch_krm::ResourceList) -> Result<Vec<FnResult>, String> {
        let config = data(list.function_config.as_ref());
        if config.is_empty() {
            return Err("config map cannot be empty".into());
        }
        let (mut scalars, mut arrays) = (Vec::new(), Vec::new());
        for (name, value) in config {
            let parsed = porch_krm::parse(&value)
                .ok()
                .and_then(|s| s.documents.into_iter().next())
                .and_then(|d| d.root);
            match parsed.as_ref().map(|n| &n.content) {
                None => return Err("parsing error".into()),
                Some(Content::Sequence(items)) => arrays.push(Array { name, values: sorted_values(items) }),
                Some(Content::Scalar(_)) => scalars.push(Scalar { name, value }),
                Some(_) => {}
            }
        }
        self.order(&mut scalars);
        let mut walk = Walk {
            main: self.main,
            scalars: &scalars,
            arrays: &arrays,
            file: String::new(),
            results: Vec::new(),
        };
        for root in list.items.iter_mut().filter_map(|d| d.root.as_mut()) {
            if !object::has_meta(root) {
                return Err("missing Resource metadata".into());
            }
            walk.file = object::annotation(root, annotations::LEGACY_PATH).unwrap_or_default().to_string();
            walk.node(root, "");
        }
        if walk.results.is_empty() {
            return Err("no matches for the input list of setters".into());
        }
        Ok(walk.results)
    }

    /// Orders the scalar setters as the catalog's sort does: main puts longer values first
    /// (stable, as Go's sort is for up to 12); v0.1.0 sorts with its "value does not contain the
    /// other's name" comparison the way Go 1.16 sorts up to 12 elements (a gap-6 pass, then
    /// insertion).
    fn order(&self, scalars: &mut [Scalar]) {
        if self.main {
            scalars.sort_by_key(|s| std::cmp::Reverse(s.value.len()));
            return;
        }
        let less = |s: &[Scalar], i: usize, j: usize| !s[i].value.contains(s[j].name.as_str());
        for i in 6..scalars.len() {
            if less(scalars, i, i - 6) {
                scalars.swap(i, i - 6);
            }
        }
        for i in 1..scalars.len() {
            let mut j = i;
            while j > 0 && less(scalars, j, j - 1) {
                scalars.swap(j, j - 1);
                j -= 1;
            }
        }
    }
}

/// The values of a sequence's items (empty for collections), sorted.
fn sorted_values(items: &[Node]) -> Vec<String> {
    let mut values: Vec<String> = items.iter().map(|i| i.as_str().unwrap_or_default().to_string()).collect();
    values.sort();
    values
}

/// One walk over the items.
struct Walk<'a> {
    main: bool,
    scalars: &'a [Scalar],
    arrays: &'a [Array],
    file: String,
    results: Vec<FnResult>,
}

impl Walk<'_> {
    fn node(&mut self, node: &mut Node, path: &str) {
        match &mut node.content {
            Content::Mapping(pairs) => {
                for pair in pairs.iter_mut() {
                    self.sequence_field(pair, path);
                }
                for pair in pairs.iter_mut() {
                    let key = pair.key.as_str().unwrap_or_default().to_string();
                    self.node(&mut pair.value, &format!("{path}.{key}"));
                }
            }
            Content::Sequence(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.node(item, &format!("{path}[{i}]"));
                }
            }
            Content::Scalar(_) => self.scalar(node, path),
            Content::Alias(_) => {}
        }
    }

    /// A field whose value is a sequence.
    fn sequence_field(&mut self, pair: &mut Pair, path: &str) {
        let Some(items) = pair.value.as_sequence() else { return };
        let values = sorted_values(items);
        let field = trim_dot(&format!("{path}.{}", pair.key.as_str().unwrap_or_default()));
        // Where the comment goes: the key, unless the value is a flow sequence.
        let mut on_key = true;
        if pair.value.style == Style::Flow {
            on_key = false;
            if values.iter().any(|v| self.scalars.iter().any(|s| v.contains(s.value.as_str()))) {
                to_block(&mut pair.value);
                on_key = true;
            }
        }
        let Some(array) = self.arrays.iter().find(|a| a.values == values) else { return };
        if !on_key && !values.is_empty() {
            to_block(&mut pair.value);
            on_key = true;
        }
        let comment = format!("kpt-set: ${{{}}}", array.name);
        let target = if on_key { &mut pair.key } else { &mut pair.value };
        target.comments.line = Some(format!("# {comment}"));
        self.record(field, &format!("[{}]", values.join(" ")), &comment);
    }

    /// A scalar that may hold setter values.
    fn scalar(&mut self, node: &mut Node, path: &str) {
        let value = node.as_str().unwrap_or_default();
        if self.main && value.contains('\n') {
            return;
        }
        let pattern = if self.main { self.replace_in_one_pass(value) } else { self.replace_in_turn(value) };
        let Some(pattern) = pattern else { return };
        let (comment, value) = (format!("kpt-set: {pattern}"), value.to_string());
        // go-yaml ends a comment at its first line break (v0.1.0 marks multi-line values too).
        let first_line = comment.split(['\n', '\r']).next().unwrap_or_default();
        node.comments.line = Some(format!("# {first_line}"));
        self.record(trim_dot(path), &value, &comment);
    }

    /// v0.1.0: each setter whose value the text contains replaces it everywhere, in turn.
    fn replace_in_turn(&self, value: &str) -> Option<String> {
        let mut out = value.to_string();
        let mut matched = false;
        for s in self.scalars.iter().filter(|s| value.contains(s.value.as_str())) {
            matched = true;
            out = out.replace(s.value.as_str(), &format!("${{{}}}", s.name));
        }
        matched.then_some(out)
    }

    /// main: one left-to-right pass, the first setter (in order) matching at a place wins.
    fn replace_in_one_pass(&self, value: &str) -> Option<String> {
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(c) = rest.chars().next() {
            match self.scalars.iter().find(|s| !s.value.is_empty() && rest.starts_with(s.value.as_str())) {
                Some(s) => {
                    out.push_str(&format!("${{{}}}", s.name));
                    rest = &rest[s.value.len()..];
                }
                None => {
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        (out != value).then_some(out)
    }

    fn record(&mut self, path: String, value: &str, comment: &str) {
        let message =
            format!("Added line comment {} for field with value {}", go_quote(comment), go_quote(value));
        self.results.push(FnResult {
            field: Some(FieldRef { path, ..FieldRef::default() }),
            file: Some(FileRef { path: self.file.clone(), index: 0 }),
            ..FnResult::general(message, Severity::Info)
        });
    }
}

/// A flow sequence written as a block sequence (go-yaml drops the line comment of a block
/// sequence's node, and writes its items anew).
fn to_block(sequence: &mut Node) {
    sequence.style = Style::Plain;
    sequence.comments.line = None;
    if let Some(items) = sequence.as_sequence_mut() {
        items.iter_mut().for_each(Node::forget_source);
    }
}
