//! Running a script: the dialect the catalog enables, the limits, `print()`, and the messages
//! of errors as the catalog words them.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use starlark::environment::{Globals, GlobalsBuilder, LibraryExtension, Module};
use starlark::eval::Evaluator;
use starlark::syntax::{AstModule, Dialect};
use starlark::{ErrorKind, PrintHandler};

use super::convert::{Input, Item};
use super::load::Loader;
use super::nesting::{MAX_NESTING, too_deep};
use super::while_loop::{self, Rewritten};
use super::{Version, context};

/// How far a script may go, so that it can neither hang nor crash the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Function calls and loop iterations (starlark-rust's "ticks"; it checks every 1000).
    pub ticks: u64,
    /// Bytes the script may allocate in all (the garbage collector is off: it recurses over
    /// deep values and would overflow the stack; memory is freed when the run ends).
    pub heap_bytes: usize,
    /// Calls that may be nested (recursion depth).
    pub call_depth: usize,
    /// Wall-clock time.
    pub time: Duration,
    /// Bytes of source.
    pub source_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            ticks: 50_000_000,
            heap_bytes: 512 << 20,
            call_depth: 1000,
            time: Duration::from_secs(30),
            source_bytes: 256 << 10,
        }
    }
}

/// The stack of the thread a script runs on: the compiler recurses once per level of syntax
/// (at most [`MAX_NESTING`] levels, about 13 KiB each in a debug build), the interpreter once
/// per call (at most [`Limits::call_depth`]). Only the pages used are committed.
const STACK: usize = 256 << 20;

/// A script to run.
#[derive(Debug, Clone, Copy)]
pub(super) struct Program<'a> {
    /// Its name (the file name in messages).
    pub(super) name: &'a str,
    /// Its text.
    pub(super) source: &'a str,
    /// The behaviour followed.
    pub(super) version: Version,
    /// Its limits.
    pub(super) limits: Limits,
}

/// What a run gives back.
#[derive(Debug)]
pub(super) struct Run {
    /// The lines `print()` wrote.
    pub(super) printed: Vec<String>,
    /// The items the script left, or why it failed.
    pub(super) items: Result<Vec<Item>, String>,
}

/// Runs `program` over `input` on a thread of its own.
pub(super) fn run(program: &Program, input: &Input) -> Run {
    if program.source.len() > program.limits.source_bytes {
        let message = format!(
            "the script is {} bytes; at most {} are run",
            program.source.len(),
            program.limits.source_bytes
        );
        return Run { printed: Vec::new(), items: Err(message) };
    }
    if let Some(at) = too_deep(program.source) {
        let (line, column) = position(program.source, at);
        let message =
            format!("{}:{line}:{column}: the script nests more than {MAX_NESTING} levels deep", program.name);
        return Run { printed: Vec::new(), items: Err(message) };
    }
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("starlark".into())
            .stack_size(STACK)
            .spawn_scoped(scope, || evaluate(program, input))
            .map(|thread| thread.join())
    });
    match outcome {
        Ok(Ok(run)) => run,
        Ok(Err(panic)) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Run { printed: Vec::new(), items: Err(format!("the starlark interpreter failed: {why}")) }
        }
        Err(e) => {
            Run { printed: Vec::new(), items: Err(format!("cannot start the starlark interpreter: {e}")) }
        }
    }
}

/// The lines `print()` writes.
#[derive(Debug, Default)]
struct Printed(RefCell<Vec<String>>);

impl PrintHandler for Printed {
    fn println(&self, text: &str) -> starlark::Result<()> {
        self.0.borrow_mut().push(text.to_string());
        Ok(())
    }
}

/// Parses and runs the script in a fresh module.
fn evaluate(program: &Program, input: &Input) -> Run {
    let printed = Printed::default();
    let items = Module::with_temp_heap(|module| {
        let rewritten = while_loop::rewrite(program.source);
        let ast = AstModule::parse(program.name, rewritten.text.clone(), &dialect())
            .map_err(|e| message(&e, &rewritten))?;
        let loader = Loader::new(program.version, &ast);
        context::install(&module, input);
        {
            let limits = program.limits;
            let mut eval = Evaluator::new(&module);
            eval.disable_gc();
            let deadline = Instant::now() + limits.time;
            eval.set_max_tick_count(limits.ticks.max(1)).map_err(|e| e.to_string())?;
            eval.set_max_heap_size(limits.heap_bytes.max(1)).map_err(|e| e.to_string())?;
            eval.set_max_callstack_size(limits.call_depth.max(1)).map_err(|e| e.to_string())?;
            eval.set_check_cancelled(Box::new(move || Instant::now() > deadline));
            eval.set_loader(&loader);
            eval.set_print_handler(&printed);
            eval.eval_module(ast, &globals()).map_err(|e| limit_message(message(&e, &rewritten), &limits))?;
        }
        context::items(&module)
    });
    Run { printed: printed.0.into_inner(), items }
}

/// The line and column (from 1) of byte `at`.
fn position(source: &str, at: usize) -> (usize, usize) {
    let before = source.get(..at).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// starlark-rust's messages for the limits, saying which limit.
fn limit_message(message: String, limits: &Limits) -> String {
    if message == "Evaluation cancelled" {
        format!("the script ran longer than {} s", limits.time.as_secs_f64())
    } else if message.starts_with("Heap memory limit of") {
        format!("the script allocated more than {} bytes", limits.heap_bytes)
    } else if message.starts_with("Execution duration limit of") {
        format!("the script made more than {} calls and loop iterations", limits.ticks)
    } else if message == "Starlark call stack overflow" {
        format!("Starlark call stack overflow: more than {} nested calls", limits.call_depth)
    } else {
        message
    }
}

/// go-starlark with the catalog's options: keyword-only parameters, statements at top level
/// (`resolve.AllowGlobalReassign`); no type annotations, f-strings or `/` parameters.
fn dialect() -> Dialect {
    Dialect { enable_keyword_only_arguments: true, enable_top_level_stmt: true, ..Dialect::Standard }
}

/// The standard functions plus `set` (`resolve.AllowSet`) and `print`.
fn globals() -> Globals {
    GlobalsBuilder::extended_by(&[LibraryExtension::SetType, LibraryExtension::Print]).build()
}

/// An error as the catalog reports it: `fail: …` for `fail()`; `<name>:<line>:<column>: …`
/// for syntax and name errors (go-starlark's resolver and parser); the message alone
/// otherwise (go-starlark's `EvalError.Error()`).
fn message(error: &starlark::Error, rewritten: &Rewritten) -> String {
    match error.kind() {
        ErrorKind::Fail(_) => error.kind().to_string(),
        ErrorKind::Parser(_) | ErrorKind::Scope(_) => {
            let text = format!("{:#}", error.without_diagnostic());
            match error.span() {
                Some(span) => {
                    let at = span.resolve_span().begin;
                    let line = rewritten.original_line(at.line) + 1;
                    format!("{}:{line}:{}: {text}", span.filename(), at.column + 1)
                }
                None => text,
            }
        }
        _ => format!("{:#}", error.without_diagnostic()),
    }
}
