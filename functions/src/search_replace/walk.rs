//! The walk over an item: every mapping (for comments on sequence fields) and every scalar
//! (matched, then changed), with the path the catalog gives it (`.spec.containers[0].image`).

use porch_krm::{Content, Document, Node, Pair, Style};

use super::{Config, Found, path};

/// One item's walk.
pub(super) struct Walk<'a> {
    pub(super) config: &'a Config,
    /// The item's `config.kubernetes.io/path`.
    pub(super) file: String,
    pub(super) found: &'a mut Vec<Found>,
}

impl Walk<'_> {
    /// Walks `node`, found at `at`.
    pub(super) fn node(&mut self, node: &mut Node, at: &str) -> Result<(), String> {
        match &mut node.content {
            Content::Mapping(pairs) => {
                for pair in pairs.iter_mut() {
                    self.sequence_field(pair, at);
                }
                for pair in pairs.iter_mut() {
                    let key = pair.key.as_str().unwrap_or_default().to_string();
                    self.node(&mut pair.value, &format!("{at}.{key}"))?;
                }
                Ok(())
            }
            Content::Sequence(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.node(item, &format!("{at}[{i}]"))?;
                }
                Ok(())
            }
            Content::Scalar(_) => self.scalar(node, at),
            Content::Alias(_) => Ok(()),
        }
    }

    /// `put-comment` on a field whose value is a non-empty sequence the path names: the comment
    /// goes on the key, the sequence is written in block style.
    fn sequence_field(&mut self, pair: &mut Pair, at: &str) {
        if self.config.put_comment.is_empty() || pair.value.as_sequence().is_none_or(Vec::is_empty) {
            return;
        }
        let key = pair.key.as_str().unwrap_or_default().trim();
        let field = format!("{at}.{key}");
        if !path::matches(&self.config.by_path, field.strip_prefix('.').unwrap_or(&field)) {
            return;
        }
        let mut flow = pair.value.clone();
        flow.style = Style::Flow;
        flow.comments = Default::default();
        flow.forget_source();
        let value = yaml_text(&flow);
        pair.key.comments.line = Some(comment(&self.config.put_comment));
        pair.value.style = Style::Plain;
        pair.value.comments.line = None;
        self.found.push(Found {
            file: self.file.clone(),
            field: format!("{} # {}", self.config.by_path, self.config.put_comment),
            value,
        });
    }

    /// A scalar: matched, then changed.
    fn scalar(&mut self, node: &mut Node, at: &str) -> Result<(), String> {
        let value = node.as_str().unwrap_or_default().to_string();
        if !self.criteria_match(&value, at) {
            return Ok(());
        }
        if !self.config.put_comment.is_empty() {
            let text = resolve(&value, self.config, &self.config.put_comment)?;
            node.comments.line = Some(comment(&text));
        }
        if !self.config.put_value.is_empty() {
            let text = resolve(&value, self.config, &self.config.put_value)?;
            node.content = Content::Scalar(text);
            node.tag = None;
        }
        let field = at.strip_prefix('.').unwrap_or(at).to_string();
        // Counted by the catalog either way, reported only with a file path.
        if !self.file.is_empty() {
            self.found.push(Found { file: self.file.clone(), field, value: yaml_text(node) });
        }
        Ok(())
    }

    /// Whether a scalar with `value` at `at` matches: value and path, or the one given.
    fn criteria_match(&self, value: &str, at: &str) -> bool {
        let c = self.config;
        let path = !c.by_path.is_empty() && path::matches(&c.by_path, at.strip_prefix('.').unwrap_or(at));
        let by_value = (!c.by_value.is_empty() && c.by_value == value)
            || c.regex.as_ref().is_some_and(|r| r.is_match(value));
        // Both when both are given, else the one given.
        (by_value && (path || c.by_path.is_empty()))
            || (path && c.by_value.is_empty() && c.by_value_regex.is_empty())
    }
}

/// `pattern` with `${1}`, `${2}`… replaced by the capture groups `by-value-regex` finds in
/// `value` (the pattern as given without one).
fn resolve(value: &str, config: &Config, pattern: &str) -> Result<String, String> {
    let Some(regex) = &config.regex else { return Ok(pattern.to_string()) };
    let mut out = pattern.to_string();
    if let Some(captures) = regex.captures(value) {
        for (i, group) in captures.iter().enumerate().skip(1) {
            out = out.replace(&format!("${{{i}}}"), group.map_or("", |m| m.as_str()));
        }
    }
    if has_group_reference(&out) {
        return Err("unable to resolve capture groups".into());
    }
    Ok(out)
}

/// Whether `text` still holds a `${<digits>}`.
fn has_group_reference(text: &str) -> bool {
    text.match_indices("${").any(|(i, _)| {
        let rest = &text[i + 2..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && rest.as_bytes().get(digits) == Some(&b'}')
    })
}

/// A comment as go-yaml writes a line comment: `# ` put in front unless it starts with `#`.
fn comment(text: &str) -> String {
    if text.starts_with('#') { text.to_string() } else { format!("# {text}") }
}

/// A node as kyaml's `yaml.String` writes it (with its comments), trimmed.
fn yaml_text(node: &Node) -> String {
    Document::new(node.clone()).to_text().trim().to_string()
}
