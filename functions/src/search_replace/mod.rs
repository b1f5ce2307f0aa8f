//! `search-replace` (catalog v0.1.0, v0.1.1, v0.2.0; `main` is v0.2.0 with newer
//! dependencies): finds fields by value and path, and optionally sets their value or line
//! comment.
//!
//! Configuration: the `data` of the function config (any kind; in practice a `ConfigMap`), read
//! as kyaml's `GetDataMap` reads it. Matchers: `by-value` (the field's value equals it),
//! `by-value-regex` (a Go regular expression *searched* in the value: the catalog's README says
//! it must match the whole value, its code does not anchor it), `by-path` (a dotted path of
//! keys, `name[i]` for sequence elements, `*` for one element, `**` for any number of them,
//! `[*]` for any index) and, from v0.2.0, `by-file-path` (a doublestar glob matched against the
//! item's `config.kubernetes.io/path`, [`glob`]). They are ANDed. Mutators: `put-value` and
//! `put-comment`, where `${1}`, `${2}`… are the capture groups of `by-value-regex`.
//!
//! Every item is walked (local-config ones too), mappings before their fields, in document
//! order ([`walk`]):
//! - a scalar that matches is counted; `put-comment` becomes its line comment, `put-value` its
//!   value (its style kept, any tag dropped, so `4` stays a number);
//! - with `put-comment` and a `by-path` that names a field whose value is a non-empty sequence,
//!   the comment goes on the key and a flow sequence becomes a block one;
//! - with `put-value`, a `by-path` without `*` or `[` and no value matcher writes the field
//!   directly, creating the mappings on the way ([`path::put`]).
//!
//! Results (as kyaml's function framework writes them: no severity, here [`Severity::Info`]):
//! `Matched field value "<yaml>"` or, with a mutator, `Mutated field value to "<yaml>"`, with
//! `field.path` and `file.path`; a matched scalar is reported only when its item has a path
//! annotation. v0.1.1 and later report `no matches` when there is nothing to report.
//!
//! Errors (exit 1, one error result `failed to perform search-replace operation: "<reason>"`):
//! `invalid matcher "<key>", must be one of [...]` (v0.1.1 on), `at least one of ["by-value",
//! "by-value-regex", "by-path"] must be provided` (v0.1.1 only), `only one of ["by-value",
//! "by-value-regex"] can be provided`, `unable to resolve capture groups`, `missing Resource
//! metadata`, `syntax error in pattern` (a bad `by-file-path`), kyaml's `wrong Node Kind …` and
//! `array index -1 cannot be negative` when putting by path. A bad regular expression fails
//! with `error parsing regexp: …` (Go's wording of the reason is not reproduced).
//!
//! Not reproduced: v0.1.0 reads the configuration through a Go map, so `by-value: 1.0` is `1`
//! there; where kyaml replaces a node (putting by path), the comments kpt copies back are kept.

mod glob;
mod path;
mod walk;

use porch_krm::{Node, ResourceList};
use regex::Regex;

use crate::go::go_quote;
use crate::result::{FieldRef, FileRef, FnResult, Severity};
use crate::{Function, Outcome, object};

const BY_VALUE: &str = "by-value";
const BY_VALUE_REGEX: &str = "by-value-regex";
const BY_PATH: &str = "by-path";
const BY_FILE_PATH: &str = "by-file-path";
const PUT_VALUE: &str = "put-value";
const PUT_COMMENT: &str = "put-comment";

/// The catalog version run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// v0.1.0: any configuration key is accepted; no `no matches` result.
    V0_1_0,
    /// v0.1.1: unknown keys are refused; at least one matcher is required.
    V0_1_1,
    /// v0.2.0: `by-file-path`; no matcher at all matches nothing.
    V0_2,
}

/// The function.
#[derive(Debug, Clone, Copy)]
pub struct SearchReplace {
    /// The catalog version run.
    pub version: Version,
}

impl Function for SearchReplace {
    fn run(&self, list: &mut ResourceList) -> Outcome {
        let mut items = list.items.clone();
        match self.apply(list.function_config.as_ref(), &mut items) {
            Ok(results) => {
                list.items = items;
                Outcome { results, exit_code: 0 }
            }
            Err(reason) => Outcome {
                results: vec![FnResult::general(
                    format!("failed to perform search-replace operation: {}", go_quote(&reason)),
                    Severity::Error,
                )],
                exit_code: 1,
            },
        }
    }
}

