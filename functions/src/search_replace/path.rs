//! `by-path`: matching a walked path against the pattern, and writing a value straight to an
//! absolute path.
//!
//! A pattern and a path are split at dots. `*` matches one element, `**` any number of them
//! (none included); an element `name[i]` of the path matches `name[i]`, `name[*]`, `*[i]` and
//! `*[*]`, otherwise elements compare equal.

use porch_krm::{Node, NodeKind, Style};

use super::Config;

/// Whether the walked path `path` (`spec.containers[0].image`) matches `pattern`.
pub(super) fn matches(pattern: &str, path: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let pattern: Vec<&str> = pattern.split('.').collect();
    let path: Vec<&str> = path.strip_prefix('.').unwrap_or(path).split('.').collect();
    // done[i][j]: the first i path elements match the first j pattern elements.
    let mut done = vec![vec![false; pattern.len() + 1]; path.len() + 1];
    done[0][0] = true;
    for j in 1..=pattern.len() {
        if pattern[j - 1] == "**" {
            done[0][j] = done[0][j - 1];
        }
    }
    for i in 1..=path.len() {
        for j in 1..=pattern.len() {
            done[i][j] = if pattern[j - 1] == "**" {
                done[i][j - 1] || done[i - 1][j]
            } else if pattern[j - 1] == "*" || element_matches(path[i - 1], pattern[j - 1]) {
                done[i - 1][j - 1]
            } else {
                false
            };
        }
    }
    done[path.len()][pattern.len()]
}

/// One element of a path against one of a pattern.
fn element_matches(element: &str, pattern: &str) -> bool {
    if element == pattern {
        return true;
    }
    if !element.contains('[') {
        return false;
    }
    let element: Vec<&str> = element.split('[').collect();
    let pattern: Vec<&str> = pattern.split('[').collect();
    if pattern[0] != "*" && element[0] != pattern[0] {
        return false;
    }
    pattern.len() > 1 && (pattern[1] == "*]" || element.get(1) == Some(&pattern[1]))
}

/// Whether `put-value` is written straight to `by-path`: an absolute path (no empty element,
/// no `*`, no `[`) and no value matcher.
pub(super) fn puts_directly(config: &Config) -> bool {
    let absolute = config.by_path.split('.').all(|e| !e.is_empty() && !e.contains('*'));
    absolute
        && !config.by_path.contains('[')
        && config.by_value.is_empty()
        && config.by_value_regex.is_empty()
        && !config.put_value.is_empty()
}

/// Writes `put-value` at `by-path` of `root` as kyaml's `LookupCreate` and `SetField` do:
/// missing fields on the way become mappings, a number is a sequence index (nothing is written
/// past the end), `-` the last element; the value is a new untagged scalar (an existing one
/// keeps its style).
pub(super) fn put(root: &mut Node, config: &Config) -> Result<(), String> {
    let parts: Vec<&str> = config.by_path.split('.').map(str::trim).collect();
    let Some((last, parents)) = parts.split_last() else { return Ok(()) };
    let mut node = root;
    // The field names walked so far, as kyaml names a node in its messages.
    let mut fields: Vec<&str> = Vec::new();
    for part in parents {
        let next = if let Ok(index) = part.parse::<i64>() {
            let index =
                usize::try_from(index).map_err(|_| format!("array index {index} cannot be negative"))?;
            let Some(items) = sequence_items(node, &fields)? else { return Ok(()) };
            items.get_mut(index)
        } else if *part == "-" {
            let Some(items) = sequence_items(node, &fields)? else { return Ok(()) };
            items.last_mut()
        } else {
            if node.is_null() {
                return Ok(());
            }
            expect(node, NodeKind::Mapping, &fields)?;
            fields.push(part);
            if node.get(part).is_none() {
                // A mapping takes any key.
                let _ = node.set(part, Node::mapping());
            }
            node.get_mut(part)
        };
        match next {
            Some(found) => node = found,
            None => return Ok(()),
        }
    }
    if node.is_null() {
        return Ok(());
    }
    expect(node, NodeKind::Mapping, &fields)?;
    let value = &config.put_value;
    match node.get_mut(last) {
        Some(existing) => {
            let style = match existing.kind() {
                NodeKind::Scalar => existing.style,
                _ => Style::Plain,
            };
            let comments = std::mem::take(&mut existing.comments);
            *existing = Node::scalar(value.clone(), style);
            existing.comments = comments;
        }
        None => {
            let _ = node.set(last, Node::scalar(value.clone(), Style::Plain));
        }
    }
    Ok(())
}

/// The items of a sequence on the way (`None` for a null: nothing is written).
fn sequence_items<'a>(node: &'a mut Node, fields: &[&str]) -> Result<Option<&'a mut Vec<Node>>, String> {
    if node.is_null() {
        return Ok(None);
    }
    expect(node, NodeKind::Sequence, fields)?;
    Ok(node.as_sequence_mut())
}

/// kyaml's `ErrorIfInvalid`.
fn expect(node: &Node, kind: NodeKind, fields: &[&str]) -> Result<(), String> {
    if node.kind() == kind {
        return Ok(());
    }
    Err(crate::kustomize::wrong_kind(fields, kind, node))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns_match_as_the_catalog_documents() {
        assert!(matches("a.b.c", "a.b.c"));
        assert!(matches("a.*.c", "a.b1.c"));
        assert!(!matches("a.*.c", "a.c"));
        assert!(matches("a.**.c", "a.b3.d[0].f.c"));
        assert!(matches("a.**.c", "a.c"));
        assert!(matches("a.b[1].c", "a.b[1].c"));
        assert!(!matches("a.b[1].c", "a.b[0].c"));
        assert!(matches("a.b[*].c", "a.b[2].c"));
        assert!(matches("*[*]", "b[2]"));
        assert!(!matches("a.b", "a.b[0]"));
        assert!(!matches("", "a"));
        assert!(matches("**", ""));
    }
}
