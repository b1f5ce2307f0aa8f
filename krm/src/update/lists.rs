//! Associative lists (kyaml's `walkAssociativeSequence`): lists whose schema has patch
//! strategy `merge`, merged element by element.
//!
//! - The list itself: deleted upstream (missing or null in `upd`, present in `orig`) clears
//!   it, even when edited locally; missing or null in `dest` starts an empty list.
//! - Elements are identified by the values of their merge keys (`x-kubernetes-list-map-keys`,
//!   else `x-kubernetes-patch-merge-key`); keys no element of any version sets are dropped, and
//!   with several keys an identity missing a value takes it from an identity that agrees on
//!   the others (kyaml's `mergeValues`: a port without `protocol` is the same port as the one
//!   with `protocol: TCP`). Lists of scalars with no key (`finalizers`) are identified by value.
//! - Each identity, in the order dest, then only in orig, then only in upd, is merged with the
//!   field rules. An element that merges to nothing (deleted upstream and not added to
//!   locally) is removed from `dest`; one that merged to something replaces its `dest`
//!   element in place, or is appended (new upstream elements go last, in updated's order).
//!   The merge keys are set again on an element whose merge cleared them.
//! - Elements of `dest` without any merge key value are left alone; those of `upd` are not
//!   added (kyaml cannot find them either).
//!
//! Differs from kpt: an element that lacks a secondary key another element sets (a port
//! without `protocol`) is matched by the keys it has; kyaml fails to match it, leaving it
//! alone or appending a second copy.

use super::fields::{Sources, Walker, missing_or_null};
use super::schema::{Shape, TypeRef};
use crate::node::{Content, Node, Pair, Style};

impl Walker<'_> {
    pub(super) fn associative_list(
        &self,
        s: Sources<'_>,
        keys: &[String],
        item: Option<TypeRef<'_>>,
        path: &mut Vec<String>,
    ) -> Result<Option<Node>, String> {
        if missing_or_null(s.upd) && !missing_or_null(s.orig) {
            return Ok(None);
        }
        let mut dest = match s.dest.filter(|d| !d.is_null()) {
            Some(d) => d.clone(),
            None => Node::sequence(),
        };
        let empty = Vec::new();
        let items = |n: Option<&Node>| n.and_then(Node::as_sequence).unwrap_or(&empty).clone();
        let (orig, upd) = (items(s.orig), items(s.upd));
        let dest_items = dest.as_sequence().cloned().unwrap_or_default();
        let item_shape = item.map(Shape::Object);

        let (keys, identities) = if keys.is_empty() {
            (Vec::new(), scalar_identities(&[&dest_items, &orig, &upd]))
        } else {
            key_identities(keys, &[&dest_items, &orig, &upd])
        };
        // Each element is matched once, to the first identity it fits.
        let mut used = [vec![false; dest_items.len()], vec![false; orig.len()], vec![false; upd.len()]];
        let mut replace: Vec<(usize, Option<Node>)> = Vec::new();
        let mut append = Vec::new();
        for id in &identities {
            let find = |list: &[Node], used: &mut Vec<bool>| {
                let i = (0..list.len()).find(|&i| !used[i] && fits(&list[i], &keys, id))?;
                used[i] = true;
                Some(i)
            };
            let [ud, uo, uu] = &mut used;
            let (d, o, u) = (find(&dest_items, ud), find(&orig, uo), find(&upd, uu));
            let sources = Sources {
                dest: d.map(|i| &dest_items[i]),
                orig: o.map(|i| &orig[i]),
                upd: u.map(|i| &upd[i]),
            };
            let merged = self.merge(sources, item_shape, path)?;
            let merged = merged.filter(|m| !m.is_null() && m.as_mapping().is_none_or(|p| !p.is_empty()));
            let merged = merged.map(|mut m| {
                restore_keys(&mut m, &keys, id);
                m
            });
            match (d, merged) {
                (Some(i), m) => replace.push((i, m)),
                (None, Some(m)) => append.push(m),
                (None, None) => {}
            }
        }
        let Some(list) = dest.as_sequence_mut() else { return Ok(Some(dest)) };
        for (i, m) in &replace {
            if let Some(m) = m {
                list[*i] = m.clone();
            }
        }
        let removed: Vec<usize> = replace.iter().filter(|(_, m)| m.is_none()).map(|(i, _)| *i).collect();
        let mut index = 0;
        list.retain(|_| {
            index += 1;
            !removed.contains(&(index - 1))
        });
        list.extend(append);
        Ok(Some(dest))
    }
}

