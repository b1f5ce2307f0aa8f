//! Content negotiation for resource responses: plain JSON or a `meta.k8s.io/v1 Table`, chosen from
//! the `Accept` header as kube-apiserver's `NegotiateMediaTypeOptions` does.
//!
//! The clauses are tried in order of preference (`q`, then the more specific before a wildcard);
//! the first one the server can produce wins. JSON matches `application/json`, `application/*` and
//! `*/*`; a clause converting the object (`as=…;g=…;v=…`) is producible only for
//! `meta.k8s.io/v1` or `v1beta1` `Table` (served as a Table) and `PartialObjectMetadata[List]`
//! (served as metadata only, [`super::partial`]). No header means JSON; a header with no
//! producible clause is a 406 `NotAcceptable` listing what is.

use porch_layers::ApiError;
use porch_layers::strategy::IncludeObject;

/// The Content-Type of a Table response.
pub(crate) const TABLE_CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// What the client accepts for a resource response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Negotiated {
    /// `Accept: application/json;as=Table;g=meta.k8s.io;v=v1` (or v1beta1).
    pub(crate) table: bool,
    /// `Accept: application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=…`: the
    /// meta.k8s.io version (`v1`, `v1beta1`) to reduce objects to metadata in.
    pub(crate) partial: Option<&'static str>,
    pub(crate) include_object: IncludeObject,
}

/// What one `Accept` clause asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    /// The objects as JSON.
    Json,
    /// A Table.
    Table,
    /// The objects reduced to metadata, in this meta.k8s.io version.
    Partial(&'static str),
}

/// One clause of an `Accept` header (goautoneg's `Accept`).
#[derive(Debug)]
struct Clause<'a> {
    ty: &'a str,
    sub: &'a str,
    q: f32,
    params: Vec<(&'a str, &'a str)>,
}

/// The clauses of an `Accept` header, most preferred first (stable among equals). A clause whose
/// `q` is not a number weighs 0 but still counts, as in kube-apiserver.
fn clauses(header: &str) -> Vec<Clause<'_>> {
    let mut out: Vec<Clause<'_>> = header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.trim_matches(' ').split(';');
            let range: Vec<&str> = pieces.next().unwrap_or("").split('/').collect();
            let (ty, sub) = match range.as_slice() {
                [ty] if ty.trim_matches(' ') == "*" => ("*", "*"),
                [ty, sub] => (ty.trim_matches(' '), sub.trim_matches(' ')),
                _ => return None,
            };
            let mut clause = Clause { ty, sub, q: 1.0, params: Vec::new() };
            for (key, value) in pieces.filter_map(|p| p.split_once('=')) {
                match key.trim_matches(' ') {
                    "q" => clause.q = value.parse().unwrap_or(0.0),
                    key => clause.params.push((key, value.trim_matches(' '))),
                }
            }
            Some(clause)
        })
        .collect();
    out.sort_by(|a, b| {
        b.q.total_cmp(&a.q).then((a.ty == "*").cmp(&(b.ty == "*"))).then((a.sub == "*").cmp(&(b.sub == "*")))
    });
    out
}

/// What a clause asks for, if the server can produce it; `None` when the clause must be skipped.
fn producible(clause: &Clause<'_>) -> Option<Output> {
    if !matches!((clause.ty, clause.sub), ("application", "json" | "*") | ("*", "*")) {
        return None;
    }
    let (mut kind, mut group, mut version, mut convert) = ("", "", "", false);
    for &(key, value) in &clause.params {
        match key {
            "as" => (kind, convert) = (value, true),
            "g" => (group, convert) = (value, true),
            "v" => (version, convert) = (value, true),
            "stream" if !value.is_empty() && value != "watch" => return None,
            "sv" if !value.is_empty() => return None,
            _ => {}
        }
    }
    if !convert {
        return Some(Output::Json);
    }
    let version = match (group, version) {
        ("meta.k8s.io", "v1") => "v1",
        ("meta.k8s.io", "v1beta1") => "v1beta1",
        _ => return None,
    };
    match kind {
        "Table" => Some(Output::Table),
        "PartialObjectMetadata" | "PartialObjectMetadataList" => Some(Output::Partial(version)),
        _ => None,
    }
}

