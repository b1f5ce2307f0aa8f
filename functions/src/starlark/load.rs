//! `load()`: the catalog's modules (its `loadlib.go`) that a builtin offers, by the names the
//! catalog gives them.
//!
//! Offered: [`MODULES`]. The catalog's other modules — `bsoup.star`, `encoding/csv.star`,
//! `geo.star`, `hash.star`, `html.star`, `http.star`, `time.star`, `xlsx.star`,
//! `zipfile.star` ([`NOT_OFFERED`]) — fail the `load` with a message saying so. Like the
//! catalog, a module it does not know fails with `load: name <name> not found in module
//! <module>`.

use std::collections::HashMap;

use starlark::environment::{FrozenModule, Globals};
use starlark::eval::FileLoader;
use starlark::syntax::AstModule;

use super::library::error;
use super::{Version, krmfn, library, re};

/// The modules a script can load here.
pub const MODULES: [&str; 6] = [
    "krmfn.star",
    "encoding/json.star",
    "encoding/yaml.star",
    "encoding/base64.star",
    "re.star",
    "math.star",
];

/// The catalog's modules not offered here.
pub const NOT_OFFERED: [&str; 9] = [
    "bsoup.star",
    "encoding/csv.star",
    "geo.star",
    "hash.star",
    "html.star",
    "http.star",
    "time.star",
    "xlsx.star",
    "zipfile.star",
];

/// Loads the modules of one script.
#[derive(Debug)]
pub(super) struct Loader {
    version: Version,
    /// The first name each `load` statement asks of a module (for the catalog's message).
    first_names: HashMap<String, String>,
}

impl Loader {
    /// The loader of `ast`'s `load` statements.
    pub(super) fn new(version: Version, ast: &AstModule) -> Self {
        let mut first_names = HashMap::new();
        for load in ast.loads() {
            if let Some((_, name)) = load.symbols.iter().next() {
                first_names.entry(load.module_id.to_string()).or_insert_with(|| (*name).to_string());
            }
        }
        Self { version, first_names }
    }
}

impl FileLoader for Loader {
    fn load(&self, path: &str) -> starlark::Result<FrozenModule> {
        let globals: Globals = match path {
            "krmfn.star" => krmfn::globals(self.version),
            "encoding/json.star" => library::json(),
            "encoding/yaml.star" => library::yaml(),
            "encoding/base64.star" => library::base64(),
            "math.star" => library::math(),
            "re.star" => return re::module(),
            _ if NOT_OFFERED.contains(&path) => {
                return Err(error(format!(
                    "cannot load {path}: the builtin starlark function does not offer it (the catalog's image does)"
                )));
            }
            _ => {
                let name = self.first_names.get(path).map_or("", String::as_str);
                return Err(error(format!("load: name {name} not found in module {path}")));
            }
        };
        FrozenModule::from_globals(&globals).map_err(|e| error(format!("{e:?}")))
    }
}
