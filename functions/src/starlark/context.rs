//! The script's `ctx`: a struct of `resource_list` (a mutable dict: `apiVersion`, `kind`,
//! `items`, `functionConfig`), `open_api` and `environment` (dicts).
//!
//! The ResourceList dict and the input items are also kept in the module under names a script
//! cannot write (they are not identifiers): they stay reachable for the garbage collector
//! whatever the script does, and after the run they say which items are input items.

use starlark::environment::Module;
use starlark::values::dict::AllocDict;
use starlark::values::list::{AllocList, ListRef};
use starlark::values::structs::AllocStruct;
use starlark::values::{Heap, Value};

use super::convert::{self, Input, Item};

/// Where the ResourceList dict is kept.
const RESOURCE_LIST: &str = "porch resource_list";
/// Where the input items are kept.
const ORIGINS: &str = "porch input items";

/// Puts `ctx` into the module.
pub(super) fn install(module: &Module, input: &Input) {
    let heap = module.heap();
    let items: Vec<Value> = input.items.iter().map(|i| convert::to_starlark(heap, i)).collect();
    let resource_list = heap.alloc(AllocDict([
        ("apiVersion", heap.alloc("config.kubernetes.io/v1")),
        ("kind", heap.alloc("ResourceList")),
        ("items", heap.alloc(AllocList(items.iter().copied()))),
        ("functionConfig", convert::to_starlark(heap, &input.function_config)),
    ]));
    let environment = heap.alloc(AllocDict(input.environment.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
    let ctx = heap.alloc(AllocStruct([
        ("resource_list", resource_list),
        ("open_api", empty_dict(heap)),
        ("environment", environment),
    ]));
    module.set("ctx", ctx);
    module.set(RESOURCE_LIST, resource_list);
    module.set(ORIGINS, heap.alloc(AllocList(items)));
}

fn empty_dict(heap: Heap<'_>) -> Value<'_> {
    heap.alloc(AllocDict(std::iter::empty::<(&str, Value)>()))
}

/// The items the script left.
pub(super) fn items(module: &Module) -> Result<Vec<Item>, String> {
    let (Some(resource_list), Some(origins)) = (module.get(RESOURCE_LIST), module.get(ORIGINS)) else {
        return Err("the ResourceList is gone".into());
    };
    let origins = ListRef::from_value(origins).map(|l| l.content().to_vec()).unwrap_or_default();
    convert::output(resource_list, &origins)
}
