//! kpt's hydration: a package and its subpackages (directories with a Kptfile) rendered depth
//! first, post-order. A package reads its own resources (not those of subpackages, nor files
//! its `.krmignore` names), appends the output of each direct subpackage (sorted by path), and
//! runs its pipeline over them: mutators in order, each on what the previous one left (only on
//! what its `selectors`/`exclude` pick), then validators on copies. Parents see and may change
//! their subpackages' resources; subpackages never see their parents'.
//!
//! Every resource carries kpt's `package-path` annotation (`/` for the root, `/sub` for a
//! subpackage, as in Porch) and a path relative to that package; paths are made relative to the
//! root when the result is written.

use std::collections::{BTreeMap, BTreeSet};

use porch_api::porch::{FunctionResult, ResultItem};
use porch_functions::ResourceList;
use porch_krm::{Document, Node, annotations, package};

use super::checks;
use super::krmignore::{KRMIGNORE, Krmignore};
use super::pipeline::{Pipeline, PipelineFunction};
use super::runtime::{RunError, Runtime};
use super::select::{self, Selection};
use super::status::{Report, StepResult};
use super::{Functions, config};
use crate::engine::Files;
use crate::engine::kptfile::{KPTFILE, Kptfile};

/// Why hydration stopped, and what it had got to.
#[derive(Debug)]
pub(crate) struct Failure {
    /// kpt's error below `fn.render: pkg .:` (e.g. `pkg.render:\n\tpipeline.run: …`).
    pub message: String,
    /// The resources as far as hydration got (the packages it reached), for
    /// `kpt.dev/save-on-render-failure`.
    pub partial: Vec<Document>,
}

/// One render's walk over the packages of a file set.
#[derive(Debug)]
pub(crate) struct Hydration<'a> {
    functions: &'a Functions,
    /// The resource files (path from the root → text) kpt reads: `.krmignore`d files left out.
    texts: BTreeMap<String, String>,
    /// The package directories, `""` for the root.
    packages: BTreeSet<String>,
    /// The Kptfiles, by package directory.
    kptfiles: BTreeMap<String, Kptfile>,
    /// Whether a failure's partial output is used (`kpt.dev/save-on-render-failure`): then a
    /// step keeps a copy of its input to hand back when it fails.
    keep_partial: bool,
    /// What the functions reported.
    pub report: Report,
}

/// `dir/` for a subpackage, `""` for the root.
fn prefix(dir: &str) -> String {
    if dir.is_empty() { String::new() } else { format!("{dir}/") }
}

/// kpt's package path of `dir`: `/` or `/dir`.
fn package_path(dir: &str) -> String {
    format!("/{dir}")
}

impl<'a> Hydration<'a> {
    /// The packages of `files` (they must hold a root Kptfile). `Err`: a Kptfile or a resource
    /// file cannot be read.
    pub(crate) fn new(files: &Files, functions: &'a Functions, keep_partial: bool) -> Result<Self, String> {
        let mut kptfiles = BTreeMap::new();
        for (path, bytes) in files {
            let dir = if path == KPTFILE {
                ""
            } else if let Some(dir) = path.strip_suffix("/Kptfile") {
                dir
            } else {
                continue;
            };
            kptfiles.insert(dir.to_string(), Kptfile::parse(path, bytes).map_err(|e| e.to_string())?);
        }
        let packages: BTreeSet<String> = kptfiles.keys().cloned().collect();
        let ignores: BTreeMap<&String, Krmignore> = packages
            .iter()
            .map(|dir| {
                let text = files.get(&format!("{}{KRMIGNORE}", prefix(dir)));
                (dir, Krmignore::new(text.map(|b| String::from_utf8_lossy(b)).as_deref()))
            })
            .collect();
        let mut texts = BTreeMap::new();
        for (path, bytes) in files.iter().filter(|(p, _)| package::is_resource_file(p)) {
            let dir = owner(&packages, path);
            let relative = &path[prefix(dir).len()..];
            if ignores.get(&dir.to_string()).is_some_and(|k| k.ignores(relative)) {
                continue;
            }
            let text = String::from_utf8(bytes.clone()).map_err(|_| format!("{path}: not UTF-8 text"))?;
            texts.insert(path.clone(), text);
        }
        Ok(Self { functions, texts, packages, kptfiles, keep_partial, report: Report::new() })
    }

    /// The resource files kpt reads (path from the root → text).
    pub(crate) fn texts(&self) -> &BTreeMap<String, String> {
        &self.texts
    }

