//! Field selectors of package revision lists and watches (porch-api.md §6), checked once and
//! matched against cached revisions without building objects. The equality terms on
//! `spec.repository` and `metadata.namespace` also prune which repositories a list visits.

use porch_api::porch::PackageRevisionLifecycle as Lifecycle;
use porch_layers::FieldSelector;
use porch_layers::json_pointer::at;
use porch_layers::selector::FieldOperator;
use serde_json::Value;

use crate::cache::{CachedPackage, CachedRevision};
use crate::git::parse_revision;

/// A field a selector may name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Name,
    Namespace,
    PackageName,
    Repository,
    Workspace,
    /// `spec.revision`, with the revision number its value selects (read once, at parse time).
    Revision(i32),
    Lifecycle,
    /// `spec.packageMetadata.labels[<key>]`: a label of the Kptfile.
    KptfileLabel(String),
}

/// One checked term.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    field: Field,
    equals: bool,
    value: String,
}

/// Which resource a selector filters: revisions (PackageRevision, PackageRevisionResources)
/// accept every field of §6, packages only names, namespace, package and repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// PackageRevision and PackageRevisionResources.
    Revisions,
    /// PorchPackage.
    Packages,
}

/// A checked field selector. The empty filter matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RevisionFilter {
    terms: Vec<Term>,
}

/// A field selector a list or watch cannot serve; the texts are Porch's, word for word (REST
/// storage answers them as bad requests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FilterError {
    /// The selector names a field the resource cannot be selected by.
    #[error("unknown fieldSelector field {field:?}")]
    UnknownField {
        /// The field, e.g. `spec.nope`.
        field: String,
    },
    /// The value cannot select anything of the field.
    #[error("unsupported fieldSelector value {value:?} for field {field:?}")]
    UnsupportedValue {
        /// The value given.
        value: String,
        /// The field it was given for.
        field: String,
    },
    /// The selector's namespace is not the request's.
    #[error("conflicting namespaces specified: {selected:?} and {request:?}")]
    ConflictingNamespaces {
        /// The namespace the selector names.
        selected: String,
        /// The request's namespace.
        request: String,
    },
}

fn unsupported_value(value: &str, field: &str) -> FilterError {
    FilterError::UnsupportedValue { value: value.to_string(), field: field.to_string() }
}

/// `spec.revision` values as Porch reads them: `1` or `v1` is 1, anything else -1 — except `0`,
/// which selects drafts and proposals (revision 0) where Porch ignores it.
fn revision_value(value: &str) -> i32 {
    value.parse::<i32>().unwrap_or_else(|_| parse_revision(value))
}

impl RevisionFilter {
    /// Checks `selector` for `target` in the request's namespace (`None` for all namespaces).
    ///
    /// # Errors
    /// [`FilterError`] with Porch's messages: `unknown fieldSelector field "X"`, `unsupported
    /// fieldSelector value "X" for field "Y"` (empty values, unknown lifecycles, an empty label
    /// key), and `conflicting namespaces specified: "a" and "b"`.
    pub(crate) fn parse(
        selector: Option<&FieldSelector>,
        namespace: Option<&str>,
        target: Target,
    ) -> Result<Self, FilterError> {
        let mut terms = Vec::new();
        for r in selector.map(FieldSelector::requirements).unwrap_or_default() {
            let name = r.field.as_str();
            let field = match name {
                "metadata.name" => Field::Name,
                "metadata.namespace" => Field::Namespace,
                "spec.packageName" => Field::PackageName,
                "spec.repository" => Field::Repository,
                "spec.workspaceName" if target == Target::Revisions => Field::Workspace,
                "spec.revision" if target == Target::Revisions => Field::Revision(revision_value(&r.value)),
                "spec.lifecycle" if target == Target::Revisions => Field::Lifecycle,
                _ => {
                    match name.strip_prefix("spec.packageMetadata.labels[").and_then(|k| k.strip_suffix(']'))
                    {
                        Some(key) if target == Target::Revisions => {
                            if key.is_empty() {
                                return Err(unsupported_value(&r.value, name));
                            }
                            Field::KptfileLabel(key.to_string())
                        }
                        _ => return Err(FilterError::UnknownField { field: name.to_string() }),
                    }
                }
            };
            if r.value.is_empty() && !matches!(field, Field::KptfileLabel(_)) {
                return Err(unsupported_value(&r.value, name));
            }
            if field == Field::Lifecycle && !Lifecycle::from(r.value.as_str()).is_known() {
                return Err(unsupported_value(&r.value, name));
            }
            let equals = r.operator == FieldOperator::Equals;
            if field == Field::Namespace
                && equals
                && let Some(ns) = namespace.filter(|ns| **ns != r.value)
            {
                return Err(FilterError::ConflictingNamespaces {
                    selected: r.value.clone(),
                    request: ns.to_string(),
                });
            }
            terms.push(Term { field, equals, value: r.value.clone() });
        }
        Ok(Self { terms })
    }

    /// Whether there is no term (every object matches).
    pub(crate) fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    fn equal_to(&self, field: &Field) -> Option<&str> {
        self.terms.iter().find(|t| t.equals && t.field == *field).map(|t| t.value.as_str())
    }

    /// The repository an equality term pins the list to.
    pub(crate) fn repository(&self) -> Option<&str> {
        self.equal_to(&Field::Repository)
    }

    /// The namespace an equality term pins the list to.
    pub(crate) fn namespace(&self) -> Option<&str> {
        self.equal_to(&Field::Namespace)
    }

