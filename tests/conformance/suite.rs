//! The generic suite: every case, adapted to a resource by its [`Fixture`]. Each resource runs
//! the cases in order on a server of its own; objects of different cases are numbered apart.

mod dry_run;
mod reads;
mod table;
mod watch;
mod writes;

use serde_json::{Value, json};

use crate::env::Env;
use crate::fixture::{Change, Fixture};
use crate::wire::{self, rv};

/// Runs every case against `fixture`'s resource.
pub(crate) async fn run<F: Fixture>(fixture: &F) {
    let env = fixture.env().await;
    reads::create_get_and_not_found(fixture, &env).await;
    reads::list_with_paging_and_selectors(fixture, &env).await;
    table::table_output(fixture, &env).await;
    writes::update_with_stale_resource_version(fixture, &env).await;
    writes::patch_of_each_type(fixture, &env).await;
    writes::delete(fixture, &env).await;
    writes::delete_collection(fixture, &env).await;
    dry_run::dry_run(fixture, &env).await;
    watch::watch_from_a_resource_version(fixture, &env).await;
    env.served.shutdown().await;
}

/// Creates `body` through `fixture`'s resource and returns the created object once every
/// controller is done with it.
pub(crate) async fn create<F: Fixture>(fixture: &F, env: &Env, body: &Value) -> Value {
    let info = fixture.info();
    let created = wire::ok(
        &env.json("POST", &info.collection(), body).await,
        201,
        &format!("creating a {}", info.kind),
    );
    settled(fixture, env, &wire::name(&created)).await
}

/// Object `name` once every controller is done with it.
pub(crate) async fn settled<F: Fixture>(fixture: &F, env: &Env, name: &str) -> Value {
    let path = fixture.info().item(name);
    if !fixture.info().controlled {
        return env.read(&path).await;
    }
    let r = env
        .until(&format!("{name} to settle"), &path, |r| r.status == 200 && fixture.settled(&r.json()))
        .await;
    r.json()
}

/// Waits until object `name` is gone.
pub(crate) async fn gone<F: Fixture>(fixture: &F, env: &Env, name: &str) {
    env.until(&format!("{name} to be deleted"), &fixture.info().item(name), |r| r.status == 404).await;
}

/// `obj` with `change` made.
pub(crate) fn changed(obj: &Value, change: &Change) -> Value {
    let mut obj = obj.clone();
    set(&mut obj, &change.pointer, change.value.clone());
    obj
}

/// Sets the field at `pointer`, making the objects on the way.
fn set(obj: &mut Value, pointer: &str, value: Value) {
    let mut at = obj;
    let tokens: Vec<String> =
        pointer.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect();
    for (i, token) in tokens.iter().enumerate() {
        if !at.is_object() {
            *at = json!({});
        }
        let map = at.as_object_mut().expect("an object");
        if i + 1 == tokens.len() {
            map.insert(token.clone(), value);
            return;
        }
        at = map.entry(token.clone()).or_insert_with(|| json!({}));
    }
}

/// Asserts that `obj` carries `change`.
pub(crate) fn assert_changed(obj: &Value, change: &Change, what: &str) {
    assert_eq!(obj.pointer(&change.pointer), Some(&change.value), "{what}: {obj}");
}

/// Asserts that `after` is a later version of the same object as `before`.
pub(crate) fn assert_later(before: &Value, after: &Value, what: &str) {
    assert_eq!(after["metadata"]["uid"], before["metadata"]["uid"], "{what}: the same object");
    assert!(rv(after) > rv(before), "{what}: resourceVersion {} after {}", rv(after), rv(before));
}