    /// The resources of package `dir` alone, with paths relative to it and its package path.
    fn own_items(&self, dir: &str) -> Result<Vec<Document>, String> {
        let start = prefix(dir);
        let own: BTreeMap<String, String> = self
            .texts
            .iter()
            .filter(|(path, _)| owner(&self.packages, path) == dir)
            .map(|(path, text)| (path[start.len()..].to_string(), text.clone()))
            .collect();
        let mut items = package::read(&own).map_err(|e| e.to_string())?;
        let package = package_path(dir);
        for item in &mut items {
            annotations::set(item, annotations::PACKAGE_PATH, &package).map_err(|e| e.to_string())?;
        }
        Ok(items)
    }

    /// The subpackages directly below `dir`, sorted by path.
    fn subpackages(&self, dir: &str) -> Vec<String> {
        self.packages
            .iter()
            .filter(|p| !p.is_empty() && *p != dir && parent(&self.packages, p) == dir)
            .cloned()
            .collect()
    }

    /// Hydrates package `dir` and everything below it; its resources after its pipeline.
    pub(crate) fn hydrate(&mut self, dir: &str) -> Result<Vec<Document>, Failure> {
        let mut input = self
            .own_items(dir)
            .map_err(|e| Failure { message: format!("pkg.render:\n\t{e}"), partial: Vec::new() })?;
        for sub in self.subpackages(dir) {
            match self.hydrate(&sub) {
                Ok(output) => input.extend(output),
                Err(failure) => {
                    input.extend(failure.partial);
                    let message = format!("pkg.render:\n\tpkg ./{sub}:\n\t{}", failure.message);
                    return Err(Failure { message, partial: input });
                }
            }
        }
        self.run_pipeline(dir, input)
            .map_err(|(e, partial)| Failure { message: format!("pkg.render:\n\tpipeline.run: {e}"), partial })
    }

    /// Runs the pipeline of package `dir` over `input`; on failure, the message and the
    /// resources as the failed step found them.
    fn run_pipeline(
        &mut self,
        dir: &str,
        input: Vec<Document>,
    ) -> Result<Vec<Document>, (String, Vec<Document>)> {
        let pipeline = self.kptfiles.get(dir).map(Kptfile::pipeline).unwrap_or_default();
        if pipeline.is_empty() {
            return match checks::are_krm(&input) {
                Ok(()) => Ok(input),
                Err(e) => Err((e, input)),
            };
        }
        if let Err(e) = pipeline.check() {
            return Err((e, input));
        }
        let Pipeline { mutators, validators } = pipeline;
        let mut items = input;
        for function in &mutators {
            let config = config::of(function, &package_path(dir), &items);
            match select::select(function, &mut items) {
                // The step sees every resource: they go to it (no copy) and come back.
                (Selection::All, _) => {
                    match self.call(dir, function, std::mem::take(&mut items), config, true) {
                        Ok(output) => items = output,
                        Err((e, input)) => return Err((e, input)),
                    }
                }
                (selection, selected) => match self.call(dir, function, selected, config, true) {
                    Ok(output) => items = select::merge(selection, items, output),
                    Err((e, _)) => {
                        select::clear_ids(&mut items);
                        return Err((e, items));
                    }
                },
            }
        }
        for function in &validators {
            let config = config::of(function, &package_path(dir), &items);
            // Validators see copies.
            let mut selected = match select::select(function, &mut items.clone()) {
                (Selection::All, _) => items.clone(),
                (_, selected) => selected,
            };
            select::clear_ids(&mut selected);
            if let Err((e, _)) = self.call(dir, function, selected, config, false) {
                return Err((e, items));
            }
        }
        Ok(items)
    }

