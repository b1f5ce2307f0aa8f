//! Writing a value into a target field, as each kustomize version does.
//!
//! kustomize api 0.19 on (catalog v0.1.2 on) walks the field path with kyaml's `PathMatcher`
//! (every match of `*` and of `[field=regex]`; with `create`, missing fields, an index one
//! past the end and unmatched elements are made) and fails when nothing is found. Into a
//! scalar it copies only the text, so the field keeps its style and type: a quoted string
//! stays a string (`"8080"`), a plain number stays a number, and text the old type cannot
//! read gets that type's tag as go-yaml writes it (`!!int abc`). A made scalar is plain, so it
//! reads as whatever the text is. A mapping or sequence field is replaced by the source node
//! (its style and comments with it).
//!
//! kustomize api 0.10 (catalog v0.1.1) walks with kyaml 0.13's `PathGetter` ([`super::legacy`]):
//! one field, nothing made for an index, and a missing field is skipped without an error. The
//! field is replaced by the source node whole: its type, style and line comment.
//!
//! A target delimiter splits the field's text and puts the value at `index` (a negative index
//! prepends, one past the end or more appends).

use porch_krm::{Content, Node, NodeKind, Path, PathError, ScalarType, Style};

use super::config::FieldOptions;
use super::legacy;

/// Why a walk stopped: the path, or the write.
enum Stop {
    Path(PathError),
    Write(String),
}

impl From<PathError> for Stop {
    fn from(e: PathError) -> Self {
        Stop::Path(e)
    }
}

/// `"unable to find [or create] field %q in replacement target"`.
fn retrieval_error(field_path: &str, create: bool) -> String {
    let what = if create { "find or create" } else { "find" };
    format!("unable to {what} field {field_path:?} in replacement target")
}

/// Writes `value` at `field_path` of `object` (kustomize api 0.19 on).
///
/// # Errors
/// No field found (or made), a path kyaml cannot walk, a delimiter on a collection field.
pub(super) fn write(
    object: &mut Node,
    field_path: &str,
    value: &Node,
    options: Option<&FieldOptions>,
) -> Result<(), String> {
    let create = options.is_some_and(|o| o.create);
    let retrieval = retrieval_error(field_path, create);
    let path = Path::parse(field_path).map_err(|e| format!("{retrieval}: {e}"))?;
    if path.segments().is_empty() {
        return Err(retrieval);
    }
    // A made scalar leaf comes as an empty alias, to tell it from a null field found.
    let kind = create.then(|| if value.kind() == NodeKind::Scalar { NodeKind::Alias } else { value.kind() });
    let found =
        object.visit_path(&path, kind, &mut |target| set_field(target, value, options)).map_err(|stop| {
            match stop {
                Stop::Path(e) => format!("{retrieval}: {e}"),
                Stop::Write(message) => message,
            }
        })?;
    if found == 0 {
        return Err(retrieval);
    }
    Ok(())
}

/// Whether `node` is the placeholder `visit_path` makes for a missing scalar leaf.
fn is_made(node: &Node) -> bool {
    matches!(&node.content, Content::Alias(name) if name.is_empty())
}

/// kustomize's `setFieldValue`.
fn set_field(target: &mut Node, value: &Node, options: Option<&FieldOptions>) -> Result<(), Stop> {
    let made = value.kind() == NodeKind::Scalar && is_made(target);
    let scalar = made || target.kind() == NodeKind::Scalar;
    // go-yaml's `Value`: empty for a collection.
    let mut text = value.as_str().unwrap_or_default().to_string();
    if let Some(options) = options.filter(|o| !o.delimiter.is_empty()) {
        if !scalar {
            return Err(Stop::Write("delimiter option can only be used with scalar nodes".into()));
        }
        let current = if made { "" } else { target.as_str().unwrap_or_default() };
        text = splice(current, &text, options);
    }
    if made {
        *target = Node::scalar(text, Style::Plain);
    } else if scalar {
        set_scalar(target, &text);
    } else {
        *target = value.clone();
    }
    Ok(())
}

/// `current` split at the delimiter with `value` put at the index: replacing that element,
/// before all for a negative index, after all for one past the end or more.
fn splice(current: &str, value: &str, options: &FieldOptions) -> String {
    let mut parts: Vec<&str> = current.split(options.delimiter.as_str()).collect();
    match usize::try_from(options.index) {
        Err(_) => parts.insert(0, value),
        Ok(i) if i >= parts.len() => parts.push(value),
        Ok(i) => parts[i] = value,
    }
    parts.join(&options.delimiter)
}

/// Sets a scalar's text the way go-yaml writes a node whose `Value` changed: an explicit tag,
/// a quoted or a block style stay; a plain string the new text would not read as gets
/// double-quoted; a plain scalar of another type keeps that type as an explicit tag when the
/// new text reads as something else.
pub(super) fn set_scalar(node: &mut Node, text: &str) {
    let old = node.scalar_type();
    let plain_untagged = node.tag.is_none() && node.style == Style::Plain;
    node.content = Content::Scalar(text.to_string());
    let Some(old) = old.filter(|_| plain_untagged) else { return };
    if porch_krm::resolve(text) == old {
        return;
    }
    match old {
        // go-yaml writes text with a line break as a literal block whatever it reads as.
        ScalarType::Str if text.contains('\n') => {}
        ScalarType::Str => node.style = Style::DoubleQuoted,
        ScalarType::Null => node.tag = Some("!!null".into()),
        ScalarType::Bool => node.tag = Some("!!bool".into()),
        ScalarType::Int => node.tag = Some("!!int".into()),
        ScalarType::Float => node.tag = Some("!!float".into()),
        ScalarType::Timestamp => node.tag = Some("!!timestamp".into()),
    }
}

/// Writes `value` at `field_path` of `object` (kustomize api 0.10): the field, made when
/// `create` is set and it is missing, is replaced by a copy of the value node.
///
/// # Errors
/// A path kyaml 0.13 cannot walk, a delimiter on a collection field.
pub(super) fn write_v010(
    object: &mut Node,
    field_path: &str,
    value: &Node,
    options: Option<&FieldOptions>,
) -> Result<(), String> {
    let path = Path::parse(field_path).map_err(|e| e.to_string())?;
    let create = options.is_some_and(|o| o.create).then(|| value.kind());
    let Some(target) = legacy::lookup(object, &path, create)? else { return Ok(()) };
    let mut copy = value.clone();
    if let Some(options) = options.filter(|o| !o.delimiter.is_empty()) {
        let Some(current) = target.as_str() else {
            return Err("delimiter option can only be used with scalar nodes".into());
        };
        let text = splice(current, value.as_str().unwrap_or_default(), options);
        if copy.kind() == NodeKind::Scalar {
            set_scalar(&mut copy, &text);
        }
    }
    *target = copy;
    Ok(())
}