impl Negotiated {
    /// From the `Accept` header and the `includeObject` query parameter; `stream` for a watch
    /// (only the 406 message differs).
    ///
    /// # Errors
    /// 406 `NotAcceptable` when no clause of the header can be produced.
    pub(crate) fn from_accept(
        accept: Option<&str>,
        include_object: Option<&str>,
        stream: bool,
    ) -> Result<Self, ApiError> {
        let include_object = IncludeObject::parse(include_object);
        let header = accept.map(str::trim).unwrap_or("");
        if header.is_empty() {
            return Ok(Self { table: false, partial: None, include_object });
        }
        match clauses(header).iter().find_map(producible) {
            Some(output) => Ok(Self {
                table: output == Output::Table,
                partial: match output {
                    Output::Partial(version) => Some(version),
                    _ => None,
                },
                include_object,
            }),
            None => {
                let supported = if stream { "application/json;stream=watch" } else { "application/json" };
                Err(ApiError::not_acceptable(format!(
                    "only the following media types are accepted: {supported}"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(accept: &str) -> bool {
        Negotiated::from_accept(Some(accept), None, false).unwrap_or_else(|e| panic!("{accept}: {e}")).table
    }

    fn refused(accept: &str) -> ApiError {
        Negotiated::from_accept(Some(accept), None, false).expect_err(accept)
    }

    #[test]
    fn kubectl_get_asks_for_tables() {
        let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert!(table(accept));
        assert!(table("application/json;as=Table;v=v1beta1;g=meta.k8s.io"));
        assert!(!table("application/json"));
        assert!(!Negotiated::from_accept(None, None, false).unwrap().table);
        assert_eq!(
            Negotiated::from_accept(None, Some("Object"), false).unwrap().include_object,
            IncludeObject::Object
        );
    }

    #[test]
    fn wildcards_missing_headers_and_real_clients_get_json() {
        for accept in [
            "*/*",
            "*",
            "application/*",
            "",
            "application/json, */*",
            "application/vnd.kubernetes.protobuf, application/json",
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
            "application/json;stream=watch",
            "text/html, application/json;q=0.5",
        ] {
            assert!(!table(accept), "{accept}");
        }
    }

    #[test]
    fn partial_object_metadata_is_served_in_the_version_asked_for() {
        let partial = |accept: &str| Negotiated::from_accept(Some(accept), None, false).unwrap().partial;
        assert_eq!(partial("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"), Some("v1"));
        assert_eq!(
            partial("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1"),
            Some("v1beta1")
        );
        assert_eq!(partial("application/json;as=Table;g=meta.k8s.io;v=v1"), None);
        assert_eq!(partial("application/json"), None);
    }

    #[test]
    fn preference_order_decides() {
        assert!(!table("application/json;q=0.9, application/json;as=Table;g=meta.k8s.io;v=v1;q=0.5"));
        assert!(table("application/json;q=0.5, application/json;as=Table;g=meta.k8s.io;v=v1"));
        assert!(table("*/*;q=0.1, application/json;as=Table;g=meta.k8s.io;v=v1;q=0.1"));
    }

    #[test]
    fn unsatisfiable_headers_are_406() {
        for accept in [
            "application/zzz",
            "text/html;q=abc, application/zzz",
            "application/json;as=Table;v=v9",
            "application/json;as=Table;g=meta.k8s.io;v=v9",
            "application/json;as=Widget;g=meta.k8s.io;v=v1",
            "application/json;g=meta.k8s.io;v=v1",
            "application/json;stream=other",
            "application/yaml",
            "*/json",
        ] {
            let e = refused(accept);
            assert_eq!((e.code(), e.reason()), (406, "NotAcceptable"), "{accept}");
            assert_eq!(e.message(), "only the following media types are accepted: application/json");
        }
        let e = Negotiated::from_accept(Some("application/zzz"), None, true).unwrap_err();
        assert!(e.message().ends_with("application/json;stream=watch"), "{e}");
    }
}