/// The matchers and mutators of one run.
#[derive(Debug, Default)]
pub(crate) struct Config {
    pub(crate) by_value: String,
    pub(crate) by_value_regex: String,
    pub(crate) by_path: String,
    pub(crate) by_file_path: String,
    pub(crate) put_value: String,
    pub(crate) put_comment: String,
    /// `by-value-regex` compiled.
    pub(crate) regex: Option<Regex>,
}

/// One field found.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) file: String,
    pub(crate) field: String,
    pub(crate) value: String,
}

impl SearchReplace {
    fn apply(
        &self,
        config: Option<&Node>,
        items: &mut [porch_krm::Document],
    ) -> Result<Vec<FnResult>, String> {
        let config = self.config(config)?;
        let mut found = Vec::new();
        for root in items.iter_mut().filter_map(|d| d.root.as_mut()) {
            if !object::has_meta(root) {
                return Err("missing Resource metadata".into());
            }
            let file =
                object::annotation(root, porch_krm::annotations::LEGACY_PATH).unwrap_or_default().to_string();
            if self.version == Version::V0_2
                && !config.by_file_path.is_empty()
                && !glob::matches(&config.by_file_path, &file)?
            {
                continue;
            }
            if path::puts_directly(&config) {
                path::put(root, &config)?;
                found.push(Found { file, field: config.by_path.clone(), value: config.put_value.clone() });
                continue;
            }
            walk::Walk { config: &config, file, found: &mut found }.node(root, "")?;
        }
        Ok(self.results(&config, &found))
    }

    /// The configuration, checked as the version checks it.
    fn config(&self, config: Option<&Node>) -> Result<Config, String> {
        let data = crate::object::data(config);
        let known: &[&str] = match self.version {
            Version::V0_1_0 => &[],
            Version::V0_1_1 => &[BY_VALUE, BY_VALUE_REGEX, BY_PATH, PUT_VALUE, PUT_COMMENT],
            Version::V0_2 => &[BY_VALUE, BY_FILE_PATH, BY_VALUE_REGEX, BY_PATH, PUT_VALUE, PUT_COMMENT],
        };
        if self.version != Version::V0_1_0
            && let Some((key, _)) = data.iter().find(|(k, _)| !known.contains(&k.as_str()))
        {
            let list: Vec<String> = known.iter().map(|k| go_quote(k)).collect();
            return Err(format!("invalid matcher {}, must be one of [{}]", go_quote(key), list.join(" ")));
        }
        let get = |key: &str| data.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
        let mut config = Config {
            by_value: get(BY_VALUE),
            by_value_regex: get(BY_VALUE_REGEX),
            by_path: get(BY_PATH),
            by_file_path: if self.version == Version::V0_2 { get(BY_FILE_PATH) } else { String::new() },
            put_value: get(PUT_VALUE),
            put_comment: get(PUT_COMMENT),
            regex: None,
        };
        if self.version == Version::V0_1_1
            && config.by_value.is_empty()
            && config.by_value_regex.is_empty()
            && config.by_path.is_empty()
        {
            return Err(format!(
                "at least one of [{}, {}, {}] must be provided",
                go_quote(BY_VALUE),
                go_quote(BY_VALUE_REGEX),
                go_quote(BY_PATH)
            ));
        }
        if !config.by_value.is_empty() && !config.by_value_regex.is_empty() {
            return Err(format!(
                "only one of [{}, {}] can be provided",
                go_quote(BY_VALUE),
                go_quote(BY_VALUE_REGEX)
            ));
        }
        if !config.by_value_regex.is_empty() {
            let regex = Regex::new(&config.by_value_regex).map_err(|_| {
                format!("error parsing regexp: invalid expression: `{}`", config.by_value_regex)
            })?;
            config.regex = Some(regex);
        }
        Ok(config)
    }

    fn results(&self, config: &Config, found: &[Found]) -> Vec<FnResult> {
        if found.is_empty() {
            return match self.version {
                Version::V0_1_0 => Vec::new(),
                _ => vec![FnResult::general("no matches", Severity::Info)],
            };
        }
        let mutated = !config.put_comment.is_empty() || !config.put_value.is_empty();
        found
            .iter()
            .map(|f| {
                let message = if mutated {
                    format!("Mutated field value to {}", go_quote(&f.value))
                } else {
                    format!("Matched field value {}", go_quote(&f.value))
                };
                FnResult {
                    field: Some(FieldRef { path: f.field.clone(), ..FieldRef::default() }),
                    file: Some(FileRef { path: f.file.clone(), index: 0 }),
                    ..FnResult::general(message, Severity::Info)
                }
            })
            .collect()
    }
}