/// An element's identity: the values of its merge keys (`""` where missing), or, for lists of
/// scalars, its value.
type Identity = Vec<String>;

fn key_value(item: &Node, key: &str) -> String {
    match item.get(key) {
        Some(v) if !v.is_null() => v.as_str().unwrap_or("").to_string(),
        _ => String::new(),
    }
}

fn scalar_identities(lists: &[&Vec<Node>]) -> Vec<Identity> {
    let mut out: Vec<Identity> = Vec::new();
    for item in lists.iter().flat_map(|l| l.iter()) {
        let id = vec![item.as_str().unwrap_or("").to_string()];
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The merge keys that some element sets, and the identities (see the module documentation).
fn key_identities(keys: &[String], lists: &[&Vec<Node>]) -> (Vec<String>, Vec<Identity>) {
    let items: Vec<&Node> = lists.iter().flat_map(|l| l.iter()).collect();
    let valid: Vec<String> =
        keys.iter().filter(|k| items.iter().any(|i| !key_value(i, k).is_empty())).cloned().collect();
    if valid.is_empty() {
        return (keys.to_vec(), Vec::new());
    }
    let mut ids: Vec<Identity> =
        items.iter().map(|i| valid.iter().map(|k| key_value(i, k)).collect()).collect();
    if valid.len() > 1 {
        // kyaml's mergeValues: identities agreeing where both have a value are one.
        for i in 0..ids.len() {
            for j in 0..ids.len() {
                if let Some(merged) = unify(&ids[i], &ids[j]) {
                    ids[i].clone_from(&merged);
                    ids[j] = merged;
                }
            }
        }
    }
    let mut out: Vec<Identity> = Vec::new();
    for id in ids {
        if id.iter().any(|v| !v.is_empty()) && !out.contains(&id) {
            out.push(id);
        }
    }
    (valid, out)
}

fn unify(a: &Identity, b: &Identity) -> Option<Identity> {
    let mut common = false;
    let mut out = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            out.push(x.clone());
        } else if !x.is_empty() && !y.is_empty() {
            return None;
        } else {
            out.push(if x.is_empty() { y.clone() } else { x.clone() });
        }
    }
    common.then_some(out)
}

/// Whether `item` is the element with identity `id`: a scalar with that value (no keys), or a
/// mapping whose key values equal `id`'s (a missing value fits any).
fn fits(item: &Node, keys: &[String], id: &Identity) -> bool {
    if keys.is_empty() {
        return item.as_str() == Some(id[0].as_str());
    }
    if item.as_mapping().is_none() {
        return false;
    }
    let values: Vec<String> = keys.iter().map(|k| key_value(item, k)).collect();
    values.iter().any(|v| !v.is_empty()) && values.iter().zip(id).all(|(v, i)| v.is_empty() || v == i)
}

/// Sets the merge keys on a merged element that lost them (kyaml sets them as plain scalars).
fn restore_keys(item: &mut Node, keys: &[String], id: &Identity) {
    let Content::Mapping(pairs) = &mut item.content else { return };
    for (k, v) in keys.iter().zip(id) {
        if !v.is_empty() && !pairs.iter().any(|p| p.key.as_str() == Some(k)) {
            pairs.push(Pair::new(Node::string(k.as_str()), Node::scalar(v.as_str(), Style::Plain)));
        }
    }
}
