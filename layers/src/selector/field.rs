//! `fieldSelector` parsing and matching (kube-apiserver `fields.ParseSelector` syntax).

use std::fmt;

use super::SelectorError;

/// The operator of one [`FieldRequirement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldOperator {
    /// `f=v` or `f==v`.
    Equals,
    /// `f!=v`.
    NotEquals,
}

/// One comma-separated term of a [`FieldSelector`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    /// The field path, e.g. `metadata.name`.
    pub field: String,
    /// The operator.
    pub operator: FieldOperator,
    /// The value compared with (may be empty).
    pub value: String,
}

impl fmt::Display for FieldRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = if self.operator == FieldOperator::Equals { "=" } else { "!=" };
        write!(f, "{}{op}{}", self.field, self.value)
    }
}

/// A parsed `fieldSelector`: the AND of its requirements. The empty selector matches everything.
///
/// Which fields are supported is the caller's business: check [`FieldSelector::requirements`]
/// before matching and reject unknown fields (kube-apiserver: `field label not supported: x`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// Parses `f=v`, `f==v` and `f!=v` terms separated by commas; blank input gives the empty selector.
    ///
    /// # Errors
    /// [`SelectorError::Field`] when a term has no operator or no field name.
    pub fn parse(input: &str) -> Result<FieldSelector, SelectorError> {
        let mut requirements = Vec::new();
        if input.trim().is_empty() {
            return Ok(FieldSelector { requirements });
        }
        for term in input.split(',') {
            let bad =
                || SelectorError::Field(format!("invalid selector: '{input}'; can't understand '{term}'"));
            let (field, operator, value) = if let Some((f, v)) = term.split_once("!=") {
                (f, FieldOperator::NotEquals, v)
            } else if let Some((f, v)) = term.split_once("==") {
                (f, FieldOperator::Equals, v)
            } else if let Some((f, v)) = term.split_once('=') {
                (f, FieldOperator::Equals, v)
            } else {
                return Err(bad());
            };
            let field = field.trim();
            if field.is_empty() {
                return Err(bad());
            }
            requirements.push(FieldRequirement {
                field: field.to_string(),
                operator,
                value: value.trim().to_string(),
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// The requirements, in input order.
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// Whether the selector has no requirements (matches everything).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Matches an object whose field values are looked up through `get` (`None` = absent,
    /// compared as the empty string, as kube-apiserver's `fields.Set` does).
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| {
            let actual = get(&r.field).unwrap_or_default();
            (actual == r.value) == (r.operator == FieldOperator::Equals)
        })
    }
}

impl fmt::Display for FieldSelector {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn get(name: &str, ns: Option<&str>) -> impl Fn(&str) -> Option<String> {
        let name = name.to_string();
        let ns = ns.map(str::to_string);
        move |f| match f {
            "metadata.name" => Some(name.clone()),
            "metadata.namespace" => ns.clone(),
            _ => None,
        }
    }

    #[test]
    fn empty_selector_matches_everything() {
        let s = FieldSelector::parse(" ").unwrap();
        assert!(s.is_empty());
        assert!(s.matches(get("a", None)));
    }

    #[test]
    fn equals_double_equals_and_not_equals() {
        assert!(FieldSelector::parse("metadata.name=a").unwrap().matches(get("a", None)));
        assert!(FieldSelector::parse("metadata.name==a").unwrap().matches(get("a", None)));
        assert!(!FieldSelector::parse("metadata.name=a").unwrap().matches(get("b", None)));
        assert!(FieldSelector::parse("metadata.name!=a").unwrap().matches(get("b", None)));
        assert!(!FieldSelector::parse("metadata.name!=a").unwrap().matches(get("a", None)));
    }

    #[test]
    fn absent_fields_compare_as_empty() {
        assert!(FieldSelector::parse("metadata.namespace=").unwrap().matches(get("a", None)));
        assert!(FieldSelector::parse("metadata.namespace!=x").unwrap().matches(get("a", None)));
    }

    #[test]
    fn terms_are_anded() {
        let s = FieldSelector::parse("metadata.name=a, metadata.namespace==ns").unwrap();
        assert_eq!(s.requirements().len(), 2);
        assert_eq!(s.requirements()[1].field, "metadata.namespace");
        assert_eq!(s.requirements()[1].operator, FieldOperator::Equals);
        assert!(s.matches(get("a", Some("ns"))));
        assert!(!s.matches(get("a", Some("other"))));
        assert_eq!(s.to_string(), "metadata.name=a,metadata.namespace=ns");
    }

    #[test]
    fn malformed_terms_are_rejected() {
        let e = FieldSelector::parse("metadata.name").unwrap_err();
        assert_eq!(e.to_string(), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
        assert!(matches!(e, SelectorError::Field(_)));
        let e = FieldSelector::parse("a=b,=c").unwrap_err();
        assert_eq!(e.to_string(), "invalid selector: 'a=b,=c'; can't understand '=c'");
    }
}
