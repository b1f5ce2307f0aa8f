//! `apply-setters` (catalog v0.1.1, v0.2.0, v0.2.1): writes setter values into the fields that
//! carry a `# kpt-set: <pattern>` line comment.
//!
//! Configuration: the `data` of the function config (any kind; in practice a `ConfigMap`), each
//! key a setter name and its value the setter's value (a null value is empty). No other config
//! kind is read.
//!
//! Every item is walked (local-config ones too); in each mapping, first its fields whose value is
//! a sequence, then each field's value in turn:
//! - a scalar whose line comment is `# kpt-set: <pattern>`, where the pattern names at least one
//!   given setter (`${name}`), gets the pattern with the given setters substituted; setters not
//!   given take the values read from the field's current text against the pattern (each
//!   `${name}` matching any run of characters, leftmost and greedy, as the catalog's regular
//!   expression does); a setter left unresolved fails the run. The scalar keeps its style (an
//!   empty value is written `""`) and loses any explicit tag, so a plain `3` stays a number;
//! - a sequence field whose key (block style) or value (flow style) has the comment
//!   `# kpt-set: ${name}` takes the setter's value read as a YAML list: an empty value gives
//!   `[] # kpt-set: ${name}`, a list a block sequence with the comment on the key (and none on
//!   the sequence: go-yaml does not write it there, and by our reading of its emitter carries
//!   it on to the next uncommented scalar it writes, which is not reproduced).
//!
//! Results, in walk order: `set field value to "<value>"` with `field.path` and `file.path` (the
//! item's legacy `config.kubernetes.io/path`, as the kyaml the function is built on reads it),
//! or `no matches for input setter(s)` when nothing was set. The catalog writes them without a
//! severity; they are [`Severity::Info`] here.
//!
//! Errors (exit 1, one error result `failed to apply setters: <reason>`): `values for setters
//! [${a} ${b}] must be provided`, `invalid setter pattern for array node: "<pattern>"`, `input to
//! array setter must be an array of values, but found "<value>"`, `missing Resource metadata`
//! (an item kyaml reads no metadata from). v0.1.1 also fails on an empty configuration (`input
//! setters list cannot be empty`) and when nothing was set (`no matches for the input list of
//! setters`).
//!
//! Where the catalog iterates a Go map (the setters, the values read back) its order is random;
//! here it is the configuration's order.

use std::sync::LazyLock;

use porch_krm::{Content, Node, Style, annotations};
use regex::Regex;

use crate::go::go_quote;
use crate::object::{self, data};
use crate::result::{FieldRef, FileRef, FnResult, Severity, trim_dot};
use crate::{Function, Outcome};

/// The comment that marks a field, before its pattern.
const MARKER: &str = "# kpt-set: ";

/// The function.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplySetters {
    /// v0.1.1: an empty configuration and a run that sets nothing fail.
    pub strict: bool,
}

impl Function for ApplySetters {
    fn run(&self, list: &mut porch_krm::ResourceList) -> Outcome {
        let setters = data(list.function_config.as_ref());
        match self.apply(&setters, &mut list.items) {
            Ok(results) => Outcome { results, exit_code: 0 },
            Err(reason) => Outcome {
                results: vec![FnResult::general(
                    format!("failed to apply setters: {reason}"),
                    Severity::Error,
                )],
                exit_code: 1,
            },
        }
    }
}

impl ApplySetters {
    fn apply(
        &self,
        setters: &[(String, String)],
        items: &mut [porch_krm::Document],
    ) -> Result<Vec<FnResult>, String> {
        if self.strict && setters.is_empty() {
            return Err("input setters list cannot be empty".into());
        }
        let mut walk = Walk { setters, file: String::new(), results: Vec::new() };
        for root in items.iter_mut().filter_map(|d| d.root.as_mut()) {
            if !object::has_meta(root) {
                return Err("missing Resource metadata".into());
            }
            walk.file = object::annotation(root, annotations::LEGACY_PATH).unwrap_or_default().to_string();
            walk.node(root, "")?;
        }
        if walk.results.is_empty() {
            if self.strict {
                return Err("no matches for the input list of setters".into());
            }
            return Ok(vec![FnResult::general("no matches for input setter(s)", Severity::Info)]);
        }
        Ok(walk.results)
    }
}

/// One walk over the items.
struct Walk<'a> {
    setters: &'a [(String, String)],
    file: String,
    results: Vec<FnResult>,
}

