//! `load("re.star", "re")`, as qri-io/starlib v0.5.0 has it: `compile(pattern)` and
//! `search`, `match`, `split`, `findall`, `sub` (each also a method of a compiled pattern).
//! Patterns are RE2 syntax (Rust's `regex`, as Go's `regexp`); `flags` and `sub`'s `count`
//! are accepted and ignored, as there.
//!
//! What they return is starlib's, not Python's: `search` the `[start, end]` byte offsets of
//! the first match (or `None`); `match` a list with a tuple of groups for every match
//! anywhere in the string; `split` a tuple (`maxsplit` is Go's count of pieces, 0 for all);
//! `findall` a tuple of the whole matches; `sub` replaces every match (`$1` and `${name}`
//! refer to groups) and gives `None` when the pattern does not compile.
//!
//! The module is a few lines of Starlark over native functions, so that a compiled pattern
//! can be a struct of closures.

use regex::Regex;
use starlark::environment::{FrozenModule, GlobalsBuilder, LibraryExtension, Module};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::syntax::{AstModule, Dialect};
use starlark::values::list::AllocList;
use starlark::values::tuple::AllocTuple;
use starlark::values::{Heap, Value};

use super::library::error;

/// The module's Starlark part.
const MODULE: &str = r#"
def _compile(pattern, flags = 0):
    _re.compile(pattern)
    return struct(
        search = lambda string, flags = 0: _re.search(pattern, string),
        match = lambda string, flags = 0: _re.match(pattern, string),
        split = lambda string, maxsplit = 0, flags = 0: _re.split(pattern, string, maxsplit),
        findall = lambda string, flags = 0: _re.findall(pattern, string),
        sub = lambda repl, string, count = 0, flags = 0: _re.sub(pattern, repl, string),
    )

re = struct(
    compile = _compile,
    search = lambda pattern, string, flags = 0: _re.search(pattern, string),
    match = lambda pattern, string, flags = 0: _re.match(pattern, string),
    split = lambda pattern, string, maxsplit = 0, flags = 0: _re.split(pattern, string, maxsplit),
    findall = lambda pattern, string, flags = 0: _re.findall(pattern, string),
    sub = lambda pattern, repl, string, count = 0, flags = 0: _re.sub(pattern, repl, string),
)
"#;

/// The frozen module.
pub(super) fn module() -> starlark::Result<FrozenModule> {
    let globals =
        GlobalsBuilder::extended_by(&[LibraryExtension::StructType]).with_namespace("_re", native).build();
    let ast = AstModule::parse("re.star", MODULE.to_string(), &Dialect::Standard)?;
    Module::with_temp_heap(|module| {
        Evaluator::new(&module).eval_module(ast, &globals)?;
        module.freeze().map_err(|e| error(format!("{e:?}")))
    })
}

/// `pattern` compiled (Go's `regexp.Compile` message prefix).
fn regex(pattern: &str) -> starlark::Result<Regex> {
    Regex::new(pattern).map_err(|e| error(format!("error parsing regexp: {e}")))
}

/// Strings as a tuple.
fn tuple<'v, S: AsRef<str>>(heap: Heap<'v>, items: impl IntoIterator<Item = S>) -> Value<'v> {
    let items: Vec<Value> = items.into_iter().map(|s| heap.alloc(s.as_ref())).collect();
    heap.alloc(AllocTuple(items))
}

#[starlark_module]
fn native(builder: &mut GlobalsBuilder) {
    fn compile(#[starlark(require = pos)] pattern: &str) -> starlark::Result<bool> {
        regex(pattern).map(|_| true)
    }

    fn search<'v>(
        #[starlark(require = pos)] pattern: &str,
        #[starlark(require = pos)] string: &str,
        heap: Heap<'v>,
    ) -> starlark::Result<Value<'v>> {
        Ok(match regex(pattern)?.find(string) {
            Some(m) => heap.alloc(AllocList([m.start(), m.end()])),
            None => Value::new_none(),
        })
    }

    fn r#match<'v>(
        #[starlark(require = pos)] pattern: &str,
        #[starlark(require = pos)] string: &str,
        heap: Heap<'v>,
    ) -> starlark::Result<Value<'v>> {
        let matches: Vec<Value> = regex(pattern)?
            .captures_iter(string)
            .map(|c| tuple(heap, c.iter().map(|g| g.map_or("", |g| g.as_str()))))
            .collect();
        Ok(heap.alloc(AllocList(matches)))
    }

    fn split<'v>(
        #[starlark(require = pos)] pattern: &str,
        #[starlark(require = pos)] string: &str,
        #[starlark(require = pos)] maxsplit: i32,
        heap: Heap<'v>,
    ) -> starlark::Result<Value<'v>> {
        let re = regex(pattern)?;
        Ok(match usize::try_from(maxsplit) {
            Ok(n) if n > 0 => tuple(heap, re.splitn(string, n)),
            _ => tuple(heap, re.split(string)),
        })
    }

    fn findall<'v>(
        #[starlark(require = pos)] pattern: &str,
        #[starlark(require = pos)] string: &str,
        heap: Heap<'v>,
    ) -> starlark::Result<Value<'v>> {
        Ok(tuple(heap, regex(pattern)?.find_iter(string).map(|m| m.as_str())))
    }

    fn sub<'v>(
        #[starlark(require = pos)] pattern: &str,
        #[starlark(require = pos)] repl: &str,
        #[starlark(require = pos)] string: &str,
        heap: Heap<'v>,
    ) -> starlark::Result<Value<'v>> {
        Ok(match regex(pattern) {
            Ok(re) => heap.alloc(re.replace_all(string, repl).as_ref()),
            Err(_) => Value::new_none(),
        })
    }
}
