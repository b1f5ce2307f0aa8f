//! The key order of what a script writes: keys the resource had keep their place, keys it did
//! not have follow in go-yaml's order — where kpt leaves them after the catalog function
//! marshals its output (go-yaml sorts map keys) and kyaml restores the input's order.

use porch_krm::Node;
use serde_json::{Map, Value};

/// Orders every mapping in `value` like its counterpart in `node`: the counterpart's keys
/// first, in its order, then the others in go-yaml's order. Without a counterpart all keys
/// are in go-yaml's order.
pub(super) fn arrange(value: &mut Value, node: Option<&Node>) {
    match value {
        Value::Object(map) => {
            let known: Vec<&str> = node.map(|n| n.keys().collect()).unwrap_or_default();
            let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            merge_sort(&mut entries, &|a, b| match (place(&known, &a.0), place(&known, &b.0)) {
                (Some(i), Some(j)) => i < j,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => key_less(&a.0, &b.0),
            });
            let mut ordered = Map::new();
            for (key, mut item) in entries {
                arrange(&mut item, node.and_then(|n| n.get(&key)));
                ordered.insert(key, item);
            }
            *map = ordered;
        }
        Value::Array(items) => {
            let old = node.and_then(Node::as_sequence);
            let same_length = old.is_some_and(|o| o.len() == items.len());
            for (i, item) in items.iter_mut().enumerate() {
                let counterpart = match old {
                    Some(old) if same_length => old.get(i),
                    Some(old) => by_name(old, item),
                    None => None,
                };
                arrange(item, counterpart);
            }
        }
        _ => {}
    }
}

/// The old item with the same `name` as `item`, if both have one.
fn by_name<'a>(old: &'a [Node], item: &Value) -> Option<&'a Node> {
    let name = item.get("name")?.as_str()?;
    old.iter().find(|o| o.get("name").and_then(Node::as_str) == Some(name))
}

/// Where `key` is among the counterpart's keys.
fn place(known: &[&str], key: &str) -> Option<usize> {
    known.iter().position(|k| *k == key)
}

/// A stable merge sort by `less` (which need not be a total order: it never panics).
fn merge_sort<T>(items: &mut Vec<T>, less: &dyn Fn(&T, &T) -> bool) {
    if items.len() < 2 {
        return;
    }
    let mut right = items.split_off(items.len() / 2);
    merge_sort(items, less);
    merge_sort(&mut right, less);
    let left = std::mem::take(items);
    let (mut left, mut right) = (left.into_iter().peekable(), right.into_iter().peekable());
    while let (Some(a), Some(b)) = (left.peek(), right.peek()) {
        let next = if less(b, a) { right.next() } else { left.next() };
        items.extend(next);
    }
    items.extend(left);
    items.extend(right);
}

/// go-yaml's order of two string keys: at the first difference two letters compare by code
/// point; a letter and a non-letter put the non-letter first, unless a digit came before (then
/// the letter); otherwise the runs of digits there compare as numbers (then by length, then by
/// the differing character). A prefix sorts first.
pub(super) fn key_less(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut digits = false;
    for i in 0..a.len().min(b.len()) {
        if a[i] == b[i] {
            digits = a[i].is_numeric();
            continue;
        }
        let (a_letter, b_letter) = (a[i].is_alphabetic(), b[i].is_alphabetic());
        if a_letter && b_letter {
            return a[i] < b[i];
        }
        if a_letter || b_letter {
            return if digits { a_letter } else { b_letter };
        }
        let (mut an, mut bn) = (0_i64, 0_i64);
        if a[i] == '0' || b[i] == '0' {
            let nonzero_before = a[..i].iter().rev().take_while(|c| c.is_numeric()).any(|c| *c != '0');
            if nonzero_before {
                (an, bn) = (1, 1);
            }
        }
        let run = |s: &[char], n: &mut i64| {
            let mut end = i;
            while end < s.len() && s[end].is_numeric() {
                *n = n.wrapping_mul(10).wrapping_add(i64::from(s[end].to_digit(10).unwrap_or(0)));
                end += 1;
            }
            end
        };
        let (a_end, b_end) = (run(&a, &mut an), run(&b, &mut bn));
        if an != bn {
            return an < bn;
        }
        if a_end != b_end {
            return a_end < b_end;
        }
        return a[i] < b[i];
    }
    a.len() < b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_as_go_yaml_sorts_them() {
        let mut keys = vec!["b", "a10", "a2", "A", "_x", "a", "name", "image", "a-b", "ab"];
        let mut entries: Vec<(String, ())> = keys.drain(..).map(|k| (k.to_string(), ())).collect();
        merge_sort(&mut entries, &|x, y| key_less(&x.0, &y.0));
        let sorted: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(sorted, ["_x", "A", "a", "a-b", "a2", "a10", "ab", "b", "image", "name"]);
    }

    #[test]
    fn known_keys_keep_their_place_and_new_ones_follow_sorted() {
        let node = porch_krm::parse("name: x\nimage: y\n").unwrap().documents.remove(0).root.unwrap();
        let mut value = serde_json::json!({"ports": [], "env": [], "image": "z", "name": "x"});
        arrange(&mut value, Some(&node));
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["name", "image", "env", "ports"]);
    }
}
