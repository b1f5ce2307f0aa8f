//! `labelSelector` parsing and matching (kube-apiserver `labels.Parse` syntax).

use std::collections::BTreeMap;
use std::fmt;

use super::{SelectorError, validate};

/// The operator of one [`LabelRequirement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LabelOperator {
    /// `k=v` or `k==v`: the label is present with that value.
    Equals,
    /// `k!=v`: the label is absent or has another value.
    NotEquals,
    /// `k in (a,b)`: the label is present with one of the values.
    In,
    /// `k notin (a,b)`: the label is absent or has none of the values.
    NotIn,
    /// `k`: the label is present.
    Exists,
    /// `!k`: the label is absent.
    DoesNotExist,
    /// `k>n`: the label is present and an integer greater than `n`.
    GreaterThan,
    /// `k<n`: the label is present and an integer less than `n`.
    LessThan,
}

/// One comma-separated term of a [`LabelSelector`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRequirement {
    key: String,
    operator: LabelOperator,
    values: Vec<String>,
}

impl LabelRequirement {
    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }
    /// The operator.
    pub fn operator(&self) -> LabelOperator {
        self.operator
    }
    /// The values (sorted, deduplicated; empty for `Exists`/`DoesNotExist`).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    fn matches<'a>(&self, get: &impl Fn(&str) -> Option<&'a str>) -> bool {
        let actual = get(&self.key);
        let listed = |v: &str| self.values.iter().any(|x| x == v);
        let int = |v: &str| v.parse::<i64>().ok();
        match self.operator {
            LabelOperator::Equals | LabelOperator::In => actual.is_some_and(listed),
            LabelOperator::NotEquals | LabelOperator::NotIn => !actual.is_some_and(listed),
            LabelOperator::Exists => actual.is_some(),
            LabelOperator::DoesNotExist => actual.is_none(),
            LabelOperator::GreaterThan | LabelOperator::LessThan => {
                let (Some(a), Some(b)) = (actual.and_then(int), self.values.first().and_then(|v| int(v)))
                else {
                    return false;
                };
                if self.operator == LabelOperator::GreaterThan { a > b } else { a < b }
            }
        }
    }
}

impl fmt::Display for LabelRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = &self.key;
        let v = self.values.join(",");
        match self.operator {
            LabelOperator::Equals => write!(f, "{k}={v}"),
            LabelOperator::NotEquals => write!(f, "{k}!={v}"),
            LabelOperator::In => write!(f, "{k} in ({v})"),
            LabelOperator::NotIn => write!(f, "{k} notin ({v})"),
            LabelOperator::Exists => write!(f, "{k}"),
            LabelOperator::DoesNotExist => write!(f, "!{k}"),
            LabelOperator::GreaterThan => write!(f, "{k}>{v}"),
            LabelOperator::LessThan => write!(f, "{k}<{v}"),
        }
    }
}

/// A parsed `labelSelector`: the AND of its requirements. The empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<LabelRequirement>,
}

impl LabelSelector {
    /// Parses the Kubernetes label selector syntax; an empty or blank string gives the empty selector.
    ///
    /// # Errors
    /// [`SelectorError::Label`] on a syntax error or an invalid key or value, worded like kube-apiserver.
    pub fn parse(input: &str) -> Result<LabelSelector, SelectorError> {
        let tokens = lex(input);
        let mut p = Parser { tokens, pos: 0 };
        let mut requirements = Vec::new();
        if p.peek() == &Tok::End {
            return Ok(LabelSelector { requirements });
        }
        loop {
            requirements.push(p.requirement()?);
            match p.next() {
                Tok::End => break,
                Tok::Comma => continue,
                t => return Err(err(format!("found '{}', expected: ',' or 'end of string'", t.text()))),
            }
        }
        Ok(LabelSelector { requirements })
    }

    /// The requirements, in input order.
    pub fn requirements(&self) -> &[LabelRequirement] {
        &self.requirements
    }

    /// This selector without `met`, a requirement the caller knows every candidate meets (an
    /// index answered it); its other requirements still apply.
    pub fn without(&self, met: &LabelRequirement) -> LabelSelector {
        LabelSelector { requirements: self.requirements.iter().filter(|r| *r != met).cloned().collect() }
    }

    /// Whether the selector has no requirements (matches everything).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Matches a label map.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_with(|k| labels.get(k).map(String::as_str))
    }

    /// Matches a JSON `metadata.labels` object; `null`, a missing object or non-string values count as absent.
    pub fn matches_json(&self, labels: &serde_json::Value) -> bool {
        self.matches_with(|k| labels.get(k).and_then(serde_json::Value::as_str))
    }

    /// Matches labels looked up through `get` (returns the value of a label key, `None` when absent).
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| r.matches(&get))
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

fn err(msg: String) -> SelectorError {
    SelectorError::Label(msg)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Not,
    Eq,
    DoubleEq,
    NotEq,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
    End,
}

