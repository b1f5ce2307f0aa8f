//! `load("krmfn.star", "krmfn")`: the catalog's helpers for matching resources,
//! `match_gvk(resource, apiVersion, kind)`, `match_name(resource, name)` and
//! `match_namespace(resource, namespace)`, all positional.
//!
//! `match_gvk` is the SDK's: v0.4.3/v0.5.0 (`IsGVK`) match when `apiVersion` and `kind` equal
//! the resource's, or one is empty and the other equals the resource's; v0.5.1 on (`IsGroupVersionKind`)
//! compare the resource's parsed group, version and kind with group `""`, version
//! `apiVersion` and `kind`, so a resource with an API group never matches.

use starlark::environment::{Globals, GlobalsBuilder};
use starlark::starlark_module;
use starlark::values::Value;
use starlark::values::dict::DictRef;

use super::config::group_version;
use super::{Version, library};

/// The module for `version`.
pub(super) fn globals(version: Version) -> Globals {
    let builder = GlobalsBuilder::new();
    match version {
        Version::V0_4 => builder.with_namespace("krmfn", |b| {
            common(b);
            gvk_v0_4(b);
        }),
        Version::V0_5_1 => builder.with_namespace("krmfn", |b| {
            common(b);
            gvk_v0_5_1(b);
        }),
    }
    .build()
}

/// A string field of a resource (empty when missing or not a string).
fn field<'v>(resource: Value<'v>, keys: &[&str]) -> starlark::Result<&'v str> {
    let Some(mut dict) = DictRef::from_value(resource) else {
        return Err(library::error(format!("expected a resource (a dict), got {}", resource.get_type())));
    };
    let (last, path) = keys.split_last().unwrap_or((&"", &[]));
    for key in path {
        match dict.get_str(key).and_then(DictRef::from_value) {
            Some(inner) => dict = inner,
            None => return Ok(""),
        }
    }
    Ok(dict.get_str(last).and_then(Value::unpack_str).unwrap_or_default())
}

#[starlark_module]
fn common(builder: &mut GlobalsBuilder) {
    fn match_name<'v>(
        #[starlark(require = pos)] resource: Value<'v>,
        #[starlark(require = pos)] name: &str,
    ) -> starlark::Result<bool> {
        Ok(field(resource, &["metadata", "name"])? == name)
    }

    fn match_namespace<'v>(
        #[starlark(require = pos)] resource: Value<'v>,
        #[starlark(require = pos)] namespace: &str,
    ) -> starlark::Result<bool> {
        Ok(field(resource, &["metadata", "namespace"])? == namespace)
    }
}

#[starlark_module]
fn gvk_v0_4(builder: &mut GlobalsBuilder) {
    fn match_gvk<'v>(
        #[starlark(require = pos)] resource: Value<'v>,
        #[starlark(require = pos)] api_version: &str,
        #[starlark(require = pos)] kind: &str,
    ) -> starlark::Result<bool> {
        let (own_api_version, own_kind) = (field(resource, &["apiVersion"])?, field(resource, &["kind"])?);
        Ok(((own_api_version == api_version || api_version.is_empty()) && own_kind == kind)
            || (kind.is_empty() && own_api_version == api_version))
    }
}

#[starlark_module]
fn gvk_v0_5_1(builder: &mut GlobalsBuilder) {
    fn match_gvk<'v>(
        #[starlark(require = pos)] resource: Value<'v>,
        #[starlark(require = pos)] api_version: &str,
        #[starlark(require = pos)] kind: &str,
    ) -> starlark::Result<bool> {
        let own = match group_version(field(resource, &["apiVersion"])?) {
            Some((group, version)) => (group, version, field(resource, &["kind"])?),
            // apimachinery gives an empty group, version and kind for an unparsable apiVersion.
            None => ("", "", ""),
        };
        Ok(own == ("", api_version, kind))
    }
}
