//! Comments copied from one version of a resource to another (kyaml's `comments.CopyComments`):
//! kpt restores the comments a function dropped from the resource it was given, and Porch heals a
//! resource edited through the API with the comments of its previous version. Only empty
//! comments are filled: head, line and foot, on keys and values alike. Mapping entries are
//! matched by key; sequence items by index, scalars only when their values are equal.

use crate::node::{Comments, Content, Node};

/// Fills the empty comments of `to` (and of everything below it) from `from`.
pub fn copy_comments(from: &Node, to: &mut Node) {
    fill(&from.comments, &mut to.comments);
    match (&from.content, &mut to.content) {
        (Content::Mapping(from), Content::Mapping(to)) => {
            for pair in to.iter_mut() {
                let Some(key) = pair.key.as_str() else { continue };
                if let Some(source) = from.iter().find(|p| p.key.as_str() == Some(key)) {
                    fill(&source.key.comments, &mut pair.key.comments);
                    copy_comments(&source.value, &mut pair.value);
                }
            }
        }
        (Content::Sequence(from), Content::Sequence(to)) => {
            for (source, item) in from.iter().zip(to.iter_mut()) {
                let scalars = matches!(source.content, Content::Scalar(_))
                    || matches!(item.content, Content::Scalar(_));
                if !scalars || source.as_str() == item.as_str() {
                    copy_comments(source, item);
                }
            }
        }
        _ => {}
    }
}

/// Fills each empty part of `to` from `from`.
fn fill(from: &Comments, to: &mut Comments) {
    if to.head.is_empty() {
        to.head.clone_from(&from.head);
    }
    if to.line.is_none() && from.line.is_some() {
        to.line.clone_from(&from.line);
        to.line_gap = from.line_gap;
    }
    if to.foot.is_empty() {
        to.foot.clone_from(&from.foot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Stream;

    fn root(text: &str) -> Node {
        Stream::parse(text).unwrap().documents.remove(0).root.unwrap()
    }

    #[test]
    fn dropped_comments_come_back_and_present_ones_stay() {
        let original = root(
            "# the app\napiVersion: v1\nkind: ConfigMap # a map\nmetadata:\n  name: app # its name\ndata:\n  \
             # the port\n  port: \"80\"\n  hosts:\n  - a # first\n  - b # second\n",
        );
        let mut output = root(
            "apiVersion: v1\nkind: ConfigMap # kept\nmetadata:\n  name: app\n  namespace: prod\ndata:\n  \
             port: \"8080\"\n  hosts:\n  - a\n  - c\n",
        );
        copy_comments(&original, &mut output);
        let text = Stream::new(vec![crate::Document::new(output)]).to_text();
        assert_eq!(
            text,
            "# the app\napiVersion: v1\nkind: ConfigMap # kept\nmetadata:\n  name: app # its name\n  namespace: prod\n\
             data:\n  # the port\n  port: \"8080\"\n  hosts:\n  - a # first\n  - c\n"
        );
    }
}