    /// The object name an equality term pins the list to.
    pub(crate) fn name(&self) -> Option<&str> {
        self.equal_to(&Field::Name)
    }

    fn matches_with<'a>(&self, value: impl Fn(&Field) -> Option<&'a str>, revision: Option<i32>) -> bool {
        self.terms.iter().all(|t| {
            let hit = match (&t.field, revision) {
                (Field::Revision(wanted), Some(r)) => r == *wanted,
                (field, _) => value(field).unwrap_or_default() == t.value,
            };
            hit == t.equals
        })
    }

    /// Whether every revision of every repository a list visits matches: no terms but equality
    /// on `spec.repository` and `metadata.namespace` (which choose the repositories visited).
    pub(crate) fn selects_whole_repositories(&self) -> bool {
        self.terms.iter().all(|t| t.equals && matches!(t.field, Field::Repository | Field::Namespace))
    }

    /// Whether a revision matches every term.
    pub(crate) fn matches(&self, rev: &CachedRevision) -> bool {
        let d = &rev.revision;
        self.matches_with(
            |field| match field {
                Field::Name => Some(&rev.name),
                Field::Namespace => Some(&rev.namespace),
                Field::PackageName => Some(&d.package),
                Field::Repository => Some(&rev.repository),
                Field::Workspace => Some(&d.workspace),
                Field::Lifecycle => Some(d.lifecycle.as_str()),
                Field::KptfileLabel(key) => d.kptfile.labels.get(key).map(String::as_str),
                Field::Revision(_) => None,
            },
            Some(d.revision),
        )
    }

    /// Whether a PackageRevision (or PackageRevisionResources) object matches every term (for
    /// watches, which filter the objects they stream).
    pub(crate) fn matches_json(&self, obj: &Value) -> bool {
        let text = |pointer: &str| at(obj, pointer).and_then(Value::as_str);
        let revision = at(obj, "/spec/revision").and_then(Value::as_i64).unwrap_or(0);
        self.matches_with(
            |field| match field {
                Field::Name => text("/metadata/name"),
                Field::Namespace => text("/metadata/namespace"),
                Field::PackageName => text("/spec/packageName"),
                Field::Repository => text("/spec/repository"),
                Field::Workspace => text("/spec/workspaceName"),
                Field::Lifecycle => text("/spec/lifecycle"),
                Field::KptfileLabel(key) => {
                    at(obj, "/spec/packageMetadata/labels").and_then(|l| l.get(key)).and_then(Value::as_str)
                }
                Field::Revision(_) => None,
            },
            Some(i32::try_from(revision).unwrap_or(-1)),
        )
    }

    /// Whether a package matches every term.
    pub(crate) fn matches_package(&self, package: &CachedPackage) -> bool {
        self.matches_with(
            |field| match field {
                Field::Name => Some(&package.name),
                Field::Namespace => Some(&package.namespace),
                Field::PackageName => Some(&package.package),
                Field::Repository => Some(&package.repository),
                _ => None,
            },
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<RevisionFilter, FilterError> {
        RevisionFilter::parse(Some(&FieldSelector::parse(s).unwrap()), Some("ns"), Target::Revisions)
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused_with_porchs_text() {
        assert_eq!(
            parse("spec.nope=x").unwrap_err().to_string(),
            "unknown fieldSelector field \"spec.nope\""
        );
        assert_eq!(
            parse("spec.lifecycle=Done").unwrap_err().to_string(),
            "unsupported fieldSelector value \"Done\" for field \"spec.lifecycle\""
        );
        assert!(matches!(parse("spec.packageName=").unwrap_err(), FilterError::UnsupportedValue { .. }));
        assert_eq!(
            parse("metadata.namespace=other").unwrap_err().to_string(),
            "conflicting namespaces specified: \"other\" and \"ns\""
        );
        let packages = RevisionFilter::parse(
            Some(&FieldSelector::parse("spec.lifecycle=Draft").unwrap()),
            None,
            Target::Packages,
        );
        assert!(matches!(packages.unwrap_err(), FilterError::UnknownField { .. }));
    }

    #[test]
    fn objects_match_like_cached_revisions() {
        let obj = serde_json::json!({"metadata": {"name": "r.p.v2", "namespace": "ns"},
            "spec": {"packageName": "p", "repository": "r", "workspaceName": "v2", "revision": 2,
                     "lifecycle": "Published", "packageMetadata": {"labels": {"tier": "gold"}}}});
        for (selector, want) in [
            ("spec.packageName=p,spec.revision=v2", true),
            ("spec.revision=0", false),
            ("spec.lifecycle=Published,spec.packageMetadata.labels[tier]=gold", true),
            ("spec.repository!=r", false),
        ] {
            assert_eq!(parse(selector).unwrap().matches_json(&obj), want, "{selector}");
        }
        let draft = serde_json::json!({"spec": {"packageName": "p"}});
        assert!(parse("spec.revision=0").unwrap().matches_json(&draft));
    }

    #[test]
    fn revision_values_read_like_porch_except_zero() {
        assert_eq!(revision_value("3"), 3);
        assert_eq!(revision_value("v3"), 3);
        assert_eq!(revision_value("main"), -1);
        assert_eq!(revision_value("0"), 0);
    }

    #[test]
    fn repository_and_namespace_terms_pin_the_list() {
        let f = parse("spec.repository=blueprints,metadata.namespace=ns").unwrap();
        assert_eq!(f.repository(), Some("blueprints"));
        assert_eq!(f.namespace(), Some("ns"));
        assert_eq!(parse("spec.repository!=x").unwrap().repository(), None);
    }
}
