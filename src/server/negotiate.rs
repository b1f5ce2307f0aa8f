//! Content negotiation for resource responses: plain JSON or a `meta.k8s.io/v1 Table`.

use super::table::IncludeObject;

/// The Content-Type of a Table response.
pub(crate) const TABLE_CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// What the client accepts for a resource response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Negotiated {
    /// `Accept: application/json;as=Table;g=meta.k8s.io;v=v1` (or v1beta1).
    pub(crate) table: bool,
    pub(crate) include_object: IncludeObject,
}

impl Negotiated {
    /// From the `Accept` header and the `includeObject` query parameter.
    pub(crate) fn from_accept(accept: Option<&str>, include_object: Option<&str>) -> Self {
        let table = accept.is_some_and(|a| {
            a.split(',').any(|media| {
                let params: Vec<&str> = media.split(';').map(str::trim).collect();
                params.contains(&"as=Table") && params.contains(&"g=meta.k8s.io")
            })
        });
        Self { table, include_object: IncludeObject::parse(include_object) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_get_asks_for_tables() {
        let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert!(Negotiated::from_accept(Some(accept), None).table);
        assert!(!Negotiated::from_accept(Some("application/json"), None).table);
        assert!(!Negotiated::from_accept(None, None).table);
        assert_eq!(Negotiated::from_accept(None, Some("Object")).include_object, IncludeObject::Object);
    }
}
