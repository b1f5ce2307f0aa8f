//! Key order copied from one version of a resource to another (kyaml's `order.SyncOrder`): the
//! keys of each mapping of `to` that `from` has too follow `from`'s order, the others go after
//! them in their own order. Sequence items are matched by index.

use crate::node::{Content, Node};

/// Orders the mappings of `to` (and of everything below it) as in `from`.
pub fn sync_order(from: &Node, to: &mut Node) {
    match (&from.content, &mut to.content) {
        (Content::Mapping(from), Content::Mapping(to)) => {
            let rank = |key: Option<&str>| {
                key.and_then(|k| from.iter().position(|p| p.key.as_str() == Some(k))).unwrap_or(usize::MAX)
            };
            // Stable: keys `from` lacks keep their order, after the others.
            to.sort_by_key(|pair| rank(pair.key.as_str()));
            for pair in to.iter_mut() {
                let Some(key) = pair.key.as_str() else { continue };
                if let Some(source) = from.iter().find(|p| p.key.as_str() == Some(key)) {
                    sync_order(&source.value, &mut pair.value);
                }
            }
        }
        (Content::Sequence(from), Content::Sequence(to)) => {
            for (source, item) in from.iter().zip(to.iter_mut()) {
                sync_order(source, item);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Document, Stream};

    fn root(text: &str) -> Node {
        Stream::parse(text).unwrap().documents.remove(0).root.unwrap()
    }

    #[test]
    fn keys_follow_the_original_order_and_new_keys_go_last() {
        let original = root(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    z: 1\n    a: 2\ndata:\n  x: y\n",
        );
        let mut output = root(
            "data:\n  x: y\nkind: ConfigMap\nmetadata:\n  labels:\n    a: 2\n    z: 1\n  name: a\n  namespace: n\napiVersion: v1\n",
        );
        sync_order(&original, &mut output);
        assert_eq!(
            Stream::new(vec![Document::new(output)]).to_text(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    z: 1\n    a: 2\n  namespace: n\ndata:\n  x: y\n"
        );
    }
}