    /// Runs one step of package `dir` over `selected` with its `config` (or why it has none);
    /// records its results; its output, checked, or why it failed with the resources it was
    /// given (as they were when a partial result is kept; else as the runtime left them).
    fn call(
        &mut self,
        dir: &str,
        function: &PipelineFunction,
        selected: Vec<Document>,
        config: Result<Option<porch_krm::Node>, String>,
        mutator: bool,
    ) -> Result<Vec<Document>, (String, Vec<Document>)> {
        let image =
            if function.image.is_empty() { String::new() } else { self.functions.complete(&function.image) };
        let steps = if mutator { &mut self.report.mutation_steps } else { &mut self.report.validation_steps };
        let not_started = |steps: &mut Vec<StepResult>, error: String| {
            steps.push(StepResult::not_started(function, &image, &error));
            error
        };
        let function_config = match config {
            Ok(config) => config,
            Err(e) => return Err((not_started(steps, e), selected)),
        };
        let before = self.keep_partial.then(|| selected.clone());
        let mut list = ResourceList::new(selected);
        list.function_config = function_config;
        let outcome = self.functions.runtimes.run(function, &mut list);
        // What a failed step hands back: its input, when a partial result is kept.
        let given = |list: ResourceList| before.clone().unwrap_or(list.items);
        let exit = match outcome {
            Ok(exit) => exit,
            Err(RunError::NotFound) if !function.exec.is_empty() => {
                let e = "must run with `--allow-exec` option to allow running function binaries".into();
                return Err((not_started(steps, e), given(list)));
            }
            Err(RunError::NotFound) => {
                return Err((not_started(steps, format!("function {image:?} not found")), given(list)));
            }
            Err(RunError::Failed(e)) => return Err((not_started(steps, e), given(list))),
        };
        let run = FunctionResult {
            image: image.clone(),
            exec_path: String::new(),
            stderr: exit.stderr.clone(),
            exit_code: exit.code,
            results: result_items(list.results.take()),
        };
        steps.push(StepResult::ran(function, &run));
        self.report.functions.items.push(run);
        if exit.code != 0 {
            self.report.functions.exit_code = 1;
            let name = if image.is_empty() { &function.exec } else { &image };
            let message = format!("func eval {name:?} failed: {}", exit.error);
            return Err((message, given(list)));
        }
        let mut output = list.items;
        if mutator {
            // Output that breaks the invariants is not kept, not even as a partial result: its
            // paths may point outside the package.
            checks::paths(&output).map_err(|e| (e, Vec::new()))?;
            // What the function made belongs to this package.
            for item in output.iter_mut().filter(|d| annotations::get(d, annotations::PACKAGE_PATH).is_none())
            {
                annotations::set(item, annotations::PACKAGE_PATH, &package_path(dir))
                    .map_err(|e| (e.to_string(), Vec::new()))?;
            }
        }
        Ok(output)
    }

    /// `items` written into the package's files: paths made relative to the root. With
    /// `all_files`, resource files no item names any more are deleted; without, only the files
    /// the items name are written (a partial result leaves the others alone).
    pub(crate) fn write(
        &self,
        items: Vec<Document>,
        all_files: bool,
    ) -> Result<BTreeMap<String, String>, String> {
        let mut rooted = Vec::with_capacity(items.len());
        let mut named = BTreeSet::new();
        for mut item in items {
            let Some(resource) = item.root.as_ref() else { continue };
            let package = annotations::of(resource, annotations::PACKAGE_PATH).unwrap_or("/");
            let dir = package.trim_start_matches('/').to_string();
            if let Some(path) = annotations::path_of(resource).map(str::to_string) {
                let path = format!("{}{path}", prefix(&dir));
                for key in [annotations::PATH, annotations::LEGACY_PATH] {
                    annotations::set(&mut item, key, &path).map_err(|e| e.to_string())?;
                }
                named.insert(path);
            }
            rooted.push(item);
        }
        let texts: BTreeMap<String, String> = if all_files {
            self.texts.clone()
        } else {
            self.texts
                .iter()
                .filter(|(p, _)| named.contains(*p))
                .map(|(p, t)| (p.clone(), t.clone()))
                .collect()
        };
        package::write(rooted, &texts).map_err(|e| e.to_string())
    }
}

/// The package directory `path` belongs to: the deepest package directory above it.
fn owner<'p>(packages: &'p BTreeSet<String>, path: &str) -> &'p str {
    packages
        .iter()
        .filter(|dir| dir.is_empty() || path.starts_with(&format!("{dir}/")))
        .max_by_key(|dir| dir.len())
        .map_or("", String::as_str)
}

/// The package directly above package `dir` (its owner: `dir` is not below itself).
fn parent<'p>(packages: &'p BTreeSet<String>, dir: &str) -> &'p str {
    owner(packages, dir)
}

/// A function's `results` (a list, or the legacy `{items: [...]}`) as the render status shows
/// them; items that are not results are left out.
fn result_items(results: Option<Node>) -> Vec<ResultItem> {
    let Some(results) = results else { return Vec::new() };
    let Ok(mut value) = results.to_json() else { return Vec::new() };
    if let Some(items) = value.get_mut("items").map(serde_json::Value::take) {
        value = items;
    }
    let serde_json::Value::Array(items) = value else { return Vec::new() };
    items.into_iter().filter_map(|item| serde_json::from_value(stringify_field_values(item)).ok()).collect()
}

/// `field.currentValue` / `proposedValue` as strings (the API types them so; a function may
/// report any value).
fn stringify_field_values(mut item: serde_json::Value) -> serde_json::Value {
    if let Some(field) = item.get_mut("field").and_then(serde_json::Value::as_object_mut) {
        for key in ["currentValue", "proposedValue"] {
            if let Some(value) = field.get_mut(key).filter(|v| !v.is_string()) {
                *value = serde_json::Value::String(value.to_string());
            }
        }
    }
    item
}
