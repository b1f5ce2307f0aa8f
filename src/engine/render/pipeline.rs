//! The function pipeline of a Kptfile (`pipeline.mutators`, `pipeline.validators`) and kpt's
//! checks of it (`Kptfile is invalid: …`), made before a package's functions run.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Which resources a step sees: every field that is set must match (labels and annotations as
/// subsets).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Selector {
    /// `apiVersion`, exactly.
    pub api_version: String,
    /// `kind`, exactly.
    pub kind: String,
    /// `metadata.name`, exactly.
    pub name: String,
    /// `metadata.namespace`, exactly.
    pub namespace: String,
    /// Labels the resource must carry with these values.
    pub labels: BTreeMap<String, String>,
    /// Annotations the resource must carry with these values.
    pub annotations: BTreeMap<String, String>,
}

impl Selector {
    /// Whether no field is set (such an exclusion excludes nothing).
    pub(crate) fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One function of a Kptfile `pipeline`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct PipelineFunction {
    /// Container image, e.g. `ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4`.
    pub image: String,
    /// Executable path, the alternative to `image`.
    pub exec: String,
    /// Optional name of the step.
    pub name: String,
    /// `configMap`: the function's configuration as the data of a ConfigMap.
    pub config_map: BTreeMap<String, String>,
    /// `configPath`: the package file holding the function's configuration.
    pub config_path: String,
    /// `selectors`: the step sees the resources matching any of them (all when none).
    pub selectors: Vec<Selector>,
    /// `exclude`: resources matching any of them are left out.
    pub exclude: Vec<Selector>,
}

impl PipelineFunction {
    /// kpt's check of the step at `pipeline.<list>[<index>]`: `Err` holds the reason as kpt
    /// words it (`Kptfile is invalid:\nField: …\nReason: …`).
    fn check(&self, list: &str, index: usize) -> Result<(), String> {
        let field = format!("pipeline.{list}[{index}]");
        let invalid = |field: &str, value: &str, reason: &str| {
            let value = if value.is_empty() { String::new() } else { format!("Value: {value:?}\n") };
            Err(format!("Kptfile is invalid:\nField: `{field}`\n{value}Reason: {reason}\n"))
        };
        if self.image.is_empty() && self.exec.is_empty() {
            return invalid(&field, "", "must specify a functon (`image` or `exec`) to execute");
        }
        if !self.image.is_empty() && !self.exec.is_empty() {
            return invalid(&field, "", "must not specify both `image` and `exec` at the same time");
        }
        if !self.image.is_empty() && !is_image_reference(&self.image) {
            let reason =
                format!("function image reference {:?} is invalid: invalid reference format", self.image);
            return invalid(&format!("{field}.image"), &self.image, &reason);
        }
        if !self.config_map.is_empty() && !self.config_path.is_empty() {
            return invalid(
                &field,
                "",
                "functionConfig must not specify both `configMap` and `configPath` at the same time",
            );
        }
        if !self.config_path.is_empty() {
            let path = self.config_path.trim();
            let reason = if path.is_empty() {
                Some("path must not be empty")
            } else if path.starts_with('/') {
                Some("path must be relative")
            } else if path.contains("..") {
                Some("path must not be outside the package")
            } else {
                None
            };
            if let Some(reason) = reason {
                return invalid(&format!("{field}.configPath"), &self.config_path, reason);
            }
        }
        Ok(())
    }
}

/// A Docker/OCI reference as `distribution/reference` reads it: lowercase path components
/// (separated by `.`, `_`, `__` or dashes) under an optional registry host, then an optional
/// `:tag` and `@algorithm:digest`.
fn is_image_reference(image: &str) -> bool {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    if let Some(digest) = digest {
        let Some((algorithm, hex)) = digest.split_once(':') else { return false };
        let algorithm_ok = !algorithm.is_empty()
            && algorithm
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+.-_".contains(&b));
        if !algorithm_ok || hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        let ok = (1..=128).contains(&tag.len())
            && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !ok {
            return false;
        }
    }
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let mut components: Vec<&str> = name.split('/').collect();
    let first = components[0];
    let is_host =
        components.len() > 1 && (first.contains('.') || first.contains(':') || first == "localhost");
    if is_host {
        let (host, port) = first.split_once(':').map_or((first, None), |(h, p)| (h, Some(p)));
        let host_ok = !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !host_ok || port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
            return false;
        }
        components.remove(0);
    }
    components.iter().all(|c| is_path_component(c))
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`.
fn is_path_component(component: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        if !(separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-'))
        {
            return false;
        }
    }
    true
}

/// The function pipeline of a Kptfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pipeline {
    /// Functions that change the resources, run first.
    pub mutators: Vec<PipelineFunction>,
    /// Functions that check the resources, run after the mutators.
    pub validators: Vec<PipelineFunction>,
}

impl Pipeline {
    /// Whether the pipeline has no function.
    pub(crate) fn is_empty(&self) -> bool {
        self.mutators.is_empty() && self.validators.is_empty()
    }

    /// kpt's check of every step: `invalid pipeline: function "<image>": Kptfile is invalid: …`.
    pub(crate) fn check(&self) -> Result<(), String> {
        let lists = [("mutators", &self.mutators), ("validators", &self.validators)];
        for (list, functions) in lists {
            for (index, function) in functions.iter().enumerate() {
                function
                    .check(list, index)
                    .map_err(|e| format!("invalid pipeline: function {:?}: {e}", function.image))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_are_read_as_distribution_reference_reads_them() {
        for good in [
            "set-namespace",
            "set-namespace:v0.4",
            "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.5",
            "localhost:5000/fn/a_b__c-d:latest",
            "gcr.io/kpt-fn/starlark@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(is_image_reference(good), "{good}");
        }
        for bad in
            ["", "Set-Namespace", "a//b", "fn:", "fn:-x", "-fn", "fn@sha256:xyz", "host:port/x", "a/b:c/d"]
        {
            assert!(!is_image_reference(bad), "{bad}");
        }
    }

    #[test]
    fn a_bad_step_is_reported_as_kpt_reports_it() {
        let step = |image: &str, exec: &str, config_path: &str| PipelineFunction {
            image: image.into(),
            exec: exec.into(),
            config_path: config_path.into(),
            ..Default::default()
        };
        let pipeline = Pipeline { mutators: vec![step("", "", "")], validators: vec![] };
        assert_eq!(
            pipeline.check().unwrap_err(),
            "invalid pipeline: function \"\": Kptfile is invalid:\nField: `pipeline.mutators[0]`\nReason: must \
             specify a functon (`image` or `exec`) to execute\n"
        );
        let pipeline = Pipeline { mutators: vec![], validators: vec![step("fn:v1", "", "../x.yaml")] };
        assert_eq!(
            pipeline.check().unwrap_err(),
            "invalid pipeline: function \"fn:v1\": Kptfile is invalid:\nField: `pipeline.validators[0].configPath`\n\
             Value: \"../x.yaml\"\nReason: path must not be outside the package\n"
        );
        let pipeline = Pipeline { mutators: vec![step("Bad", "", "")], validators: vec![] };
        assert!(pipeline.check().unwrap_err().contains("function image reference \"Bad\" is invalid"));
        assert!(
            Pipeline { mutators: vec![step("fn:v1", "", "cfg.yaml")], validators: vec![] }.check().is_ok()
        );
    }
}
