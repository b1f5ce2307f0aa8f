//! Durability: one redb file holding every object (JSON) and the server-wide resourceVersion, written in
//! the same transaction as the changes that use it, with `Durability::Immediate`.

use std::path::Path;

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use serde_json::Value;

use super::state::{Index, Labelled};
use super::txn::Change;
use super::{StoreError, StoredKind, WatchEventType};
use crate::crdstore::Result;
use crate::json_object::JsonObject;

/// `<plural>/<namespace>/<name>` → the object as JSON.
const OBJECTS: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("objects");
/// `resourceVersion` → the last resourceVersion used.
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");
const RV_KEY: &str = "resourceVersion";

/// The database's page cache. Every object is held in memory by the store's index already, so
/// the cache serves only the B-tree pages a commit touches; redb's default (1 GiB) would keep
/// every page the open reads (tens of MiB at 100k revisions) for nothing.
const CACHE_BYTES: usize = 4 * 1024 * 1024;

/// Opens (or creates) the database at `path`.
fn database(path: &Path) -> Result<Database> {
    redb::Builder::new().set_cache_size(CACHE_BYTES).create(path).map_err(StoreError::storage)
}

fn key(kind: StoredKind, ns: &str, name: &str) -> String {
    format!("{}/{ns}/{name}", kind.plural())
}

/// Opens (or creates) the database and loads every object and the resourceVersion.
pub(crate) fn open(path: &Path) -> Result<(Database, Index, u64)> {
    let db = database(path)?;
    let tx = db.begin_write().map_err(StoreError::storage)?;
    tx.open_table(OBJECTS).map_err(StoreError::storage)?;
    tx.open_table(META).map_err(StoreError::storage)?;
    tx.commit().map_err(StoreError::storage)?;

    let tx = db.begin_read().map_err(StoreError::storage)?;
    let rv = tx
        .open_table(META)
        .map_err(StoreError::storage)?
        .get(RV_KEY)
        .map_err(StoreError::storage)?
        .map_or(0, |v| v.value());
    let mut index = Index::default();
    let objects = tx.open_table(OBJECTS).map_err(StoreError::storage)?;
    for row in objects.iter().map_err(StoreError::storage)? {
        let (k, v) = row.map_err(StoreError::storage)?;
        let mut parts = k.value().splitn(3, '/');
        let (Some(plural), Some(ns), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            tracing::warn!(key = k.value(), "crdstore: skipping a malformed key");
            continue;
        };
        let Some(kind) = StoredKind::ALL.into_iter().find(|kd| kd.plural() == plural) else {
            tracing::warn!(key = k.value(), "crdstore: skipping an object of an unknown kind");
            continue;
        };
        let json = v.value();
        // A PackageRev's JSON is checked by the same pass that reads its repository label; one
        // whose labels do not read so is checked on its own (and indexed without a label).
        let read = (kind == StoredKind::PackageRev)
            .then(|| JsonObject::from_json_reading::<Labelled>(json).ok())
            .flatten()
            .map(|(obj, labelled)| (obj, labelled.repository()));
        let (obj, repository) = match read {
            Some(read) => read,
            None => (JsonObject::from_json(json).map_err(StoreError::storage)?, None),
        };
        index.insert_labelled(kind, (ns.to_string(), name.to_string()), obj, repository);
    }
    drop(objects);
    drop(tx);
    Ok((db, index, rv))
}

/// Writes `changes` and the new resourceVersion `rv` in one durable transaction.
pub(crate) fn commit(db: &Database, changes: &[Change], rv: u64) -> Result<()> {
    let mut tx = db.begin_write().map_err(StoreError::storage)?;
    tx.set_durability(Durability::Immediate).map_err(StoreError::storage)?;
    {
        let mut objects = tx.open_table(OBJECTS).map_err(StoreError::storage)?;
        for c in changes {
            let k = key(c.entry.kind, &c.entry.namespace, &c.name);
            if c.entry.event_type == WatchEventType::Deleted {
                objects.remove(k.as_str()).map_err(StoreError::storage)?;
            } else {
                objects.insert(k.as_str(), c.entry.object.json().as_ref()).map_err(StoreError::storage)?;
            }
        }
        let mut meta = tx.open_table(META).map_err(StoreError::storage)?;
        meta.insert(RV_KEY, rv).map_err(StoreError::storage)?;
    }
    tx.commit().map_err(StoreError::storage)
}

/// Writes `object` under `kind`/`namespace`/`name` as it is, in its own durable transaction,
/// into the database at `path` (which no running store may hold). No validation, no change.
pub(crate) fn put_raw(
    path: &Path,
    kind: StoredKind,
    namespace: &str,
    name: &str,
    object: &Value,
) -> Result<()> {
    let db = database(path)?;
    let mut tx = db.begin_write().map_err(StoreError::storage)?;
    tx.set_durability(Durability::Immediate).map_err(StoreError::storage)?;
    {
        let mut objects = tx.open_table(OBJECTS).map_err(StoreError::storage)?;
        let bytes = serde_json::to_vec(object).map_err(StoreError::storage)?;
        objects.insert(key(kind, namespace, name).as_str(), bytes.as_slice()).map_err(StoreError::storage)?;
    }
    tx.commit().map_err(StoreError::storage)
}
