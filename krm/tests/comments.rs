//! Where comments go: head, line and foot, as go-yaml v3 places them.

use porch_krm::{Node, Stream};

fn parse(text: &str) -> Stream {
    let s = Stream::parse(text).unwrap();
    assert_eq!(s.to_text(), text, "round trip");
    s
}

fn root(s: &Stream) -> &Node {
    s.documents[0].root.as_ref().unwrap()
}

#[test]
fn head_line_and_foot() {
    let s = parse(concat!(
        "# about a\n",
        "a: 1 # one\n",
        "\n",
        "# about b\n",
        "b:\n",
        "  # about c\n",
        "  c: x\n",
        "  # after c\n",
        "# after b\n",
    ));
    let r = root(&s);
    let a = r.pair("a").unwrap();
    assert_eq!(a.key.comments.head, ["# about a"]);
    assert_eq!(a.value.comments.line.as_deref(), Some("# one"));
    let b = r.pair("b").unwrap();
    assert_eq!(b.key.comments.head, ["", "# about b"]);
    assert_eq!(b.key.comments.foot, ["# after b"]);
    let c = b.value.pair("c").unwrap();
    assert_eq!(c.key.comments.head, ["# about c"]);
    assert_eq!(c.key.comments.foot, ["# after c"]);
}

#[test]
fn a_comment_after_a_key_with_a_block_value_is_the_keys() {
    let s = parse("metadata: # kpt-merge: default/app\n  name: app\nitems: # none yet\n- a\n");
    let r = root(&s);
    assert_eq!(r.pair("metadata").unwrap().key.comments.line.as_deref(), Some("# kpt-merge: default/app"));
    assert_eq!(r.pair("items").unwrap().key.comments.line.as_deref(), Some("# none yet"));
    assert!(r.get("metadata").unwrap().comments.line.is_none());
}

#[test]
fn the_document_head_is_set_apart_by_a_blank_line() {
    let s = parse("# license\n# more license\n\n# about apiVersion\napiVersion: v1\n");
    assert_eq!(s.documents[0].head, ["# license", "# more license", ""]);
    assert_eq!(root(&s).pair("apiVersion").unwrap().key.comments.head, ["# about apiVersion"]);
}

#[test]
fn sequence_items_carry_their_comments() {
    let s = parse(concat!(
        "containers:\n",
        "# the main one\n",
        "- name: app # app\n",
        "  image: app:1\n",
        "# - name: sidecar\n",
        "- name: proxy\n",
        "  # trailing in the item\n",
        "volumes: []\n",
    ));
    let items = root(&s).get("containers").unwrap().as_sequence().unwrap();
    assert_eq!(items[0].comments.head, ["# the main one"]);
    assert_eq!(items[0].get("name").unwrap().comments.line.as_deref(), Some("# app"));
    assert_eq!(items[1].comments.head, ["# - name: sidecar"]);
    assert_eq!(items[1].pair("name").unwrap().key.comments.foot, ["# trailing in the item"]);
    // A comment at the key's column after a compact sequence is the next key's.
    let s = parse("a:\n- x\n# about b\nb: 1\n");
    assert_eq!(root(&s).pair("b").unwrap().key.comments.head, ["# about b"]);
    assert!(root(&s).get("a").unwrap().as_sequence().unwrap()[0].comments.foot.is_empty());
    // In a wide sequence it is the last item's.
    let s = parse("a:\n  - x\n  # after x\nb: 1\n");
    assert_eq!(root(&s).get("a").unwrap().as_sequence().unwrap()[0].comments.foot, ["# after x"]);
}

#[test]
fn deeper_comments_keep_their_extra_indentation() {
    let s = parse("resources: {}\n  # limits:\n  #   cpu: 100m\n\nnodeSelector: {}\n");
    assert_eq!(
        root(&s).pair("nodeSelector").unwrap().key.comments.head,
        ["  # limits:", "  #   cpu: 100m", ""]
    );
}

#[test]
fn spaces_before_a_line_comment_are_kept() {
    parse("service:\n  type: ClusterIP   # or NodePort\n  port: 80 # one\nlist:  # two\n- a    # four\n");
}

#[test]
fn comments_in_flow_collections_and_block_scalars() {
    let s = parse("ports: [\n  80,  # http\n  443,\n]\nscript: | # a script\n  # not a comment\n  echo\n");
    let r = root(&s);
    assert_eq!(r.get("ports").unwrap().comments.foot, ["# http"]);
    assert_eq!(r.get("script").unwrap().comments.line.as_deref(), Some("# a script"));
    assert_eq!(r.get("script").unwrap().as_str(), Some("# not a comment\necho\n"));
}

#[test]
fn comments_around_documents() {
    let s = parse("a: 1\n# end of first\n---\n# start of second\nb: 2\n\n# the end\n");
    assert_eq!(root(&s).pair("a").unwrap().key.comments.foot, ["# end of first"]);
    let second = s.documents[1].root.as_ref().unwrap();
    assert_eq!(second.pair("b").unwrap().key.comments.head, ["# start of second"]);
    assert_eq!(second.pair("b").unwrap().key.comments.foot, ["", "# the end"]);
    let s = parse("# only a comment\n");
    assert_eq!(s.documents.len(), 1);
    assert!(s.documents[0].root.is_none());
    let s = parse("a: 1\n...\n# after the end\n");
    assert_eq!(s.documents.len(), 2);
    assert_eq!(s.documents[1].prelude, ["# after the end"]);
}

#[test]
fn setting_comments() {
    let mut s = Stream::parse("a: 1\nb: 2\n").unwrap();
    let r = s.documents[0].root.as_mut().unwrap();
    r.pair_mut("b").unwrap().key.comments.head = vec!["# about b".into()];
    r.get_mut("a").unwrap().comments.line = Some("# kpt-set: ${a}".into());
    r.pair_mut("b").unwrap().key.comments.foot = vec![String::new(), "# the end".into()];
    assert_eq!(s.to_text(), "a: 1 # kpt-set: ${a}\n# about b\nb: 2\n\n# the end\n");
}