impl Tok {
    fn text(&self) -> &str {
        match self {
            Tok::Ident(s) => s,
            Tok::Not => "!",
            Tok::Eq => "=",
            Tok::DoubleEq => "==",
            Tok::NotEq => "!=",
            Tok::Gt => ">",
            Tok::Lt => "<",
            Tok::Open => "(",
            Tok::Close => ")",
            Tok::Comma => ",",
            Tok::End => "",
        }
    }
}

fn lex(input: &str) -> Vec<Tok> {
    let special = |c: char| matches!(c, '!' | '=' | '>' | '<' | '(' | ')' | ',');
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if special(c) {
            chars.next();
            let two = chars.peek() == Some(&'=');
            out.push(match (c, two) {
                ('!', true) | ('=', true) => {
                    chars.next();
                    if c == '!' { Tok::NotEq } else { Tok::DoubleEq }
                }
                ('!', false) => Tok::Not,
                ('=', false) => Tok::Eq,
                ('>', _) => Tok::Gt,
                ('<', _) => Tok::Lt,
                ('(', _) => Tok::Open,
                (')', _) => Tok::Close,
                _ => Tok::Comma,
            });
            continue;
        }
        let mut ident = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || special(c) {
                break;
            }
            ident.push(c);
            chars.next();
        }
        out.push(Tok::Ident(ident));
    }
    out.push(Tok::End);
    out
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }

    fn requirement(&mut self) -> Result<LabelRequirement, SelectorError> {
        let negated = self.peek() == &Tok::Not;
        if negated {
            self.next();
        }
        let key = match self.next() {
            Tok::Ident(k) => k,
            t => return Err(err(format!("found '{}', expected: identifier", t.text()))),
        };
        validate::label_key(&key)
            .map_err(|r| err(format!("unable to parse requirement: key: Invalid value: {key:?}: {r}")))?;
        if matches!(self.peek(), Tok::End | Tok::Comma) {
            let operator = if negated { LabelOperator::DoesNotExist } else { LabelOperator::Exists };
            return Ok(LabelRequirement { key, operator, values: Vec::new() });
        }
        if negated {
            let t = self.peek().text().to_string();
            return Err(err(format!("found '{t}', expected: ',' or 'end of string'")));
        }
        let operator = match self.next() {
            Tok::Eq | Tok::DoubleEq => LabelOperator::Equals,
            Tok::NotEq => LabelOperator::NotEquals,
            Tok::Gt => LabelOperator::GreaterThan,
            Tok::Lt => LabelOperator::LessThan,
            Tok::Ident(s) if s == "in" => LabelOperator::In,
            Tok::Ident(s) if s == "notin" => LabelOperator::NotIn,
            t => {
                return Err(err(format!("found '{}', expected: in, notin, =, ==, !=, gt, lt", t.text())));
            }
        };
        let mut values = match operator {
            LabelOperator::In | LabelOperator::NotIn => self.value_set()?,
            _ => vec![self.exact_value()?],
        };
        values.sort();
        values.dedup();
        if matches!(operator, LabelOperator::GreaterThan | LabelOperator::LessThan) {
            if values[0].parse::<i64>().is_err() {
                return Err(err(format!(
                    "unable to parse requirement: values[0]: Invalid value: {:?}: for 'Gt', 'Lt' operators, \
                     the value must be an integer",
                    values[0]
                )));
            }
        } else {
            for (i, v) in values.iter().enumerate() {
                validate::label_value(v).map_err(|r| {
                    err(format!("unable to parse requirement: values[{i}][{key}]: Invalid value: {v:?}: {r}"))
                })?;
            }
        }
        Ok(LabelRequirement { key, operator, values })
    }

    fn exact_value(&mut self) -> Result<String, SelectorError> {
        match self.peek() {
            Tok::End | Tok::Comma => Ok(String::new()),
            Tok::Ident(_) => Ok(self.next().text().to_string()),
            t => Err(err(format!("found '{}', expected: identifier", t.text()))),
        }
    }

    fn value_set(&mut self) -> Result<Vec<String>, SelectorError> {
        match self.next() {
            Tok::Open => {}
            t => return Err(err(format!("found '{}', expected: '('", t.text()))),
        }
        let mut values = Vec::new();
        let mut expect_value = true;
        loop {
            match self.next() {
                Tok::Close if !expect_value || values.is_empty() => break,
                Tok::Ident(v) if expect_value => {
                    values.push(v);
                    expect_value = false;
                }
                Tok::Comma if !expect_value => expect_value = true,
                // `(a,)` and `(,a)` hold an empty value, as in kube-apiserver.
                Tok::Comma | Tok::Close if expect_value => {
                    values.push(String::new());
                    if self.tokens[self.pos - 1] == Tok::Close {
                        break;
                    }
                }
                t => return Err(err(format!("found '{}', expected: ',', ')' or identifier", t.text()))),
            }
        }
        if values.is_empty() {
            return Err(err("for 'in', 'notin' operators, values set can't be empty".into()));
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests;