impl Walk<'_> {
    fn node(&mut self, node: &mut Node, path: &str) -> Result<(), String> {
        match &mut node.content {
            Content::Mapping(pairs) => {
                for pair in pairs.iter_mut() {
                    self.sequence_field(pair, path)?;
                }
                for pair in pairs.iter_mut() {
                    let key = pair.key.as_str().unwrap_or_default().to_string();
                    self.node(&mut pair.value, &format!("{path}.{key}"))?;
                }
            }
            Content::Sequence(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.node(item, &format!("{path}[{i}]"))?;
                }
            }
            Content::Scalar(_) => self.scalar(node, path)?,
            Content::Alias(_) => {}
        }
        Ok(())
    }

    /// A field whose value is a sequence marked with an array setter.
    fn sequence_field(&mut self, pair: &mut porch_krm::Pair, path: &str) -> Result<(), String> {
        if pair.value.as_sequence().is_none() {
            return Ok(());
        }
        let flow = pair.value.style == Style::Flow;
        let comment = if flow { &pair.value.comments.line } else { &pair.key.comments.line };
        let Some(comment) = comment.clone() else { return Ok(()) };
        let pattern = pattern_of(&comment);
        if pattern.is_empty() || !self.names_a_setter(pattern) {
            return Ok(());
        }
        let unresolved = unresolved(pattern);
        if unresolved.len() != 1 || !pattern.starts_with("${") || !pattern.ends_with('}') {
            return Err(format!("invalid setter pattern for array node: {}", go_quote(pattern)));
        }
        let name = clean(pattern);
        let value =
            self.setters.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or_default();
        let key = pair.key.as_str().unwrap_or_default();
        let field = trim_dot(&format!("{path}.{key}"));
        if value.is_empty() {
            pair.value.content = Content::Sequence(Vec::new());
            pair.value.style = Style::Flow;
            pair.value.comments.line = Some(comment);
            pair.key.comments.line = None;
        } else {
            let not_a_list =
                || format!("input to array setter must be an array of values, but found {}", go_quote(value));
            let mut items = parse_list(value).ok_or_else(not_a_list)?;
            items.iter_mut().for_each(Node::forget_source);
            pair.value.content = Content::Sequence(items);
            // A block sequence: go-yaml writes no line comment on its value node.
            pair.value.style = Style::Plain;
            pair.value.comments.line = None;
            pair.key.comments.line = Some(comment);
        }
        self.record(field, value);
        Ok(())
    }

    /// A scalar marked with a pattern.
    fn scalar(&mut self, node: &mut Node, path: &str) -> Result<(), String> {
        let Some(comment) = node.comments.line.as_deref() else { return Ok(()) };
        let pattern = pattern_of(comment).to_string();
        if pattern.is_empty() || !self.names_a_setter(&pattern) {
            return Ok(());
        }
        let mut value = pattern.clone();
        for (name, given) in self.setters {
            value = value.replace(&format!("${{{name}}}"), given);
        }
        for (name, read) in current_values(&pattern, node.as_str().unwrap_or_default()) {
            value = value.replace(&format!("${{{name}}}"), &read);
        }
        let left = unresolved(&value);
        if !left.is_empty() {
            return Err(format!("values for setters [{}] must be provided", left.join(" ")));
        }
        if value.is_empty() {
            node.style = Style::DoubleQuoted;
        }
        node.tag = None;
        node.content = Content::Scalar(value.clone());
        self.record(trim_dot(path), &value);
        Ok(())
    }

    /// Whether `pattern` names one of the given setters.
    fn names_a_setter(&self, pattern: &str) -> bool {
        self.setters.iter().any(|(name, _)| pattern.contains(&format!("${{{name}}}")))
    }

    fn record(&mut self, path: String, value: &str) {
        self.results.push(FnResult {
            field: Some(FieldRef { path, ..FieldRef::default() }),
            file: Some(FileRef { path: self.file.clone(), index: 0 }),
            ..FnResult::general(format!("set field value to {}", go_quote(value)), Severity::Info)
        });
    }
}

/// The pattern of a `# kpt-set: ` comment (trimmed), or empty.
fn pattern_of(comment: &str) -> &str {
    comment.strip_prefix(MARKER).map(str::trim).unwrap_or_default()
}

/// The `${...}` references in `text`, in order, repeats included.
fn unresolved(text: &str) -> Vec<&str> {
    static REFERENCE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\$\{[^}]*\}").expect("a valid expression"));
    REFERENCE.find_iter(text).map(|m| m.as_str()).collect()
}

/// The name inside `${name}`.
fn clean(reference: &str) -> &str {
    let r = reference.trim();
    let r = r.strip_prefix("${").unwrap_or(r);
    r.strip_suffix('}').unwrap_or(r)
}

/// The setter values `value` shows for the references in `pattern`: each reference a greedy
/// `(.*)` in an otherwise literal, unanchored expression. Nothing when it does not match or a
/// reference would be empty; a repeated name keeps its last value.
fn current_values(pattern: &str, value: &str) -> Vec<(String, String)> {
    let references = unresolved(pattern);
    let mut expression = regex::escape(pattern);
    for reference in &references {
        expression = expression.replace(&regex::escape(reference), "(.*)");
    }
    let Ok(re) = Regex::new(&expression) else { return Vec::new() };
    let Some(captures) = re.captures(value) else { return Vec::new() };
    let groups: Vec<&str> = captures.iter().skip(1).map(|g| g.map_or("", |m| m.as_str())).collect();
    if groups.len() != references.len() || groups.iter().any(|g| g.is_empty()) {
        return Vec::new();
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (reference, group) in references.iter().zip(groups) {
        let name = clean(reference).to_string();
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = group.to_string(),
            None => out.push((name, group.to_string())),
        }
    }
    out
}

/// The items of `text` read as a YAML sequence (its first document), if it is one.
fn parse_list(text: &str) -> Option<Vec<Node>> {
    let stream = porch_krm::parse(text).ok()?;
    match stream.documents.into_iter().next()?.root?.content {
        Content::Sequence(items) => Some(items),
        _ => None,
    }
}
